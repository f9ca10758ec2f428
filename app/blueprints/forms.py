"""Helpers shared by the web blueprints: service errors on forms, shared fields, the viewer."""

from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectMultipleField
from wtforms.validators import DataRequired, EqualTo, Length
from wtforms.widgets import CheckboxInput, ListWidget

from app.core import validation as v
from app.core.errors import ServiceError


def apply_service_error(form: FlaskForm, error: ServiceError) -> None:
    """Show a service's field messages on the matching form fields (others as form errors)."""
    placed = False
    for name, messages in error.fields.items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors) + list(messages)
            placed = True
    if not placed:
        form.form_errors.append(error.message)


def new_password_field(label: str = "Password") -> PasswordField:
    """A password being chosen (sign-up, reset, change): the length rule shown and checked."""
    return PasswordField(
        label,
        validators=[DataRequired(), Length(v.PASSWORD_MIN, v.PASSWORD_MAX)],
        description=f"At least {v.PASSWORD_MIN} characters.",
        render_kw={"autocomplete": "new-password"},
    )


def repeat_password_field(of: str, label: str = "Repeat password") -> PasswordField:
    """The same password typed again, checked against the field named ``of``."""
    return PasswordField(
        label,
        validators=[DataRequired(), EqualTo(of, message="Passwords do not match.")],
        render_kw={"autocomplete": "new-password"},
    )


class MultiCheckboxField(SelectMultipleField):
    """A set of checkboxes (works without JavaScript, each with its own label)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ActionForm(FlaskForm):
    """A button-only form (vote, helped-me, toggle): it carries just the CSRF token."""


def current_viewer():
    """The signed-in user, or None for anonymous readers (what the visibility gate takes)."""
    return current_user._get_current_object() if current_user.is_authenticated else None

"""Helpers shared by the web blueprints: service errors on forms, the viewer."""

from flask_login import current_user
from flask_wtf import FlaskForm

from app.services.errors import ServiceError


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


class ActionForm(FlaskForm):
    """A button-only form (vote, helped-me, toggle): it carries just the CSRF token."""


def current_viewer():
    """The signed-in user, or None for anonymous readers (what the visibility gate takes)."""
    return current_user._get_current_object() if current_user.is_authenticated else None

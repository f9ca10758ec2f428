"""Helpers shared by the web forms."""

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

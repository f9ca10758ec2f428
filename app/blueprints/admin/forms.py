"""Moderation forms (shape only; the moderation service holds the rules)."""

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.core.validation import FLAG_DETAILS_MAX, SUSPEND_REASON_MAX
from app.models.moderation import FLAG_REASONS
from app.services.moderation import REASON_LABELS


class FlagForm(FlaskForm):
    type = HiddenField()
    id = HiddenField()
    next = HiddenField()
    reason = SelectField(
        "Why should moderators look at this?",
        choices=[SelectChoice(r, REASON_LABELS[r]) for r in FLAG_REASONS],
        validate_choice=False,
    )
    details = TextAreaField(
        "Details (optional)",
        validators=[Optional(), Length(max=FLAG_DETAILS_MAX)],
        description=f"At most {FLAG_DETAILS_MAX} characters.",
    )


class ReasonForm(FlaskForm):
    """Hide, unhide, dismiss: an optional note for the audit log."""

    next = HiddenField()
    reason = TextAreaField(
        "Note for the log (optional)", validators=[Optional(), Length(max=FLAG_DETAILS_MAX)]
    )


class SuspendForm(FlaskForm):
    reason = TextAreaField(
        "Reason (shown to the user when they try to sign in)",
        validators=[DataRequired(), Length(max=SUSPEND_REASON_MAX)],
    )

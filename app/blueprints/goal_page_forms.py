"""Forms on the goal page (milestone, journal, the mentorship panel's), shape only."""

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DateTimeLocalField,
    IntegerField,
    SelectChoice,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.blueprints.forms import MultiCheckboxField
from app.core import validation as v


class _Prefixed(FlaskForm):
    """Several of these forms share the goal page: a prefix keeps their ids unique."""

    prefix_name = ""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", self.prefix_name)
        super().__init__(*args, **kwargs)


class InviteForm(_Prefixed):
    prefix_name = "invite"
    mentor = StringField(
        "Username of the mentor",
        validators=[DataRequired(), Length(max=v.USERNAME_MAX)],
        description="Pick someone from the suggestions above or type a username.",
        render_kw={"autocomplete": "off"},
    )
    message = TextAreaField(
        "Message",
        validators=[DataRequired(), Length(max=v.INVITE_MESSAGE_MAX)],
        description="Why them, and what you hope to achieve together.",
    )


class MessageForm(_Prefixed):
    prefix_name = "message"
    body = TextAreaField(
        "Message",
        validators=[DataRequired(), Length(max=v.PRIVATE_MESSAGE_MAX)],
        description="Markdown. Only you two can read it.",
    )


class AgreementForm(_Prefixed):
    prefix_name = "agreement"
    modes = MultiCheckboxField(
        "How you will meet", choices=[SelectChoice(m, m.capitalize()) for m in v.CONTACT_MODES]
    )
    cadence = StringField(
        "How often",
        validators=[DataRequired(), Length(max=v.CADENCE_MAX)],
        description="For example: every other Monday, 30 minutes.",
    )
    response_hours = IntegerField(
        "Expected response time (hours)",
        validators=[DataRequired(), NumberRange(1, v.RESPONSE_TIME_MAX_HOURS)],
    )
    success_criteria = TextAreaField(
        "What success looks like", validators=[DataRequired(), Length(max=v.CRITERIA_MAX)]
    )

    def agreement_data(self) -> dict:
        return {
            "modes": self.modes.data or [],
            "cadence": self.cadence.data,
            "response_hours": self.response_hours.data,
            "success_criteria": self.success_criteria.data,
        }


class CheckInForm(_Prefixed):
    prefix_name = "checkin"
    scheduled_at = DateTimeLocalField(
        "When (your time zone)", format="%Y-%m-%dT%H:%M", validators=[DataRequired()]
    )
    agenda = TextAreaField("Agenda", validators=[DataRequired(), Length(max=v.AGENDA_MAX)])


class NotesForm(_Prefixed):
    prefix_name = "notes"
    notes = TextAreaField(
        "Notes afterwards",
        validators=[Length(max=v.NOTES_MAX)],
        description="What you talked about, what comes next.",
    )


class SummaryForm(_Prefixed):
    prefix_name = "summary"
    summary = TextAreaField(
        "What I learned",
        validators=[Optional(), Length(max=v.SUMMARY_MAX)],
        description="Markdown. Publishing it makes this goal and its public "
        "questions public again; private content stays private.",
    )


class MilestoneForm(FlaskForm):
    title = StringField(
        "New milestone", validators=[DataRequired(), Length(max=v.MILESTONE_TITLE_MAX)]
    )
    due_date = DateField("Due date", validators=[Optional()])


class JournalForm(FlaskForm):
    body = TextAreaField(
        "Progress update",
        validators=[DataRequired(), Length(max=v.BODY_MAX)],
        description="Markdown. What did you try? What happened?",
    )

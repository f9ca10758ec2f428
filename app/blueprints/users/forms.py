"""Profile, password, email and account-deletion forms for /settings."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from app.blueprints.forms import MultiCheckboxField, new_password_field, repeat_password_field
from app.core import validation as v


class ProfileForm(FlaskForm):
    display_name = StringField("Display name", validators=[Length(max=v.DISPLAY_NAME_MAX)])
    bio = TextAreaField(
        "Bio",
        validators=[Length(max=v.BIO_MAX)],
        description="Markdown. Tell people what you know and what you want to learn.",
    )
    skills = StringField(
        "Skills", description="Tags separated by commas, e.g. python, public-speaking."
    )
    location = StringField("Location", validators=[Length(max=v.LOCATION_MAX)])
    timezone = SelectField("Time zone", validate_choice=False)
    mentor_available = BooleanField("I am available to mentor")
    mentor_topics = StringField("Topics I mentor on", description="Tags separated by commas.")
    preferred_modes = MultiCheckboxField(
        "Preferred ways to talk", choices=[SelectChoice(m, m.capitalize()) for m in v.CONTACT_MODES]
    )
    availability = StringField(
        "Usual availability",
        validators=[Length(max=v.AVAILABILITY_MAX)],
        description="For example: weekday evenings, CET.",
    )
    response_time_hours = IntegerField(
        "Expected response time (hours)",
        validators=[Optional(), NumberRange(1, v.RESPONSE_TIME_MAX_HOURS)],
    )
    email_mode = SelectField(
        "Email notifications",
        choices=[
            SelectChoice("off", "Off (only on the site)"),
            SelectChoice("immediate", "Immediately, one email each"),
            SelectChoice("daily", "Daily digest"),
            SelectChoice("weekly", "Weekly digest"),
        ],
        description="Copies of your notifications by email. Every email has an unsubscribe link.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone.choices = [SelectChoice(tz) for tz in v.timezone_choices()]

    def profile_changes(self) -> dict:
        """The submitted values keyed like the accounts service expects."""
        return {
            "display_name": self.display_name.data or "",
            "bio": self.bio.data or "",
            "skills": self.skills.data or "",
            "location": self.location.data or "",
            "timezone": self.timezone.data,
            "mentor_available": bool(self.mentor_available.data),
            "mentor_topics": self.mentor_topics.data or "",
            "preferred_modes": list(self.preferred_modes.data or []),
            "availability": self.availability.data or "",
            "response_time_hours": self.response_time_hours.data,
            "email_mode": self.email_mode.data,
        }


class PasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password",
        validators=[DataRequired()],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = new_password_field("New password")
    confirm = repeat_password_field("new_password", "Repeat new password")


class DeleteAccountForm(FlaskForm):
    password = PasswordField(
        "Password",
        validators=[DataRequired(message="Enter your password.")],
        render_kw={"autocomplete": "current-password"},
    )
    confirm_username = StringField(
        "Type your username to confirm",
        validators=[DataRequired(message="Type your username.")],
        render_kw={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"},
    )

    def __init__(self, *args, username: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.username = username

    def validate_confirm_username(self, field) -> None:
        """The typed name must be this account's, so a stray click deletes nothing."""
        if (field.data or "").strip().lower() != self.username:
            raise ValidationError("That is not your username.")


class ChangeEmailForm(FlaskForm):
    email = EmailField(
        "New email address",
        validators=[DataRequired(), Length(max=v.EMAIL_MAX)],
        description="We send a link there; your address changes when you open it.",
        render_kw={"autocomplete": "email"},
    )
    password = PasswordField(
        "Current password",
        validators=[DataRequired(), Length(max=v.PASSWORD_MAX)],
        render_kw={"autocomplete": "current-password"},
    )

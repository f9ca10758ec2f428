"""Sign-up and sign-in forms (shape only; the accounts service checks the rules)."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from app.services import validation as v


class RegisterForm(FlaskForm):
    username = StringField(
        "Username",
        validators=[DataRequired(), Length(v.USERNAME_MIN, v.USERNAME_MAX)],
        description="3–30 characters: a–z, 0–9, _ and -. Shown publicly.",
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"},
    )
    email = EmailField(
        "Email",
        validators=[DataRequired(), Length(max=v.EMAIL_MAX)],
        description="Never shown to other people.",
        render_kw={"autocomplete": "email"},
    )
    password = PasswordField(
        "Password",
        validators=[DataRequired(), Length(v.PASSWORD_MIN, v.PASSWORD_MAX)],
        description=f"At least {v.PASSWORD_MIN} characters.",
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "Repeat password",
        validators=[DataRequired(), EqualTo("password", message="Passwords do not match.")],
        render_kw={"autocomplete": "new-password"},
    )


class LoginForm(FlaskForm):
    login = StringField(
        "Username or email",
        validators=[DataRequired(), Length(max=v.EMAIL_MAX)],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"},
    )
    password = PasswordField(
        "Password",
        validators=[DataRequired(), Length(max=v.PASSWORD_MAX)],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField("Keep me signed in on this device")


class LogoutForm(FlaskForm):
    """Empty form: only carries the CSRF token for POST /logout."""


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        "Email",
        validators=[DataRequired(), Length(max=v.EMAIL_MAX)],
        description="The address of your account. We send a link to set a new password.",
        render_kw={"autocomplete": "email"},
    )


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        "New password",
        validators=[DataRequired(), Length(v.PASSWORD_MIN, v.PASSWORD_MAX)],
        description=f"At least {v.PASSWORD_MIN} characters.",
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "Repeat new password",
        validators=[DataRequired(), EqualTo("password", message="Passwords do not match.")],
        render_kw={"autocomplete": "new-password"},
    )


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

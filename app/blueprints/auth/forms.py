"""Sign-up and sign-in forms (shape only; the accounts service checks the rules)."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from app.blueprints.forms import new_password_field, repeat_password_field
from app.core import validation as v


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
    password = new_password_field()
    confirm = repeat_password_field("password")


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
    password = new_password_field("New password")
    confirm = repeat_password_field("password", "Repeat new password")

"""Sign-up, sign-in and sign-out pages."""

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from app.blueprints.auth.forms import LoginForm, LogoutForm, RegisterForm
from app.blueprints.forms import apply_service_error
from app.ratelimits import signin_limit_account, signin_limit_ip, signup_limit
from app.security import safe_next
from app.services.accounts import authenticate, register_user
from app.services.errors import Forbidden, ServiceError

bp = Blueprint("auth", __name__)

LOGIN_FAILED = "Wrong username, email or password."


def _start_session(user, remember: bool) -> None:
    """Renew the session at sign-in: nothing from before (CSRF token included) survives."""
    session.clear()
    login_user(user, remember=remember)
    session.permanent = True


@bp.route("/register", methods=["GET", "POST"])
@signup_limit
def register():
    """Create an account and sign in."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = register_user(form.username.data, form.email.data, form.password.data)
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            _start_session(user, remember=False)
            flash(f"Welcome to Journster, {user.username}!", "success")
            return redirect(url_for("users.settings"))
    status = 422 if form.is_submitted() else 200
    return render_template("auth/register.html", form=form), status


@bp.route("/login", methods=["GET", "POST"])
@signin_limit_ip
@signin_limit_account
def login():
    """Sign in with username or email; the message never says which part was wrong."""
    next_url = safe_next(request.args.get("next"), url_for("main.index"))
    if current_user.is_authenticated:
        return redirect(next_url)
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = authenticate(form.login.data, form.password.data)
        except Forbidden as error:  # suspended: the moderators' reason, after the password
            user = None
            form.form_errors.append(error.message)
        if user is not None:
            _start_session(user, remember=form.remember.data)
            flash("Signed in.", "success")
            return redirect(next_url)
        if not form.form_errors:
            form.form_errors.append(LOGIN_FAILED)
    status = 422 if form.is_submitted() else 200
    return render_template("auth/login.html", form=form, next_url=next_url), status


@bp.post("/logout")
def logout():
    """Sign out (POST with CSRF, so no other site can sign people out)."""
    form = LogoutForm()
    if form.validate_on_submit():
        logout_user()
        session.clear()
        flash("Signed out.", "info")
    return redirect(url_for("main.index"))

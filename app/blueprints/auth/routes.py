"""Sign-up, sign-in and sign-out pages."""

from flask import (
    Blueprint,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user

from app.blueprints.auth.forms import (
    ForgotPasswordForm,
    LoginForm,
    LogoutForm,
    RegisterForm,
    ResetPasswordForm,
)
from app.blueprints.forms import ActionForm, apply_service_error, current_viewer
from app.core.errors import Forbidden, ServiceError
from app.ratelimits import (
    password_check_limit,
    password_reset_limit,
    signin_limit,
    signup_limit,
)
from app.security import safe_next
from app.services.accounts import authenticate, end_sessions, register_user
from app.services.recovery import (
    InvalidToken,
    check_reset_token,
    request_password_reset,
    reset_password,
    verify_email,
)

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
            flash(
                f"Welcome to Journster, {user.username}! We sent a link to {user.email}: "
                "open it to confirm your address.",
                "success",
            )
            return redirect(url_for("users.settings"))
    status = 422 if form.is_submitted() else 200
    return render_template("auth/register.html", form=form), status


@bp.route("/login", methods=["GET", "POST"])
@signin_limit
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
        user = current_viewer()
        if user is not None:
            # Server-side: a copy of this session or remember cookie stops working too.
            end_sessions(user)
        logout_user()
        session.clear()
        flash("Signed out.", "info")
    return redirect(url_for("main.index"))


SENT_RESET = (
    "If an account has that address, we sent it a link to set a new password. "
    "It works once, for an hour. Check your spam folder if nothing arrives."
)


@bp.route("/password/forgot", methods=["GET", "POST"])
@password_reset_limit
def forgot_password():
    """Ask for a reset link: the same answer whether or not an account has the address."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        try:
            request_password_reset(form.email.data)
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            flash(SENT_RESET, "info")
            return redirect(url_for("auth.login"))
    status = 422 if form.is_submitted() else 200
    return render_template("auth/forgot.html", form=form), status


def _token_page(template: str, status: int, **context):
    """A page whose URL holds a token: never sent on as a Referer, never cached."""
    response = make_response(render_template(template, **context), status)
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@password_check_limit
def reset_password_page(token: str):
    """Set a new password from the mailed link (once; other sessions and tokens end)."""
    form = ResetPasswordForm()
    try:
        user = check_reset_token(token)
        if form.validate_on_submit():
            reset_password(token, form.password.data)
            logout_user()
            session.clear()
            flash(
                "Your new password is set, and you are signed out everywhere. Sign in with it.",
                "success",
            )
            return redirect(url_for("auth.login"))
    except InvalidToken as error:
        return _token_page(
            "auth/link_invalid.html",
            400,
            message=error.message,
            again=url_for("auth.forgot_password"),
        )
    except ServiceError as error:
        apply_service_error(form, error)
    status = 422 if form.is_submitted() else 200
    return _token_page("auth/reset.html", status, form=form, user=user, token=token)


@bp.route("/verify-email/<token>", methods=["GET", "POST"])
def verify_email_page(token: str):
    """Confirm an address: GET shows a button (mail scanners follow links), POST confirms."""
    form = ActionForm()
    if form.validate_on_submit():
        try:
            user = verify_email(token)
        except ServiceError as error:  # invalid link (400), address taken meanwhile (409)
            return _token_page(
                "auth/link_invalid.html",
                error.status,
                message=error.message,
                again=url_for("users.email_settings"),
            )
        flash(f"Thank you: {user.email} is confirmed.", "success")
        return redirect(
            url_for("users.settings" if current_user.is_authenticated else "auth.login")
        )
    status = 422 if form.is_submitted() else 200
    return _token_page("auth/verify_email.html", status, form=form, token=token)

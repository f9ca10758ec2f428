"""Public profiles and the signed-in user's settings."""

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from app.blueprints.downloads import export_download
from app.blueprints.forms import ActionForm, apply_service_error, current_viewer
from app.blueprints.users.forms import (
    ChangeEmailForm,
    DeleteAccountForm,
    PasswordForm,
    ProfileForm,
)
from app.core.errors import ServiceError
from app.core.pagination import page_args
from app.core.visible_queries import hidden_public_answer_count
from app.extensions import csrf, db
from app.models import User
from app.ratelimits import block_limit, password_check_limit, verification_mail_limit
from app.services.account_deletion import delete_account, get_profile_user
from app.services.accounts import change_password, update_profile
from app.services.blocks import block, blocked, unblock
from app.services.goals import list_goals
from app.services.mail import read_unsubscribe_token
from app.services.mentor_record import helped_by_tag
from app.services.profiles import profile_extras
from app.services.questions import list_answers, list_questions
from app.services.recovery import request_email_change, resend_verification

bp = Blueprint("users", __name__)


@bp.get("/users/<username>")
def profile(username: str):
    """A public profile with the person's goals, questions and answers (email never shown)."""
    user = get_profile_user(username)
    viewer = current_viewer()
    page, _ = page_args(request.args.get("page"))
    return render_template(
        "users/profile.html",
        user=user,
        goals=list_goals(viewer, owner=user.username, page=1, per_page=10),
        questions=list_questions(viewer, owner=user, page=page, per_page=10),
        answers=list_answers(viewer, owner=user, page=page, per_page=10),
        hidden_answers=hidden_public_answer_count(viewer, user),
        helped_tags=helped_by_tag(user),
        i_blocked=viewer is not None and blocked(viewer.id, user.id),
        action_form=ActionForm(formdata=None),
        **profile_extras(viewer, user),
    )


@bp.post("/users/<username>/<action>")
@block_limit
@login_required
def block_action(username: str, action: str):
    """Block or unblock this user."""
    if action not in ("block", "unblock"):
        abort(404)
    if ActionForm().validate_on_submit():
        try:
            other = (block if action == "block" else unblock)(current_viewer(), username)
        except ServiceError as error:
            flash(error.message, "error")
        else:
            flash(
                f"You {action}ed {other.username}."
                if action == "block"
                else f"You unblocked {other.username}.",
                "success",
            )
    return redirect(url_for("users.profile", username=username))


def _profile_form_data(user) -> dict:
    return {
        "display_name": user.display_name,
        "bio": user.bio,
        "skills": ", ".join(t.name for t in user.skills),
        "location": user.location,
        "timezone": user.timezone,
        "mentor_available": user.mentor_available,
        "mentor_topics": ", ".join(t.name for t in user.mentor_topics),
        "preferred_modes": list(user.preferred_modes or []),
        "availability": user.availability,
        "response_time_hours": user.response_time_hours,
        "email_mode": user.email_mode,
    }


@bp.route("/settings", methods=["GET", "POST"])
@login_required
@password_check_limit
def settings():
    """Edit the profile, or change the password (two forms, told apart by prefix)."""
    user = current_user._get_current_object()
    is_post = request.method == "POST"
    profile_submitted = is_post and "profile-submit" in request.form
    password_submitted = is_post and "password-submit" in request.form
    profile_form = ProfileForm(
        prefix="profile",
        formdata=request.form if profile_submitted else None,
        data=_profile_form_data(user),
    )
    password_form = PasswordForm(
        prefix="password", formdata=request.form if password_submitted else None
    )
    if profile_submitted and profile_form.validate():
        try:
            update_profile(user, profile_form.profile_changes())
        except ServiceError as error:
            apply_service_error(profile_form, error)
        else:
            flash("Profile saved.", "success")
            return redirect(url_for("users.settings"))
    if password_submitted and password_form.validate():
        try:
            change_password(
                user, password_form.current_password.data, password_form.new_password.data
            )
        except ServiceError as error:
            apply_service_error(password_form, error)
        else:
            # The version bump ended every session, this one included: start a fresh one.
            session.clear()
            login_user(user)
            flash("Password changed. Other devices have been signed out.", "success")
            return redirect(url_for("users.settings"))
    status = 422 if is_post else 200
    return render_template(
        "users/settings.html",
        profile_form=profile_form,
        password_form=password_form,
        delete_form=DeleteAccountForm(formdata=None, username=user.username),
    ), status


@bp.get("/settings/export")
@login_required
def export_data():
    """The "Download my data" button: everything I wrote or received, as a JSON file."""
    try:
        return export_download(current_user._get_current_object())
    except ServiceError as error:
        flash(error.message, "error")
        return redirect(url_for("users.settings"))


@bp.route("/settings/email", methods=["GET", "POST"])
@login_required
@password_check_limit
def email_settings():
    """Change the email address: the new one replaces the old once its link is used."""
    user = current_user._get_current_object()
    form = ChangeEmailForm()
    if form.validate_on_submit():
        try:
            address = request_email_change(user, form.password.data, form.email.data)
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            flash(
                f"We sent a link to {address}. Your address changes when you open it; "
                f"until then mail goes to {user.email}.",
                "info",
            )
            return redirect(url_for("users.settings"))
    status = 422 if form.is_submitted() else 200
    return render_template("users/email.html", form=form, user=user), status


@bp.post("/settings/email/verification")
@login_required
@verification_mail_limit
def resend_verification_mail():
    """Send another link confirming the current address."""
    user = current_user._get_current_object()
    if ActionForm().validate_on_submit():
        try:
            resend_verification(user)
        except ServiceError as error:
            flash(error.message, "info")
        else:
            flash(f"We sent a new link to {user.email}. It works for 48 hours.", "info")
    return redirect(url_for("users.settings"))


@bp.route("/settings/delete", methods=["GET", "POST"])
@login_required
@password_check_limit
def delete_account_page():
    """Delete my account (password and username typed to confirm), then sign out."""
    user = current_user._get_current_object()
    form = DeleteAccountForm(username=user.username)
    if form.validate_on_submit():
        try:
            delete_account(user, form.password.data)
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            logout_user()
            session.clear()
            return render_template("users/deleted.html")
    status = 422 if request.method == "POST" else 200
    return render_template("users/delete.html", delete_form=form), status


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # the signed token is the credential (and mail clients POST it one-click)
def unsubscribe(token: str):
    """The link in every email: GET asks to confirm, POST switches email off."""
    user_id = read_unsubscribe_token(token)
    user = db.session.get(User, user_id) if user_id is not None else None
    if user is None:
        return render_template("users/unsubscribe.html", invalid=True), 400
    if request.method == "POST":
        update_profile(user, {"email_mode": "off"})
        return render_template("users/unsubscribe.html", user=user, done=True)
    return render_template("users/unsubscribe.html", user=user, token=token)

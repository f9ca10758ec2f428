"""Flagging a post, and the admin area: flag queue, hidden posts, users, audit log.

Every admin page answers 404 to everyone else (the service's require_admin), so the area
does not announce itself. Each action is a POST form with CSRF; errors come back as a
flash message (or, for a missing suspension reason, the form again).
"""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from app.blueprints.admin.forms import FlagForm, ReasonForm, SuspendForm
from app.blueprints.forms import apply_service_error, current_viewer
from app.core.errors import NotFound, ServiceError, ValidationFailed
from app.core.pagination import page_args
from app.core.posts import hidden_by_moderators, is_public_post
from app.core.validation import parse_id
from app.models.moderation import FLAG_TARGETS
from app.ratelimits import flag_limit
from app.security import safe_next
from app.services import moderation, moderation_queue

bp = Blueprint("admin", __name__)


@bp.app_template_global()
def can_flag(post) -> bool:
    """Whether the flag button shows: signed in, someone else's public, visible post."""
    viewer = current_viewer()
    if viewer is None or viewer.is_suspended:
        return False
    author_id = getattr(post, "author_id", None) or getattr(post, "owner_id", None)
    return author_id != viewer.id and is_public_post(post) and not hidden_by_moderators(post)


@bp.app_template_global("hidden_by_moderators")
def _hidden_by_moderators(post) -> bool:
    """Whether a page shows the "Hidden by moderators" banner on this post."""
    return hidden_by_moderators(post)


@bp.app_template_global()
def new_flag_form() -> FlagForm:
    return FlagForm(formdata=None)


@bp.post("/flags")
@flag_limit
def flag():
    """Report a post to the moderators."""
    viewer = current_viewer()
    if viewer is None:
        return redirect(url_for("auth.login", next=request.form.get("next") or None))
    form = FlagForm()
    back = safe_next(form.next.data, url_for("main.index"))
    if not form.validate_on_submit():
        return render_template("admin/flag.html", form=form, back=back), 422
    try:
        moderation.flag(
            viewer,
            form.type.data,
            parse_id(form.id.data),
            form.reason.data,
            form.details.data or "",
        )
    except ValidationFailed as error:
        apply_service_error(form, error)
        return render_template("admin/flag.html", form=form, back=back), 422
    except NotFound:
        raise
    except ServiceError as error:
        flash(error.message, "error")
        return redirect(back)
    flash("Thank you: moderators will review this post.", "success")
    return redirect(back)


@bp.get("/admin/flags")
def flags():
    """Open flags, grouped by post, with hide / dismiss / suspend-author actions."""
    viewer = current_viewer()
    moderation.require_admin(viewer)
    page, _ = page_args(request.args.get("page"))
    return render_template(
        "admin/flags.html",
        queue=moderation_queue.open_flags(viewer, page),
        form=ReasonForm(formdata=None),
        reason_labels=moderation.REASON_LABELS,
    )


def _after_action(message: str):
    flash(message, "success")
    return redirect(safe_next(request.form.get("next"), url_for("admin.flags")))


@bp.post("/admin/posts/<target_type>/<int:target_id>/<action>")
def post_action(target_type: str, target_id: int, action: str):
    """Hide, unhide, or dismiss the flags on a post."""
    viewer = current_viewer()
    moderation.require_admin(viewer)
    if target_type not in FLAG_TARGETS or action not in ("hide", "unhide", "dismiss"):
        abort(404)
    form = ReasonForm()
    if not form.validate_on_submit():
        flash(" ".join(m for ms in form.errors.values() for m in ms), "error")
        return redirect(safe_next(form.next.data, url_for("admin.flags")))
    try:
        getattr(moderation, action)(viewer, target_type, target_id, form.reason.data or "")
    except NotFound:
        raise
    except ServiceError as error:
        flash(error.message, "error")
        return redirect(safe_next(form.next.data, url_for("admin.flags")))
    done = {"hide": "Hidden", "unhide": "Shown again", "dismiss": "Flags dismissed"}[action]
    return _after_action(f"{done}: {target_type} {target_id}.")


@bp.get("/admin/hidden")
def hidden():
    """Posts hidden by moderators, each with an unhide button."""
    viewer = current_viewer()
    moderation.require_admin(viewer)
    page, _ = page_args(request.args.get("page"))
    return render_template(
        "admin/hidden.html",
        posts=moderation_queue.hidden_posts(viewer, page),
        form=ReasonForm(formdata=None),
    )


@bp.route("/admin/users/<username>", methods=["GET", "POST"])
def user(username: str):
    """A user's moderation state and history; suspend (reason required) or unsuspend."""
    viewer = current_viewer()
    moderation.require_admin(viewer)
    overview = moderation_queue.user_overview(viewer, username)
    action = request.form.get("action") if request.method == "POST" else None
    unsuspending = action == "unsuspend" or (action is None and overview["user"].is_suspended)
    form = ReasonForm() if unsuspending else SuspendForm()
    status = 200
    if request.method == "POST":
        if action not in ("suspend", "unsuspend"):
            abort(400, "Choose suspend or unsuspend.")
        if form.validate_on_submit():
            try:
                getattr(moderation, action)(viewer, username, form.reason.data or "")
            except ValidationFailed as error:
                apply_service_error(form, error)
            except NotFound:
                raise
            except ServiceError as error:
                flash(error.message, "error")
                return redirect(url_for("admin.user", username=overview["user"].username))
            else:
                flash("Suspended." if action == "suspend" else "Suspension lifted.", "success")
                return redirect(url_for("admin.user", username=overview["user"].username))
        status = 422
    return render_template("admin/user.html", form=form, **overview), status


@bp.get("/admin/log")
def log():
    """The audit log: every moderator action, newest first."""
    viewer = current_viewer()
    moderation.require_admin(viewer)
    page, _ = page_args(request.args.get("page"))
    actions = moderation_queue.audit_log(viewer, page)
    return render_template(
        "admin/log.html", actions=actions, names=moderation_queue.usernames_for(actions.items)
    )

"""Notifications pages: the list, opening one (a POST marks it read), and "mark all read"."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy.exc import SQLAlchemyError

from app.blueprints.forms import ActionForm, current_viewer
from app.core.errors import NotFound
from app.core.pagination import page_args
from app.services import notification_feed

bp = Blueprint("notifications", __name__)


@bp.get("/notifications")
@login_required
def index():
    """The user's notifications, newest first, each with a one-line description and link."""
    viewer = current_viewer()
    page, _ = page_args(request.args.get("page"))
    unread_only = request.args.get("unread") == "1"
    notes = notification_feed.list_notifications(
        viewer, unread_only=unread_only, page=page, per_page=30, count=False
    )
    return render_template(
        "notifications/index.html",
        notes=notes,
        unread_only=unread_only,
        unread=notification_feed.unread_count(viewer),
        action_form=ActionForm(formdata=None),
    )


def _subject_url(viewer, notification_id: int) -> tuple:
    note = notification_feed.get_notification(viewer, notification_id)
    if note is None:
        raise NotFound("No such notification.")
    item = notification_feed.describe(note, viewer)
    return note, item, item.url or url_for("notifications.index")


@bp.get("/notifications/<int:notification_id>")
@login_required
def open_one(notification_id: int):
    """Follow a notification's link (a GET changes nothing: marking read is a POST)."""
    _, _, url = _subject_url(current_viewer(), notification_id)
    return redirect(url)


@bp.post("/notifications/<int:notification_id>")
@login_required
def open_and_read(notification_id: int):
    """Mark one notification read and follow its link (the list's buttons, no JS needed)."""
    viewer = current_viewer()
    note, item, url = _subject_url(viewer, notification_id)
    if not ActionForm().validate_on_submit():
        flash("The form expired: please try again.", "error")
        return redirect(url_for("notifications.index"))
    if not item.read:
        notification_feed.mark_read(viewer, [note.id])
    return redirect(url)


@bp.post("/notifications/read")
@login_required
def mark_all_read():
    """Mark every notification read."""
    if ActionForm().validate_on_submit():
        notification_feed.mark_read(current_viewer())
        flash("All notifications marked read.", "success")
    else:
        flash("The form expired: please try again.", "error")
    return redirect(url_for("notifications.index"))


@bp.app_template_global()
def unread_notifications() -> int:
    """The signed-in user's unread count, for the nav badge (0 for anonymous readers)."""
    viewer = current_viewer()
    if viewer is None:
        return 0
    try:
        return notification_feed.unread_count(viewer)
    except SQLAlchemyError:
        return 0  # an error page after a failed transaction still renders (without a count)

"""Follow/unfollow buttons, the /following feed and the /mentors directory."""

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required

from app.blueprints.forms import ActionForm, current_viewer
from app.core.pagination import page_args
from app.core.validation import parse_id
from app.ratelimits import follow_limit
from app.security import safe_next
from app.services import follows
from app.services.profiles import MAX_TZ_RANGE, mentor_directory

bp = Blueprint("discovery", __name__)

_TARGET_PAGES = {
    "tag": ("tags.show", "tag"),
    "goal": ("goals.show", "goal_id"),
    "question": ("questions.show", "question_id"),
}


@bp.app_template_global()
def follow_state(target_type: str, key):
    """True/False for the follow button, None when there is nothing to show."""
    return follows.follow_state(current_viewer(), target_type, key)


def _target_url(target_type: str, key) -> str:
    endpoint, arg = _TARGET_PAGES[target_type]
    value = key if target_type == "tag" else parse_id(key)
    values: dict[str, Any] = {arg: value}
    return url_for(endpoint, **values)


@bp.post("/<any(follow, unfollow):action>/<target_type>/<key>")
@follow_limit
@login_required
def follow_action(action: str, target_type: str, key: str):
    """Follow or unfollow a tag, goal or question, then go back where the button was."""
    if target_type not in _TARGET_PAGES:
        abort(404)
    if not ActionForm().validate_on_submit():
        flash("The form expired; please try again.", "error")
        return redirect(safe_next(request.form.get("next"), url_for("discovery.following")))
    if action == "follow":
        follows.follow(current_viewer(), target_type, key)
    else:
        follows.unfollow(current_viewer(), target_type, key)
    flash(
        f"You follow this {target_type} now."
        if action == "follow"
        else f"You no longer follow this {target_type}.",
        "success",
    )
    fallback = (
        url_for("discovery.following") if action == "unfollow" else _target_url(target_type, key)
    )
    return redirect(safe_next(request.form.get("next"), fallback))


@bp.get("/following")
@login_required
def following():
    """Recent public questions and answers in what I follow, and the list of what I follow."""
    viewer = current_viewer()
    page, _ = page_args(request.args.get("page"))
    return render_template(
        "discovery/following.html",
        feed=follows.following_feed(viewer, page=page),
        followed=follows.list_follows(viewer).items,
    )


@bp.get("/mentors")
def mentors():
    """Mentors who are available, filtered by topic, availability, time zone and text."""
    page, _ = page_args(request.args.get("page"))
    results, filters, messages = mentor_directory(request.args, page=page, viewer=current_viewer())
    return render_template(
        "discovery/mentors.html",
        results=results,
        filters=filters,
        messages=messages,
        args=request.args,
        max_tz_range=MAX_TZ_RANGE,
    )

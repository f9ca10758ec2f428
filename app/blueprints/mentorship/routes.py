"""Mentorship pages: the /mentorship dashboard, invites, the lifecycle, the private space."""

from datetime import datetime
from functools import partial
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import login_required

from app.blueprints.forms import ActionForm, apply_service_error, current_viewer
from app.blueprints.goal_page import render_goal
from app.blueprints.goal_page_forms import (
    AgreementForm,
    CheckInForm,
    InviteForm,
    MessageForm,
    NotesForm,
    SummaryForm,
)
from app.core.errors import NotFound, ServiceError, ValidationFailed
from app.core.visibility import can_view_goal, get_goal, get_space_goal
from app.ratelimits import message_limit, posting_limit
from app.services import mentorship, mentorship_board, mentorship_lifecycle, private_space

bp = Blueprint("mentorship", __name__)

REQUEST_ACTIONS = {
    "accept": mentorship.accept,
    "decline": mentorship.decline,
    "withdraw": mentorship.withdraw,
}
LIFECYCLE = {
    "pause": "Mentorship paused.",
    "resume": "Mentorship resumed.",
    "release": "You stepped back from this mentorship.",
    "reopen": "The goal is public again; private-phase content stays private.",
    "complete": "Congratulations: goal achieved.",
}


def _to_goal(goal_id: int, anchor: str | None = None):
    return redirect(url_for("goals.show", goal_id=goal_id, _anchor=anchor))


@bp.get("/mentorship")
@login_required
def dashboard():
    """Both roles at once: invites, live mentorships (next check-in, who owes a reply), past."""
    return render_template(
        "mentorship/dashboard.html",
        board=mentorship_board.board(current_viewer()),
        action_form=ActionForm(formdata=None),
    )


@bp.get("/mentorship/requests/<int:request_id>")
@login_required
def show_request(request_id: int):
    """An invite, with accept/decline (invitee) or withdraw (protégé) buttons."""
    viewer = current_viewer()
    request = mentorship.get_request(viewer, request_id)
    # The goal's title while the invite is pending (the owner shows it to the invitee), then
    # only while the viewer may see the goal (the gate): an invitee who declined loses it
    # once the goal closes with someone else.
    return render_template(
        "mentorship/request.html",
        invite=request,
        goal_visible=(request.pending or can_view_goal(viewer, request.goal)),
        action_form=ActionForm(formdata=None),
    )


@bp.post("/mentorship/requests/<int:request_id>/<action>")
@login_required
def respond(request_id: int, action: str):
    """Accept, decline or withdraw an invite."""
    if action not in REQUEST_ACTIONS:
        raise NotFound("No such action.")
    viewer = current_viewer()
    request = mentorship.get_request(viewer, request_id)
    if ActionForm().validate_on_submit():
        try:
            REQUEST_ACTIONS[action](viewer, request)
        except ServiceError as error:
            flash(error.message, "error")
        else:
            if action == "accept":
                flash("You are now this goal's mentor. Only the two of you can see it.", "success")
                return _to_goal(request.goal_id)
            flash(f"Invite {request.status}.", "success")
    return redirect(url_for("mentorship.dashboard"))


@bp.post("/goals/<int:goal_id>/invite")
@posting_limit
@login_required
def invite(goal_id: int):
    """The owner invites a mentor (the form lists ranked candidates)."""
    viewer = current_viewer()
    goal = get_goal(viewer, goal_id)
    form = InviteForm()
    if form.validate_on_submit():
        try:
            mentorship.invite(viewer, goal, form.mentor.data, form.message.data)
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            flash(f"Invite sent to {form.mentor.data}.", "success")
            return _to_goal(goal.id, "mentorship")
    return render_goal(goal, panel_forms={"invite_form": form}, status=422)


@bp.post("/goals/<int:goal_id>/mentorship/<action>")
@login_required
def lifecycle(goal_id: int, action: str):
    """Pause, resume, release, reopen or complete (with an optional summary)."""
    if action not in LIFECYCLE:
        raise NotFound("No such action.")
    viewer = current_viewer()
    goal = get_goal(viewer, goal_id)
    form = SummaryForm()
    if form.validate_on_submit():
        try:
            if action == "complete":
                mentorship_lifecycle.complete(viewer, goal, form.summary.data or None)
            else:
                getattr(mentorship_lifecycle, action)(viewer, goal)
        except ServiceError as error:
            flash(error.message, "error")
        else:
            flash(LIFECYCLE[action], "success")
            if action == "release":
                return redirect(url_for("mentorship.dashboard"))
    return _to_goal(goal.id, "mentorship")


@bp.post("/goals/<int:goal_id>/summary")
@login_required
def summary(goal_id: int):
    """Publish "what I learned" on an achieved goal."""
    viewer = current_viewer()
    goal = get_goal(viewer, goal_id)
    form = SummaryForm()
    if form.validate_on_submit():
        try:
            mentorship_lifecycle.publish_summary(viewer, goal, form.summary.data)
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            flash("Summary published.", "success")
            return _to_goal(goal.id)
    return render_goal(goal, panel_forms={"summary_form": form}, status=422)


def _space_form(goal_id: int, form_cls, key, save, anchor: str):
    """Shared POST flow of the private space: validate, call the service, or re-render."""
    viewer = current_viewer()
    goal = get_goal(viewer, goal_id)
    form = form_cls()
    if form.validate_on_submit():
        try:
            save(viewer, goal, form)
        except ServiceError as error:
            if not isinstance(error, ValidationFailed):
                flash(error.message, "error")
                return _to_goal(goal.id, anchor)
            apply_service_error(form, error)
        else:
            return _to_goal(goal.id, anchor)
    forms = {key: form} if isinstance(key, str) else key(form)
    return render_goal(goal, panel_forms=forms, status=422)


@bp.get("/goals/<int:goal_id>/messages")
@login_required
def messages(goal_id: int):
    """The private messages the viewer may read, read-only: how a former mentor keeps their
    own phase's thread after release or reopen (SPEC §3.1)."""
    viewer = current_viewer()
    goal = get_space_goal(viewer, goal_id)
    try:
        page = private_space.list_messages(viewer, goal, page=1, per_page=100)
    except ServiceError:
        raise NotFound("No such goal.") from None
    return render_template(
        "mentorship/messages.html",
        goal=goal,
        messages=page,
        goal_visible=can_view_goal(viewer, goal),
    )


@bp.post("/goals/<int:goal_id>/messages")
@message_limit
@login_required
def send_message(goal_id: int):
    """Post to the private thread."""
    return _space_form(
        goal_id,
        MessageForm,
        "message_form",
        lambda user, goal, form: private_space.send_message(user, goal, form.body.data),
        "messages",
    )


@bp.post("/goals/<int:goal_id>/agreement")
@login_required
def agreement(goal_id: int):
    """Save a new version of the mentoring agreement."""
    return _space_form(
        goal_id,
        AgreementForm,
        "agreement_form",
        lambda user, goal, form: private_space.set_agreement(user, goal, form.agreement_data()),
        "agreement",
    )


def _add_checkin(user, goal, form) -> None:
    # The browser sends local time without a zone: it is the viewer's profile time zone.
    local: datetime = form.scheduled_at.data
    when = local.replace(tzinfo=ZoneInfo(user.timezone or "UTC"))
    private_space.add_checkin(user, goal, {"scheduled_at": when, "agenda": form.agenda.data})


@bp.post("/goals/<int:goal_id>/checkins")
@posting_limit
@login_required
def add_checkin(goal_id: int):
    """Plan a check-in."""
    return _space_form(goal_id, CheckInForm, "checkin_form", _add_checkin, "checkins")


@bp.post("/goals/<int:goal_id>/checkins/<int:checkin_id>/notes")
@login_required
def checkin_notes(goal_id: int, checkin_id: int):
    """Write the notes of a check-in afterwards."""
    viewer = current_viewer()
    goal = get_goal(viewer, goal_id)
    checkin = private_space.get_checkin(goal, checkin_id)
    if checkin is None:
        raise NotFound("No such check-in.")
    return _space_form(
        goal_id,
        partial(NotesForm, prefix=f"notes-{checkin.id}"),
        lambda form: {"notes_forms": {checkin.id: form}},
        lambda user, goal, form: private_space.update_checkin(
            user, goal, checkin, {"notes": form.notes.data or ""}
        ),
        "checkins",
    )

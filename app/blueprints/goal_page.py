"""The goal page and its mentorship panel, rendered by the goals and mentorship blueprints."""

from flask import render_template, request

from app.blueprints.forms import ActionForm, current_viewer
from app.blueprints.goal_page_forms import (
    AgreementForm,
    CheckInForm,
    InviteForm,
    JournalForm,
    MessageForm,
    MilestoneForm,
    NotesForm,
    SummaryForm,
)
from app.core.pagination import page_args
from app.core.visibility import is_participant
from app.models.base import utcnow
from app.models.mentorship import MENTORSHIP_ACTIVE
from app.search.similar import similar_to_goal
from app.services import candidates, mentorship, private_space
from app.services import goals as goal_service
from app.services.journey import milestone_line, next_checkin, space_partner
from app.services.questions import list_questions


def _actions(viewer, goal, phase) -> list[tuple[str, str]]:
    """Lifecycle buttons this viewer may press now: (action, label)."""
    if viewer is None:
        return []
    is_owner = viewer.id == goal.owner_id
    if phase is None:
        return (
            [("reopen", "Reopen to the public")] if is_owner and goal.visibility != "open" else []
        )
    if viewer.id not in (phase.protege_id, phase.mentor_id):
        return []
    actions = [("pause", "Pause")] if phase.state == MENTORSHIP_ACTIVE else [("resume", "Resume")]
    if viewer.id == phase.mentor_id:
        actions.append(("release", "Step back as mentor"))
    if is_owner:
        actions.append(("reopen", "Reopen to the public"))
    return actions


def goal_panel(viewer, goal, **forms) -> dict:
    """Template values for the goal page's mentorship sections (forms with errors passed in)."""
    is_owner = viewer is not None and viewer.id == goal.owner_id
    phase = mentorship.current_mentorship(goal)
    panel = {
        "phase": phase,
        "pending": None,
        "candidates": [],
        "space": None,
        "can_invite": False,
        "actions": _actions(viewer, goal, phase),
        "can_publish": is_owner
        and phase is None
        and goal.status == "achieved"
        and goal.summary_published_at is None
        and goal.visibility != "open",
        "invite_form": forms.get("invite_form") or InviteForm(formdata=None),
        "summary_form": forms.get("summary_form") or SummaryForm(formdata=None),
    }
    if is_owner:
        panel["pending"] = mentorship.pending_invite(goal)
        panel["can_invite"] = (
            phase is None
            and goal.status == "active"
            and panel["pending"] is None
            and (goal.visibility == "open" or goal.mentor_id is None)
        )
        if panel["can_invite"]:
            panel["candidates"] = candidates.mentor_candidates(viewer, goal)
    if is_participant(viewer, goal):
        panel["partner"] = space_partner(viewer, goal.owner, goal.mentor)
        panel["now"] = now = utcnow()
        current = private_space.current_agreement(goal)
        agreement_form = forms.get("agreement_form") or AgreementForm(
            formdata=None,
            data={
                "modes": current.mode_list,
                "cadence": current.cadence,
                "response_hours": current.response_hours,
                "success_criteria": current.success_criteria,
            }
            if current
            else None,
        )
        checkins = private_space.list_checkins(viewer, goal)
        notes_forms = forms.get("notes_forms") or {}
        panel["space"] = {
            "messages": private_space.list_messages(viewer, goal, page=1, per_page=100),
            "agreement": current,
            "versions": len(private_space.agreement_versions(goal)),
            "checkins": checkins,
            "next_checkin": next_checkin(checkins, now),
            "history": mentorship.goal_history(goal, viewer),
            "message_form": forms.get("message_form") or MessageForm(formdata=None),
            "agreement_form": agreement_form,
            "checkin_form": forms.get("checkin_form") or CheckInForm(formdata=None),
            "notes_forms": {
                c.id: notes_forms.get(c.id)
                or NotesForm(formdata=None, data={"notes": c.notes}, prefix=f"notes-{c.id}")
                for c in checkins
            },
        }
    return panel


def render_goal(goal, *, milestone_form=None, journal_form=None, panel_forms=None, status=200):
    """The goal page; forms with errors are passed back in to show their messages."""
    viewer = current_viewer()
    page, _ = page_args(request.args.get("page"))
    questions = list_questions(viewer, goal_id=goal.id, page=page)
    is_owner = viewer is not None and viewer.id == goal.owner_id
    contents = goal_service.goal_contents(viewer, goal)
    return render_template(
        "goals/show.html",
        goal=goal,
        questions=questions,
        is_owner=is_owner,
        line=milestone_line(contents["milestones"]),
        **contents,
        m=goal_panel(viewer, goal, **(panel_forms or {})),
        milestone_form=milestone_form or MilestoneForm(formdata=None),
        journal_form=journal_form or JournalForm(formdata=None),
        action_form=ActionForm(formdata=None),
        similar=similar_to_goal(goal),
    ), status

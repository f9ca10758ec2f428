"""What the goal page shows about mentorship, for one viewer (assembled from services)."""

from app.blueprints.mentorship.forms import (
    AgreementForm,
    CheckInForm,
    InviteForm,
    MessageForm,
    NotesForm,
    SummaryForm,
)
from app.core.visibility import is_participant
from app.models.base import utcnow
from app.services import candidates, mentorship, private_space
from app.services.journey import next_checkin, space_partner


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
    actions = [("pause", "Pause")] if phase.state == "active" else [("resume", "Resume")]
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

"""The closed goal's private space: messages, the mentoring agreement, check-ins.

Callers fetch the goal through the visibility gate first (non-participants get 404 there);
these functions then require a mentorship in progress and one of its two parties. The owner
reads every phase's messages; a mentor reads only their own phase's, also after release or
reopen (read-only, forever: SPEC §3.1).
"""

from datetime import UTC, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from app.core import validation as v
from app.core.errors import Conflict, Forbidden, ValidationFailed
from app.core.pagination import Page, paginate
from app.core.transaction import write_transaction
from app.core.visibility import mentored
from app.extensions import db
from app.models import Agreement, CheckIn, Goal, Mentorship, Message, User
from app.models.base import utcnow
from app.models.goals import VISIBILITY_OPEN
from app.models.mentorship import MENTORSHIP_ENDED
from app.rendering import render_markdown
from app.services.blocks import blocked
from app.services.notifications import notify
from app.services.phases import live_mentorship


def _private_html(text: str) -> str:
    """Everything here is private: images load from this site only (no tracking pixels)."""
    return render_markdown(text, private=True)


def require_party(user: User, goal: Goal) -> Mentorship:
    """The goal's mentorship in progress, if user is its protégé or mentor."""
    if goal.visibility == VISIBILITY_OPEN:
        raise Conflict("Messages, agreements and check-ins belong to a closed mentorship.")
    mentorship = live_mentorship(db.session, goal.id)
    if mentorship is None:
        raise Conflict("This goal has no mentorship in progress.")
    if user is None or user.id not in (mentorship.protege_id, mentorship.mentor_id):
        raise Forbidden("Only the protégé and the mentor can do that.")
    return mentorship


def can_read_space_item(user: User | None, mentorship: Mentorship | None) -> bool:
    """Whether a message or check-in of this phase is readable by the user now.

    For notifications: the goal's owner or its current mentor, and (for a mentor) only the
    phases they mentored themselves. (A former mentor still reads their phase's thread
    through ``list_messages``, on a page that does not name a goal closed to them.)
    """
    if user is None or mentorship is None:
        return False
    goal = db.session.get(Goal, mentorship.goal_id)
    return (
        goal is not None
        and user.id in (goal.owner_id, goal.mentor_id)
        and user.id in (goal.owner_id, mentorship.mentor_id)
    )


def _may_read_space(user: User | None, goal: Goal) -> bool:
    """The owner, the current mentor, or a former mentor (their own phases only)."""
    return user is not None and (user.id in (goal.owner_id, goal.mentor_id) or mentored(user, goal))


def _phases_visible_to(user: User, goal: Goal):
    """SQL: the mentorships of this goal whose private space the user may read."""
    query = select(Mentorship.id).where(Mentorship.goal_id == goal.id)
    if user.id != goal.owner_id:
        query = query.where(Mentorship.mentor_id == user.id)
    return query


# -- messages -------------------------------------------------------------------------------


def send_message(user: User, goal: Goal, body) -> Message:
    """A private message to the other party (1–5,000 characters, Markdown)."""
    mentorship = require_party(user, goal)
    other = mentorship.mentor_id if user.id == mentorship.protege_id else mentorship.protege_id
    if blocked(other, user.id):
        raise Forbidden("The other party has blocked you: messages are off.")
    errors = v.FieldErrors()
    body = errors.check(
        "body", v.check_body, body, max_length=v.PRIVATE_MESSAGE_MAX, label="Message"
    )
    errors.raise_if_any()
    with write_transaction() as session:
        message = Message(
            mentorship_id=mentorship.id,
            goal_id=goal.id,
            sender_id=user.id,
            body=body,
            body_html=_private_html(body),
        )
        session.add(message)
        session.flush()
        notify(session, other, "message", "message", message.id, actor_id=user.id)
    return message


def list_messages(user: User, goal: Goal, page: int = 1, per_page: int = 50) -> Page:
    """The private thread(s) of this goal the user took part in, oldest first."""
    if not _may_read_space(user, goal):
        raise Forbidden("Only the protégé and the mentor can read messages.")
    query = select(Message).where(
        Message.goal_id == goal.id, Message.mentorship_id.in_(_phases_visible_to(user, goal))
    )
    return paginate(query.order_by(Message.created_at, Message.id), page, per_page)


# -- agreement ------------------------------------------------------------------------------


def current_agreement(goal: Goal) -> Agreement | None:
    """The latest version of the agreement of the goal's mentorship in progress."""
    mentorship = live_mentorship(db.session, goal.id)
    if mentorship is None:
        return None
    return db.session.scalar(
        select(Agreement)
        .where(Agreement.mentorship_id == mentorship.id)
        .order_by(Agreement.version.desc())
        .limit(1)
    )


def agreement_versions(goal: Goal) -> list[Agreement]:
    """Every version of the current mentorship's agreement, newest first."""
    mentorship = live_mentorship(db.session, goal.id)
    if mentorship is None:
        return []
    return list(
        db.session.scalars(
            select(Agreement)
            .where(Agreement.mentorship_id == mentorship.id)
            .order_by(Agreement.version.desc())
        )
    )


def set_agreement(user: User, goal: Goal, data: dict) -> Agreement:
    """Write a new version of the agreement: modes, cadence, response time, success."""
    mentorship = require_party(user, goal)
    errors = v.FieldErrors()
    for name in set(data) - {"modes", "cadence", "response_hours", "success_criteria"}:
        errors.add(name, "Unknown field.")
    modes = errors.check("modes", v.check_modes, data.get("modes"))
    if modes == []:
        errors.add("modes", "Choose at least one way to meet.")
    cadence = errors.check(
        "cadence", v.clean_text, data.get("cadence"), max_length=v.CADENCE_MAX, label="Cadence"
    )
    if cadence == "":
        errors.add("cadence", "Say how often you will meet.")
    hours = errors.check("response_hours", v.check_response_time, data.get("response_hours"))
    if hours is None and "response_hours" not in errors.fields:
        errors.add("response_hours", "Agree on an expected response time in hours.")
    criteria = errors.check(
        "success_criteria",
        v.check_body,
        data.get("success_criteria"),
        max_length=v.CRITERIA_MAX,
        label="Success criteria",
    )
    errors.raise_if_any()
    try:
        with write_transaction() as session:
            version = (
                session.scalar(
                    select(func.coalesce(func.max(Agreement.version), 0)).where(
                        Agreement.mentorship_id == mentorship.id
                    )
                )
                or 0
            ) + 1
            agreement = Agreement(
                mentorship_id=mentorship.id,
                version=version,
                author_id=user.id,
                modes=",".join(modes),
                cadence=cadence,
                response_hours=hours,
                success_criteria=criteria,
                success_html=_private_html(criteria),
            )
            session.add(agreement)
    except IntegrityError:
        # The other party saved a version at the same moment: theirs stays, nothing merges.
        raise Conflict(
            "The agreement was just changed by the other party: reload and try again."
        ) from None
    return agreement


# -- check-ins ------------------------------------------------------------------------------


def _check_when(value) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValidationFailed(
                "Use an ISO 8601 date and time, e.g. 2027-01-31T17:00Z."
            ) from None
    if not isinstance(value, datetime):
        raise ValidationFailed("Use an ISO 8601 date and time, e.g. 2027-01-31T17:00Z.")
    if value.tzinfo is None:
        raise ValidationFailed("Give the time zone (e.g. Z or +01:00).")
    return value.astimezone(UTC)


def add_checkin(user: User, goal: Goal, data: dict) -> CheckIn:
    """Plan a check-in {scheduled_at, agenda} (notes are written afterwards)."""
    mentorship = require_party(user, goal)
    errors = v.FieldErrors()
    for name in set(data) - {"scheduled_at", "agenda", "notes"}:
        errors.add(name, "Unknown field.")
    when = errors.check("scheduled_at", _check_when, data.get("scheduled_at"))
    agenda = errors.check(
        "agenda", v.check_body, data.get("agenda"), max_length=v.AGENDA_MAX, label="Agenda"
    )
    notes = errors.check(
        "notes",
        v.check_body,
        data.get("notes") or "",
        min_length=0,
        max_length=v.NOTES_MAX,
        label="Notes",
    )
    errors.raise_if_any()
    with write_transaction() as session:
        checkin = CheckIn(
            mentorship_id=mentorship.id,
            author_id=user.id,
            scheduled_at=when,
            agenda=agenda,
            agenda_html=_private_html(agenda),
            notes=notes,
            notes_html=_private_html(notes) if notes else "",
        )
        session.add(checkin)
    return checkin


def update_checkin(user: User, goal: Goal, checkin: CheckIn, data: dict) -> CheckIn:
    """Move a check-in, change its agenda, or write the notes afterwards."""
    mentorship = require_party(user, goal)
    if checkin.mentorship_id != mentorship.id:
        raise Conflict("This check-in belongs to an earlier mentorship.")
    errors = v.FieldErrors()
    for name in set(data) - {"scheduled_at", "agenda", "notes"}:
        errors.add(name, "Unknown field.")
    clean = {}
    if "scheduled_at" in data:
        clean["scheduled_at"] = errors.check("scheduled_at", _check_when, data["scheduled_at"])
    if "agenda" in data:
        clean["agenda"] = errors.check(
            "agenda", v.check_body, data["agenda"], max_length=v.AGENDA_MAX, label="Agenda"
        )
    if "notes" in data:
        clean["notes"] = errors.check(
            "notes",
            v.check_body,
            data["notes"],
            min_length=0,
            max_length=v.NOTES_MAX,
            label="Notes",
        )
    errors.raise_if_any()
    with write_transaction():
        if "scheduled_at" in clean:
            checkin.scheduled_at = clean["scheduled_at"]
        if "agenda" in clean:
            checkin.agenda, checkin.agenda_html = clean["agenda"], _private_html(clean["agenda"])
        if "notes" in clean:
            checkin.notes = clean["notes"]
            checkin.notes_html = _private_html(clean["notes"]) if clean["notes"] else ""
        checkin.updated_at = utcnow()
    return checkin


def list_checkins(user: User, goal: Goal) -> list[CheckIn]:
    """The goal's check-ins the user took part in, by date."""
    if not _may_read_space(user, goal):
        raise Forbidden("Only the protégé and the mentor can see check-ins.")
    return list(
        db.session.scalars(
            select(CheckIn)
            .where(CheckIn.mentorship_id.in_(_phases_visible_to(user, goal)))
            .order_by(CheckIn.scheduled_at, CheckIn.id)
        )
    )


def get_checkin(goal: Goal, checkin_id) -> CheckIn | None:
    """A check-in of this goal's mentorships (the caller checked the goal), or None."""
    if not isinstance(checkin_id, int) or isinstance(checkin_id, bool):
        return None
    return db.session.scalar(
        select(CheckIn)
        .join(Mentorship)
        .where(CheckIn.id == checkin_id, Mentorship.goal_id == goal.id)
    )


def upcoming_checkins(user: User, limit: int = 10) -> list[CheckIn]:
    """Check-ins from now on in the user's mentorships in progress."""
    return list(
        db.session.scalars(
            select(CheckIn)
            .join(Mentorship)
            .where(
                Mentorship.state != MENTORSHIP_ENDED,
                CheckIn.scheduled_at >= utcnow(),
                or_(Mentorship.protege_id == user.id, Mentorship.mentor_id == user.id),
            )
            .order_by(CheckIn.scheduled_at)
            .limit(limit)
        )
    )

"""View data for the /mentorship dashboard: one row per mentorship, for either role.

"Who owes a reply" is decided here once (``reply_status``) and used by both the dashboard and
the nudges (app/services/nudges.py): the party who did not send the latest private message
owes the next one, within the agreement's response time; paused time does not count.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select

from app.core.visibility import can_view_goal
from app.extensions import db
from app.models import (
    Agreement,
    CheckIn,
    Goal,
    GoalEvent,
    Mentorship,
    MentorshipRequest,
    Message,
    User,
)
from app.models.base import utcnow
from app.models.goals import VISIBILITY_OPEN
from app.models.mentorship import MENTORSHIP_ACTIVE, MENTORSHIP_ENDED, REQUEST_PENDING

PAST_LIMIT = 50


@dataclass
class ReplyStatus:
    """Whose turn it is in a mentorship's private thread, and by when."""

    owed_by_id: int
    message: Message
    hours: int
    due_at: datetime
    overdue: bool


def agreed_response_hours(mentorship: Mentorship) -> int | None:
    """The expected response time of the latest agreement version, if any."""
    return db.session.scalar(
        select(Agreement.response_hours)
        .where(Agreement.mentorship_id == mentorship.id)
        .order_by(Agreement.version.desc())
        .limit(1)
    )


def reply_status(mentorship: Mentorship, now: datetime | None = None) -> ReplyStatus | None:
    """Who owes the next message (the other party of its sender) and its due time.

    None without an agreed response time, without messages, or when the latest message was
    sent by someone who is no longer a party.
    """
    now = now or utcnow()
    hours = agreed_response_hours(mentorship)
    if not hours:
        return None
    latest = db.session.scalars(
        select(Message)
        .where(Message.mentorship_id == mentorship.id)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(1)
    ).first()
    if latest is None:
        return None
    parties = {
        mentorship.protege_id: mentorship.mentor_id,
        mentorship.mentor_id: mentorship.protege_id,
    }
    if latest.sender_id not in parties:
        return None
    waiting_since = latest.created_at
    resumed = db.session.scalar(
        select(func.max(GoalEvent.created_at)).where(
            GoalEvent.mentorship_id == mentorship.id, GoalEvent.kind == "resumed"
        )
    )
    if resumed is not None and resumed > waiting_since:
        waiting_since = resumed
    due = waiting_since + timedelta(hours=hours)
    return ReplyStatus(
        parties[latest.sender_id],
        latest,
        hours,
        due,
        mentorship.state == MENTORSHIP_ACTIVE and now > due,
    )


@dataclass
class BoardRow:
    """One mentorship as the dashboard shows it to one of its two people."""

    mentorship: Mentorship
    role: str  # "mentor" or "protégé": the viewer's role
    partner: User
    goal_visible: bool
    next_checkin: CheckIn | None
    reply: ReplyStatus | None
    you_owe: bool


def _next_checkins(ids: list[int], now: datetime) -> dict[int, CheckIn]:
    found: dict[int, CheckIn] = {}
    if not ids:
        return found
    for checkin in db.session.scalars(
        select(CheckIn)
        .where(CheckIn.mentorship_id.in_(ids), CheckIn.scheduled_at >= now)
        .order_by(CheckIn.scheduled_at, CheckIn.id)
    ):
        found.setdefault(checkin.mentorship_id, checkin)
    return found


def board(user: User, now: datetime | None = None) -> dict:
    """Rows for the dashboard: live mentorships (both roles), past ones, invites in and out."""
    now = now or utcnow()
    mine = list(
        db.session.scalars(
            select(Mentorship)
            .where(or_(Mentorship.protege_id == user.id, Mentorship.mentor_id == user.id))
            .order_by(Mentorship.started_at.desc(), Mentorship.id.desc())
        )
    )
    live = [m for m in mine if m.state != MENTORSHIP_ENDED]
    upcoming = _next_checkins([m.id for m in live], now)
    rows = []
    for m in live:
        is_mentor = m.mentor_id == user.id
        reply = reply_status(m, now)
        # A goal hidden by moderators is not the mentor's to read: no title (rule 3).
        rows.append(
            BoardRow(
                m,
                "mentor" if is_mentor else "protégé",
                m.protege if is_mentor else m.mentor,
                can_view_goal(user, m.goal),
                upcoming.get(m.id),
                reply,
                reply is not None and reply.owed_by_id == user.id,
            )
        )
    # Whoever owes a reply sees that mentorship first; then the soonest check-in.
    rows.sort(
        key=lambda r: (
            not r.you_owe,
            r.mentorship.state != MENTORSHIP_ACTIVE,
            r.next_checkin is None,
            r.next_checkin.scheduled_at.timestamp() if r.next_checkin else 0,
        )
    )
    past = []
    for m in [m for m in mine if m.state == MENTORSHIP_ENDED][:PAST_LIMIT]:
        is_mentor = m.mentor_id == user.id
        # A goal the viewer may no longer see is listed without its title (rule 2).
        past.append(
            BoardRow(
                m,
                "mentor" if is_mentor else "protégé",
                m.protege if is_mentor else m.mentor,
                can_view_goal(user, m.goal),
                None,
                None,
                False,
            )
        )
    pending = (
        select(MentorshipRequest)
        .where(MentorshipRequest.status == REQUEST_PENDING, MentorshipRequest.expires_at > now)
        .order_by(MentorshipRequest.created_at.desc())
    )
    return {
        "live": rows,
        "past": past,
        "invites_in": list(
            db.session.scalars(pending.where(MentorshipRequest.mentor_id == user.id))
        ),
        "invites_out": list(
            db.session.scalars(pending.where(MentorshipRequest.protege_id == user.id))
        ),
        "owed_by_you": sum(r.you_owe for r in rows),
        "open_goals": list(
            db.session.scalars(
                select(Goal)
                .where(
                    Goal.owner_id == user.id,
                    Goal.visibility == VISIBILITY_OPEN,
                    Goal.status == "active",
                )
                .order_by(Goal.created_at.desc())
                .limit(PAST_LIMIT)
            )
        ),
    }

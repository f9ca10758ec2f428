"""Nudges and check-in reminders for closed mentorships (run from cron: `flask notify nudges`).

- Nudge: in a live mentorship (active, not paused) with an agreement, when the latest
  message has waited longer than the agreed ``response_hours`` without a reply, the party
  who owes the reply gets one "nudge" notification. The dedupe key names the message, so a
  message nudges once, however often this runs; the next message starts a new wait.
  Time spent paused does not count: the wait starts at the latest resume if that is later.
- Check-in reminder: a check-in of an active mentorship due within the next day gives both
  parties one "checkin_soon" notification (dedupe per check-in, its time, and user: a
  check-in moved to another day reminds again).

Notifications go through ``notify`` inside a write transaction, so a concurrent run that
races on the same key loses on the (user, dedupe_key) unique constraint and changes nothing.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.core.transaction import write_transaction
from app.extensions import db
from app.models import CheckIn, Mentorship, Message
from app.models.base import utcnow
from app.models.mentorship import MENTORSHIP_ACTIVE
from app.services.mentorship_board import reply_status
from app.services.notifications import notify

REMIND_BEFORE = timedelta(days=1)


@dataclass
class NudgeReport:
    nudges: int = 0
    reminders: int = 0

    def __str__(self) -> str:
        return f"{self.nudges} nudges, {self.reminders} check-in reminders"


def _owed_reply(mentorship: Mentorship, now: datetime) -> tuple[int, Message] | None:
    """(who owes a reply, the message waiting) when the agreed response time has passed."""
    status = reply_status(mentorship, now)
    if status is None or not status.overdue:
        return None
    return status.owed_by_id, status.message


def _notify_once(
    user_id: int, kind: str, subject_type: str, subject_id: int, actor_id: int | None, key: str
) -> bool:
    try:
        with write_transaction() as session:
            return notify(
                session, user_id, kind, subject_type, subject_id, actor_id=actor_id, dedupe_key=key
            )
    except IntegrityError:
        return False  # a concurrent run created it a moment ago


def run_nudges(now: datetime | None = None) -> NudgeReport:
    """Create the due nudges and check-in reminders; safe to run as often as you like."""
    now = now or utcnow()
    report = NudgeReport()
    active = list(
        db.session.scalars(
            select(Mentorship).where(Mentorship.state == MENTORSHIP_ACTIVE).order_by(Mentorship.id)
        )
    )
    for mentorship in active:
        owed = _owed_reply(mentorship, now)
        if owed is not None:
            user_id, message = owed
            if _notify_once(
                user_id,
                "nudge",
                "message",
                message.id,
                message.sender_id,
                f"nudge:message:{message.id}",
            ):
                report.nudges += 1
    soon = list(
        db.session.scalars(
            select(CheckIn)
            .join(Mentorship, CheckIn.mentorship_id == Mentorship.id)
            .where(
                Mentorship.state == MENTORSHIP_ACTIVE,
                CheckIn.scheduled_at > now,
                CheckIn.scheduled_at <= now + REMIND_BEFORE,
            )
            .order_by(CheckIn.scheduled_at, CheckIn.id)
        )
    )
    for checkin in soon:
        phase = db.session.get(Mentorship, checkin.mentorship_id)
        stamp = checkin.scheduled_at.strftime("%Y%m%dT%H%M")
        for user_id in (phase.protege_id, phase.mentor_id):  # type: ignore[union-attr]  # FK
            if _notify_once(
                user_id,
                "checkin_soon",
                "checkin",
                checkin.id,
                None,
                f"checkin_soon:{checkin.id}:{stamp}",
            ):
                report.reminders += 1
    db.session.commit()
    return report

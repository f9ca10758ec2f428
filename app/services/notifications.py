"""Notifications: created inside the write transaction of the event that causes them.

``notify`` is the one way to create one. It never notifies people about their own actions
or about actions of someone they blocked, and ``dedupe_key`` makes one-off events (a nudge,
a check-in reminder) idempotent. Whoever lists or mails notifications re-checks each
subject through the visibility gate at that moment.
"""

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Notification, User
from app.models.social import NOTIFICATION_KINDS, SUBJECT_TYPES
from app.services.blocks import blocked


def notify(
    session: Session,
    user_id: int,
    kind: str,
    subject_type: str,
    subject_id: int,
    *,
    actor_id: int | None = None,
    dedupe_key: str | None = None,
) -> bool:
    """Queue one notification for user_id; returns False when none was created."""
    if kind not in NOTIFICATION_KINDS or subject_type not in SUBJECT_TYPES:
        raise ValueError(f"unknown notification {kind!r} about {subject_type!r}")
    if user_id == actor_id or (actor_id is not None and blocked(user_id, actor_id)):
        return False
    if dedupe_key is not None and session.scalar(
        select(Notification.id).where(
            Notification.user_id == user_id, Notification.dedupe_key == dedupe_key
        )
    ):
        return False
    recipient = session.execute(
        select(User.email_mode, User.deleted_at).where(User.id == user_id)
    ).first()
    if recipient is not None and recipient.deleted_at is not None:
        return False  # a deleted account reads nothing: its notifications were removed
    mode = recipient.email_mode if recipient is not None else None
    session.add(
        Notification(
            user_id=user_id,
            kind=kind,
            subject_type=subject_type,
            subject_id=subject_id,
            actor_id=actor_id,
            dedupe_key=dedupe_key,
            email_state="skipped" if mode in (None, "off") else "pending",
        )
    )
    return True

"""Notifications (in-app and email), follows, and invitations to answer a question."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.models.base import UTCDateTime, utcnow
from app.models.users import User

NOTIFICATION_KINDS = (
    "answer",
    "comment",
    "helpful",
    "invite",
    "invite_accepted",
    "invite_declined",
    "invite_withdrawn",
    "message",
    "checkin_soon",
    "answer_invitation",
    "followed_answer",
    "nudge",
    "mention",
)
SUBJECT_TYPES = ("question", "answer", "comment", "goal", "request", "message", "checkin")
EMAIL_STATES = ("pending", "sent", "skipped")
FOLLOW_TARGETS = ("tag", "goal", "question")


class Notification(Model):
    """Something that happened for one user; read in-app, and mailed per their preference.

    ``subject_type``/``subject_id`` name what it is about; whoever renders it re-checks the
    subject through the visibility gate, so a notification never shows what its reader may
    no longer see. ``dedupe_key`` makes "only once" events (nudges, reminders) idempotent.
    """

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    subject_type: Mapped[str] = mapped_column(String(10))
    subject_id: Mapped[int] = mapped_column(Integer)
    dedupe_key: Mapped[str | None] = mapped_column(String(100), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Email: "pending" until sent (immediately or in a digest) or "skipped" (mail off).
    email_state: Mapped[str] = mapped_column(String(10), default="pending")
    email_attempts: Mapped[int] = mapped_column(Integer, default=0)
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id], lazy="joined")

    __table_args__ = (
        Index("ix_notifications_user_id_created_at", "user_id", "created_at"),
        Index("ix_notifications_email_state", "email_state"),
        UniqueConstraint("user_id", "dedupe_key"),
    )


class Follow(Model):
    """A user following a tag, a goal or a question."""

    __tablename__ = "follows"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    target_type: Mapped[str] = mapped_column(String(10), primary_key=True)
    target_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_follows_target", "target_type", "target_id"),
        CheckConstraint("target_type IN ('tag', 'goal', 'question')", name="target_type"),
    )


class AnswerInvitation(Model):
    """The asker invited this user to answer a public question (at most 5 per question)."""

    __tablename__ = "answer_invitations"

    question_id: Mapped[int] = mapped_column(
        ForeignKey("questions.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    invited_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")

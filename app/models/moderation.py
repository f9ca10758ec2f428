"""Safety: flags raised on posts, and the audit log of what moderators did."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.models.base import UTCDateTime, utcnow
from app.models.users import User

FLAG_TARGETS = ("goal", "question", "answer", "comment")
FLAG_REASONS = ("spam", "abuse", "off_topic", "privacy", "other")
FLAG_STATES = ("open", "dismissed", "actioned")
MODERATION_ACTIONS = ("hide", "unhide", "dismiss", "suspend", "unsuspend")


class Flag(Model):
    """One user's report that a post breaks the rules; reviewed in /admin/flags."""

    __tablename__ = "flags"

    id: Mapped[int] = mapped_column(primary_key=True)
    target_type: Mapped[str] = mapped_column(String(10))
    target_id: Mapped[int] = mapped_column(Integer)
    reporter_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    reason: Mapped[str] = mapped_column(String(20))
    details: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(10), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    reporter: Mapped[User | None] = relationship(foreign_keys=[reporter_id])
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])

    __table_args__ = (
        # One flag per reporter and post: flagging twice is refused, not counted twice.
        UniqueConstraint("target_type", "target_id", "reporter_id"),
        Index("ix_flags_status_created_at", "status", "created_at"),
    )


class ModerationAction(Model):
    """Audit log: one row per moderator action, never edited or deleted."""

    __tablename__ = "moderation_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    moderator_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    action: Mapped[str] = mapped_column(String(12))
    target_type: Mapped[str] = mapped_column(String(10))  # goal/question/answer/comment/user/flag
    target_id: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    moderator: Mapped[User | None] = relationship()

"""Closed mentorships: invites, the mentorship phases of a goal, and their private space."""

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.models.base import UTCDateTime, utcnow
from app.models.goals import Goal
from app.models.users import User

REQUEST_PENDING = "pending"
REQUEST_ACCEPTED = "accepted"
REQUEST_DECLINED = "declined"
REQUEST_WITHDRAWN = "withdrawn"
REQUEST_EXPIRED = "expired"
REQUEST_STATUSES = (
    REQUEST_PENDING,
    REQUEST_ACCEPTED,
    REQUEST_DECLINED,
    REQUEST_WITHDRAWN,
    REQUEST_EXPIRED,
)
MENTORSHIP_ACTIVE = "active"
MENTORSHIP_PAUSED = "paused"
MENTORSHIP_ENDED = "ended"
MENTORSHIP_STATES = (MENTORSHIP_ACTIVE, MENTORSHIP_PAUSED, MENTORSHIP_ENDED)
END_COMPLETED = "completed"
END_RELEASED = "released"
END_REOPENED = "reopened"
END_REASONS = (END_COMPLETED, END_RELEASED, END_REOPENED)


class MentorshipRequest(Model):
    """An owner's invite to one user to mentor a goal one-to-one."""

    __tablename__ = "mentorship_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goals.id", ondelete="CASCADE"), index=True)
    protege_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    mentor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    message: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default=REQUEST_PENDING)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    goal: Mapped[Goal] = relationship(lazy="joined")
    protege: Mapped[User] = relationship(foreign_keys=[protege_id], lazy="joined")
    mentor: Mapped[User] = relationship(foreign_keys=[mentor_id], lazy="joined")

    __table_args__ = (
        # One pending invite per goal, enforced by the database (two tabs, two workers).
        Index(
            "uq_mentorship_requests_pending_goal",
            "goal_id",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
        CheckConstraint(
            "status IN ('pending', 'accepted', 'declined', 'withdrawn', 'expired')", name="status"
        ),
    )

    @property
    def pending(self) -> bool:
        """Still waiting for an answer."""
        return self.status == REQUEST_PENDING


class Mentorship(Model):
    """One closed phase of a goal with one mentor, from accept until it ends."""

    __tablename__ = "mentorships"

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goals.id", ondelete="CASCADE"), index=True)
    protege_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    mentor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("mentorship_requests.id"), nullable=True
    )
    state: Mapped[str] = mapped_column(String(10), default=MENTORSHIP_ACTIVE)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    paused_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    end_reason: Mapped[str | None] = mapped_column(String(10), nullable=True)

    goal: Mapped[Goal] = relationship(lazy="joined")
    protege: Mapped[User] = relationship(foreign_keys=[protege_id], lazy="joined")
    mentor: Mapped[User] = relationship(foreign_keys=[mentor_id], lazy="joined")

    __table_args__ = (
        # At most one mentorship per goal that has not ended.
        Index(
            "uq_mentorships_live_goal",
            "goal_id",
            unique=True,
            sqlite_where=text("state <> 'ended'"),
            postgresql_where=text("state <> 'ended'"),
        ),
        CheckConstraint("state IN ('active', 'paused', 'ended')", name="state"),
    )

    @property
    def live(self) -> bool:
        """Active or paused (not ended)."""
        return self.state != MENTORSHIP_ENDED

    @property
    def paused(self) -> bool:
        return self.state == MENTORSHIP_PAUSED


class GoalEvent(Model):
    """The goal's visibility and mentor history: closed, paused, resumed, ended, reopened."""

    __tablename__ = "goal_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goals.id", ondelete="CASCADE"), index=True)
    mentorship_id: Mapped[int | None] = mapped_column(
        ForeignKey("mentorships.id", ondelete="CASCADE"), nullable=True
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    kind: Mapped[str] = mapped_column(String(20))
    visibility: Mapped[str] = mapped_column(String(10))  # the goal's visibility afterwards
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[User | None] = relationship(lazy="joined")


class Message(Model):
    """A private message between protégé and mentor during a mentorship."""

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    mentorship_id: Mapped[int] = mapped_column(
        ForeignKey("mentorships.id", ondelete="CASCADE"), index=True
    )
    goal_id: Mapped[int] = mapped_column(ForeignKey("goals.id", ondelete="CASCADE"))
    sender_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    sender: Mapped[User] = relationship(lazy="joined")


class Agreement(Model):
    """One version of the mentoring agreement; edits add versions, none is overwritten."""

    __tablename__ = "agreements"

    id: Mapped[int] = mapped_column(primary_key=True)
    mentorship_id: Mapped[int] = mapped_column(
        ForeignKey("mentorships.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    modes: Mapped[str] = mapped_column(String(100))  # comma-separated CONTACT_MODES
    cadence: Mapped[str] = mapped_column(String(200))
    response_hours: Mapped[int] = mapped_column(Integer)
    success_criteria: Mapped[str] = mapped_column(Text)
    success_html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User] = relationship(lazy="joined")

    __table_args__ = (UniqueConstraint("mentorship_id", "version"),)

    @property
    def mode_list(self) -> list[str]:
        return [m for m in self.modes.split(",") if m]


class CheckIn(Model):
    """A planned conversation: when, the agenda, and notes written afterwards."""

    __tablename__ = "checkins"

    id: Mapped[int] = mapped_column(primary_key=True)
    mentorship_id: Mapped[int] = mapped_column(
        ForeignKey("mentorships.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    scheduled_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    agenda: Mapped[str] = mapped_column(Text)
    agenda_html: Mapped[str] = mapped_column(Text)
    notes: Mapped[str] = mapped_column(Text, default="")
    notes_html: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User] = relationship(lazy="joined")

"""Goals with their milestones and progress journal."""

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, Column, Date, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model, db
from app.models.base import UTCDateTime, utcnow
from app.models.tags import Tag
from app.models.users import User

if TYPE_CHECKING:  # models/mentorship.py imports this module (a cycle at run time)
    from app.models.mentorship import Mentorship

VISIBILITY_OPEN, VISIBILITY_CLOSED = "open", "closed"
STATUSES = ("active", "achieved", "abandoned")

goal_tags = Table(
    "goal_tags",
    db.metadata,
    Column("goal_id", ForeignKey("goals.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Goal(Model):
    """Something a protégé wants to achieve, broadcast in public (until closed)."""

    __tablename__ = "goals"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(150))
    description: Mapped[str] = mapped_column(Text, default="")
    description_html: Mapped[str] = mapped_column(Text, default="")
    target_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    visibility: Mapped[str] = mapped_column(String(10), default=VISIBILITY_OPEN)
    status: Mapped[str] = mapped_column(String(12), default="active")
    mentor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Status and target date as the public last saw them, kept from the moment the goal
    # closes: reopening restores them, so changes made inside the mentorship stay private.
    public_status: Mapped[str | None] = mapped_column(String(12), nullable=True)
    public_target_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    # "What I learned", published by the owner when the mentorship completes (public).
    summary: Mapped[str | None] = mapped_column(Text, nullable=True)
    summary_html: Mapped[str | None] = mapped_column(Text, nullable=True)
    summary_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Hidden by a moderator: gone from every public surface and the index (the gate).
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    owner: Mapped[User] = relationship(foreign_keys=[owner_id], lazy="joined")
    mentor: Mapped[User | None] = relationship(foreign_keys=[mentor_id])
    tags: Mapped[list[Tag]] = relationship(secondary=goal_tags, order_by=Tag.name, lazy="selectin")
    milestones: Mapped[list["Milestone"]] = relationship(
        back_populates="goal", order_by="Milestone.position", cascade="all, delete-orphan"
    )
    journal: Mapped[list["JournalEntry"]] = relationship(
        back_populates="goal", order_by="JournalEntry.created_at", cascade="all, delete-orphan"
    )

    # Public goal lists filter on visibility and sort by created_at: one index does both.
    __table_args__ = (Index("ix_goals_visibility_created_at", "visibility", "created_at"),)


class Milestone(Model):
    """An ordered step towards a goal, done or not."""

    __tablename__ = "milestones"

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goals.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(150))
    due_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when created while the goal was closed: then private to that mentorship forever.
    mentorship_id: Mapped[int | None] = mapped_column(
        ForeignKey("mentorships.id"), nullable=True, index=True
    )

    goal: Mapped[Goal] = relationship(back_populates="milestones")
    private_to: Mapped["Mentorship | None"] = relationship()


class JournalEntry(Model):
    """A progress update on a goal: what was tried, what happened."""

    __tablename__ = "journal_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goals.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when created while the goal was closed: then private to that mentorship forever.
    mentorship_id: Mapped[int | None] = mapped_column(
        ForeignKey("mentorships.id"), nullable=True, index=True
    )

    goal: Mapped[Goal] = relationship(back_populates="journal")
    author: Mapped[User] = relationship(lazy="joined")
    private_to: Mapped["Mentorship | None"] = relationship()

"""Questions, answers, comments, votes, helped-me marks, outcomes and revisions."""

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model, db
from app.models.base import UTCDateTime, utcnow
from app.models.goals import Goal
from app.models.tags import Tag
from app.models.users import User

if TYPE_CHECKING:  # models/mentorship.py imports this module (a cycle at run time)
    from app.models.mentorship import Mentorship

question_tags = Table(
    "question_tags",
    db.metadata,
    Column("question_id", ForeignKey("questions.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Question(Model):
    """A question broadcast to everyone, optionally about one of the asker's goals."""

    __tablename__ = "questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    goal_id: Mapped[int | None] = mapped_column(ForeignKey("goals.id"), nullable=True, index=True)
    title: Mapped[str] = mapped_column(String(150))
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    score: Mapped[int] = mapped_column(Integer, default=0)
    answer_count: Mapped[int] = mapped_column(Integer, default=0)
    # "Answered in ...": an earlier thread that answers this one.
    answered_in_id: Mapped[int | None] = mapped_column(
        ForeignKey("questions.id", ondelete="SET NULL"), nullable=True, index=True
    )
    # Set by the Stack Exchange importer ("site:post id") so re-imports create nothing.
    external_id: Mapped[str | None] = mapped_column(String(100), unique=True, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when created while its goal was closed: then private to that mentorship forever.
    mentorship_id: Mapped[int | None] = mapped_column(
        ForeignKey("mentorships.id"), nullable=True, index=True
    )
    # Asked anonymously: the public sees "anonymous protégé"; owner and admins see the asker.
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Hidden by a moderator: gone from every public surface and the index (the gate).
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    owner: Mapped[User] = relationship(lazy="joined")
    goal: Mapped[Goal | None] = relationship()
    private_to: Mapped["Mentorship | None"] = relationship()
    tags: Mapped[list[Tag]] = relationship(
        secondary=question_tags, order_by=Tag.name, lazy="selectin"
    )
    answered_in: Mapped["Question | None"] = relationship(remote_side=[id])
    outcome: Mapped["Outcome | None"] = relationship(
        back_populates="question", uselist=False, cascade="all, delete-orphan"
    )

    __table_args__ = (
        Index("ix_questions_score", "score"),
        Index("ix_questions_updated_at", "updated_at"),  # sort=active
        # A profile lists one author's newest questions: one index filters and orders.
        Index("ix_questions_owner_id_created_at", "owner_id", "created_at"),
    )

    @property
    def source_url(self) -> str | None:
        """For imported threads: the original Stack Exchange page (CC BY-SA attribution)."""
        if not self.external_id or ":" not in self.external_id:
            return None
        site, _, post_id = self.external_id.rpartition(":")
        return f"https://{site}.stackexchange.com/q/{post_id}" if post_id.isdigit() else None


class Answer(Model):
    """An answer to a question, written in the open by any signed-in user."""

    __tablename__ = "answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("questions.id", ondelete="CASCADE"), index=True
    )
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    score: Mapped[int] = mapped_column(Integer, default=0)
    external_id: Mapped[str | None] = mapped_column(String(100), unique=True, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when created while its goal was closed: then private to that mentorship forever.
    mentorship_id: Mapped[int | None] = mapped_column(
        ForeignKey("mentorships.id"), nullable=True, index=True
    )
    # Hidden by a moderator: gone from every public surface and the index (the gate).
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    question: Mapped[Question] = relationship()
    owner: Mapped[User] = relationship(lazy="joined")
    private_to: Mapped["Mentorship | None"] = relationship()
    helpful_mark: Mapped["HelpfulMark | None"] = relationship(
        uselist=False, cascade="all, delete-orphan", lazy="joined"
    )

    __table_args__ = (Index("ix_answers_owner_id_created_at", "owner_id", "created_at"),)

    @property
    def helpful(self) -> bool:
        """Whether the question owner marked this answer "helped me"."""
        return self.helpful_mark is not None


class Comment(Model):
    """A short clarification on a question or an answer (exactly one of the two)."""

    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int | None] = mapped_column(
        ForeignKey("questions.id", ondelete="CASCADE"), nullable=True, index=True
    )
    answer_id: Mapped[int | None] = mapped_column(
        ForeignKey("answers.id", ondelete="CASCADE"), nullable=True, index=True
    )
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(String(600))
    body_html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when created while its goal was closed: then private to that mentorship forever.
    mentorship_id: Mapped[int | None] = mapped_column(
        ForeignKey("mentorships.id"), nullable=True, index=True
    )
    # Hidden by a moderator: gone from every public surface and the index (the gate).
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    author: Mapped[User] = relationship(lazy="joined")
    private_to: Mapped["Mentorship | None"] = relationship()

    __table_args__ = (
        CheckConstraint("(question_id IS NULL) <> (answer_id IS NULL)", name="one_parent"),
    )


class Vote(Model):
    """+1/-1 by a user on a question or an answer; the unique constraints make it one each."""

    __tablename__ = "votes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    question_id: Mapped[int | None] = mapped_column(
        ForeignKey("questions.id", ondelete="CASCADE"), nullable=True, index=True
    )
    answer_id: Mapped[int | None] = mapped_column(
        ForeignKey("answers.id", ondelete="CASCADE"), nullable=True, index=True
    )
    value: Mapped[int] = mapped_column(SmallInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("user_id", "question_id", name="uq_votes_user_question"),
        UniqueConstraint("user_id", "answer_id", name="uq_votes_user_answer"),
        CheckConstraint("(question_id IS NULL) <> (answer_id IS NULL)", name="one_target"),
        CheckConstraint("value IN (-1, 1)", name="value_pm_one"),
    )


class HelpfulMark(Model):
    """The question owner's "helped me" on one answer (at most one mark per answer)."""

    __tablename__ = "helpful_marks"

    answer_id: Mapped[int] = mapped_column(
        ForeignKey("answers.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Outcome(Model):
    """What the asker tried and what happened, shown under the question."""

    __tablename__ = "outcomes"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("questions.id", ondelete="CASCADE"), unique=True
    )
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    question: Mapped[Question] = relationship(back_populates="outcome")


class Revision(Model):
    """The text of a goal, question or answer as it was before one edit."""

    __tablename__ = "revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_type: Mapped[str] = mapped_column(String(10))
    post_id: Mapped[int] = mapped_column(Integer)
    editor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str | None] = mapped_column(String(150), nullable=True)
    body: Mapped[str] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    editor: Mapped[User] = relationship(lazy="joined")

    __table_args__ = (Index("ix_revisions_post", "post_type", "post_id"),)

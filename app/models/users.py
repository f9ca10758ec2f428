"""Accounts: users with their public profile, and API tokens."""

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.models.base import UTCDateTime, utcnow
from app.models.tags import Tag, user_mentor_topics, user_skills

ROLE_USER = "user"
ROLE_ADMIN = "admin"


class User(UserMixin, Model):
    """A person on Journster: protégé, mentor, or both."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Usernames are stored lowercase, which makes the unique constraint case-insensitive.
    username: Mapped[str] = mapped_column(String(30), unique=True)
    # Emails are stored lowercased for the same reason; they are never shown to others.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    # Set when a link mailed to ``email`` was used; until then no notification mail is sent
    # and ADMIN_EMAILS grants nothing (SPEC §1 "Account recovery and verified email").
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(60), default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    bio_html: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[str] = mapped_column(String(100), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    mentor_available: Mapped[bool] = mapped_column(Boolean, default=False)
    preferred_modes: Mapped[list[str]] = mapped_column(JSON, default=list)
    availability: Mapped[str] = mapped_column(String(200), default="")
    response_time_hours: Mapped[int | None] = mapped_column(Integer, nullable=True)
    role: Mapped[str] = mapped_column(String(20), default=ROLE_USER)
    # Email copies of notifications: off, immediate, daily or weekly digest (SPEC §1).
    email_mode: Mapped[str] = mapped_column(String(10), default="off", server_default="off")
    last_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Public reputation: what everyone else sees and what lists order by (public, named
    # activity only); private_reputation is earned on anonymous questions and inside closed
    # goals and shown to its owner alone (rules in app/services/reputation.py).
    reputation: Mapped[int] = mapped_column(Integer, default=0)
    private_reputation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Set by the Stack Exchange importer ("site:user id") so re-imports create nothing.
    external_id: Mapped[str | None] = mapped_column(String(100), unique=True, nullable=True)
    # Bumped on password change: every other session and remember cookie stops working.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    # Suspended by a moderator: cannot sign in or use tokens until unsuspended (as Discourse).
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    suspended_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Account deleted by its owner: the row stays so posts read "deleted user".
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    # Loaded on access (profile, settings, API): eager-loading them cost two extra queries
    # for every query that loads a User (question, answer, comment and goal authors).
    skills: Mapped[list[Tag]] = relationship(secondary=user_skills, order_by=Tag.name)
    mentor_topics: Mapped[list[Tag]] = relationship(secondary=user_mentor_topics, order_by=Tag.name)
    tokens: Mapped[list["ApiToken"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def is_admin(self) -> bool:
        """Whether this user holds the admin role."""
        return self.role == ROLE_ADMIN

    @property
    def email_verified(self) -> bool:
        """Whether the current email address has been verified."""
        return self.email_verified_at is not None

    @property
    def is_suspended(self) -> bool:
        """Whether a moderator has suspended this account."""
        return self.suspended_at is not None

    @property
    def is_deleted(self) -> bool:
        """Whether the owner deleted this account (posts stay, as "deleted user")."""
        return self.deleted_at is not None

    @property
    def name(self) -> str:
        """The name to show: display name, else username ("deleted user" once deleted)."""
        if self.deleted_at is not None:
            return "deleted user"
        return self.display_name or self.username

    @property
    def total_reputation(self) -> int:
        """Public plus private reputation: what the user sees of their own."""
        return (self.reputation or 0) + (self.private_reputation or 0)

    def get_id(self) -> str:
        """Flask-Login id: includes the session version so old sessions die on password change."""
        return f"{self.id}:{self.session_version}"

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class ApiToken(Model):
    """A bearer token for the JSON API; only its SHA-256 digest is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    user: Mapped[User] = relationship(back_populates="tokens")


class AccountMail(Model):
    """Outbox of transactional account mail (verify address, reset password), sent within seconds.

    A row holds no token: the link is signed at sending time, so nothing usable is stored.
    A reset row keeps the address as typed and no user, so asking costs the same whether or
    not an account has that address; the sender looks the account up.
    """

    __tablename__ = "account_mail"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # verify | reset
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=True, index=True
    )
    # verify: the address to verify (the current one, or a new one replacing it on use).
    address: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Not picked up before this time: set when a sender claims the row, and for retries.
    not_before: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class Block(Model):
    """One user blocking another: no answers, comments, invites or messages from them."""

    __tablename__ = "blocks"

    blocker_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    blocked_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (CheckConstraint("blocker_id <> blocked_id", name="not_self"),)

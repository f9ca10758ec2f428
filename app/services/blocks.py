"""Blocking: a user blocks another, who then cannot answer, comment on, invite or message them.

Every rule that involves two people asks ``blocked`` (one direction: the blocker refuses
the other) or ``blocked_either_way`` (invites and mentorships need both to be willing).
"""

from sqlalchemy import delete, or_, select
from sqlalchemy.exc import IntegrityError

from app.core.errors import ValidationFailed
from app.core.transaction import write_transaction
from app.extensions import db
from app.models import Block, User
from app.services.accounts import get_user


def blocked(blocker_id: int, other_id: int) -> bool:
    """Whether blocker_id has blocked other_id."""
    return db.session.get(Block, (blocker_id, other_id)) is not None


def blocked_either_way(a_id: int, b_id: int) -> bool:
    """Whether either of the two users has blocked the other."""
    return (
        db.session.scalar(
            select(Block.blocker_id)
            .where(
                or_(
                    (Block.blocker_id == a_id) & (Block.blocked_id == b_id),
                    (Block.blocker_id == b_id) & (Block.blocked_id == a_id),
                )
            )
            .limit(1)
        )
        is not None
    )


def block(user: User, username) -> User:
    """Block another user (idempotent); returns the blocked user."""
    other = get_user(username)
    if other.id == user.id:
        raise ValidationFailed("You cannot block yourself.", {"username": ["Not yourself."]})
    if not blocked(user.id, other.id):
        try:
            with write_transaction() as session:
                session.add(Block(blocker_id=user.id, blocked_id=other.id))
        except IntegrityError:
            db.session.rollback()  # a second click at the same moment: already blocked
    return other


def unblock(user: User, username) -> User:
    """Lift a block (idempotent); returns the unblocked user."""
    other = get_user(username)
    with write_transaction() as session:
        session.execute(
            delete(Block).where(Block.blocker_id == user.id, Block.blocked_id == other.id)
        )
    return other


def blocked_ids_of(user: User) -> set[int]:
    """Everyone this user blocked or was blocked by (kept out of their suggestions)."""
    rows = db.session.execute(
        select(Block.blocker_id, Block.blocked_id).where(
            or_(Block.blocker_id == user.id, Block.blocked_id == user.id)
        )
    ).all()
    return {b for a, b in rows if a == user.id} | {a for a, b in rows if b == user.id}

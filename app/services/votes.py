"""Votes and the reputation they earn (SPEC §1 "Votes and reputation").

Which counter a vote moves (public or private reputation) is ruled in app/services/reputation.py.
"""

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from app.core.errors import Conflict, Forbidden, ValidationFailed
from app.core.transaction import write_transaction
from app.extensions import db
from app.models import Answer, Question, User, Vote
from app.models.base import utcnow
from app.search.outbox import enqueue
from app.services.reputation import credit, require_not_sealed

UPVOTE_ANSWER, UPVOTE_QUESTION, DOWNVOTE, HELPED_ME = 10, 2, -2, 15


def reputation_for(post, value: int) -> int:
    """Reputation the post's author gets for one vote of ``value`` (0 for none)."""
    if value == 1:
        return UPVOTE_ANSWER if isinstance(post, Answer) else UPVOTE_QUESTION
    if value == -1:
        return DOWNVOTE
    return 0


def _target(post) -> tuple:
    if isinstance(post, Answer):
        return Vote.answer_id, Answer, {"answer_id": post.id}
    return Vote.question_id, Question, {"question_id": post.id}


def _apply(session, post, old: int, new: int) -> None:
    """Move the post's score and its author's reputation from vote ``old`` to ``new``."""
    _, model, _ = _target(post)
    if new != old:
        # SQL-side arithmetic: concurrent votes on one post never overwrite each other.
        session.execute(
            update(model).where(model.id == post.id).values(score=model.score + (new - old))
        )
        # Core UPDATEs bypass the flush hook: the index's vote sort needs the new score.
        enqueue(session, "answer" if model is Answer else "question", [post.id])
        credit(session, post, post.owner_id, reputation_for(post, new) - reputation_for(post, old))


def cast_vote(user: User, post, value) -> int:
    """Vote +1/-1 on someone else's question or answer; repeating a vote changes nothing."""
    if isinstance(value, bool) or value not in (1, -1):
        raise ValidationFailed("A vote is 1 or -1.", {"value": ["Must be 1 or -1."]})
    if post.owner_id == user.id:
        raise Forbidden("You cannot vote on your own post.")
    column, _, key = _target(post)
    with write_transaction() as session:
        require_not_sealed(session, post)
        existing = session.scalar(
            select(Vote).where(Vote.user_id == user.id, column == post.id).with_for_update()
        )
        if existing is None:
            try:
                with session.begin_nested():
                    session.add(Vote(user_id=user.id, value=value, **key))
            except IntegrityError:
                # Another request by the same user won the race; treat this one as a change.
                existing = session.scalar(
                    select(Vote).where(Vote.user_id == user.id, column == post.id).with_for_update()
                )
                if existing is None:  # and that vote was withdrawn before we could read it
                    raise Conflict("Your vote changed meanwhile; try again.") from None
            else:
                _apply(session, post, 0, value)
                return value
        old = existing.value
        if old != value:
            existing.value = value
            existing.updated_at = utcnow()
            _apply(session, post, old, value)
    return value


def withdraw_vote(user: User, post) -> None:
    """Take back one's vote (nothing happens when there was none)."""
    column, _, _ = _target(post)
    with write_transaction() as session:
        require_not_sealed(session, post)
        existing = session.scalar(
            select(Vote).where(Vote.user_id == user.id, column == post.id).with_for_update()
        )
        if existing is not None:
            session.execute(delete(Vote).where(Vote.id == existing.id))
            _apply(session, post, existing.value, 0)


def votes_on_thread(user, question: Question, answers: list[Answer]) -> dict:
    """The user's votes on a thread in one query: {("question"|"answer", id): value}."""
    if user is None or not getattr(user, "is_authenticated", False):
        return {}
    answer_ids = [a.id for a in answers] or [-1]
    rows = db.session.execute(
        select(Vote.question_id, Vote.answer_id, Vote.value).where(
            Vote.user_id == user.id,
            (Vote.question_id == question.id) | Vote.answer_id.in_(answer_ids),
        )
    )
    return {("question", q) if q else ("answer", a): value for q, a, value in rows}

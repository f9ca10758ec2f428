"""Queue index updates in the same transaction as the change (the outbox pattern).

A flush that creates, changes or deletes a goal, question or answer also inserts outbox rows
naming them; the indexer process later re-reads each named row and updates or removes its
document. Because the rows commit (or roll back) with the change itself, a crash between the
commit and the index update loses nothing: the rows are still there for the next run.
Changes made with Core UPDATE statements (vote scores) call ``enqueue`` explicitly.
``register_search_outbox`` (a step of create_app) attaches the flush listener.
"""

from itertools import chain

from flask import Flask
from sqlalchemy import event, insert, inspect, literal, select
from sqlalchemy.orm import Session

from app.core.posts import ANSWER, GOAL, QUESTION, indexed_types
from app.extensions import db
from app.models import Answer, Question, SearchOutbox
from app.models.base import utcnow

TRACKED = {post_type.model: post_type.doc_type for post_type in indexed_types()}


def enqueue(session: Session, doc_type: str, ids) -> None:
    """Queue re-indexing of these posts (inside the caller's transaction)."""
    rows = [{"doc_type": doc_type, "doc_id": int(i), "created_at": utcnow()} for i in ids]
    if rows:
        session.execute(insert(SearchOutbox), rows)


def _enqueue_children(connection, goal_ids=(), question_ids=()) -> None:
    """A goal's visibility reaches its questions and answers; a question's title (or hidden
    state) its answers."""
    now = utcnow()
    if goal_ids:
        connection.execute(
            insert(SearchOutbox).from_select(
                ["doc_type", "doc_id", "created_at"],
                select(
                    literal(QUESTION), Question.id, literal(now, SearchOutbox.created_at.type)
                ).where(Question.goal_id.in_(goal_ids)),
            )
        )
        connection.execute(
            insert(SearchOutbox).from_select(
                ["doc_type", "doc_id", "created_at"],
                select(literal(ANSWER), Answer.id, literal(now, SearchOutbox.created_at.type))
                .join(Question, Question.id == Answer.question_id)
                .where(Question.goal_id.in_(goal_ids)),
            )
        )
    if question_ids:
        connection.execute(
            insert(SearchOutbox).from_select(
                ["doc_type", "doc_id", "created_at"],
                select(
                    literal(ANSWER), Answer.id, literal(now, SearchOutbox.created_at.type)
                ).where(Answer.question_id.in_(question_ids)),
            )
        )


def _changed(obj, *names) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


def _queue_index_updates(session: Session, _flush_context) -> None:
    """Turn this flush's goal/question/answer changes into outbox rows."""
    pending: set[tuple[str, int]] = set()
    goals: set[int] = set()
    questions: set[int] = set()
    for obj in chain(session.new, session.dirty, session.deleted):
        kind = TRACKED.get(type(obj))
        if kind is None or obj.id is None:
            continue
        if obj in session.dirty and not session.is_modified(obj):
            continue
        pending.add((kind, obj.id))
        if kind == ANSWER:
            pending.add((QUESTION, obj.question_id))  # its answer_count changed
        # Hiding by moderators reaches everything under the post, like closing a goal.
        elif kind == GOAL and obj not in session.new and _changed(obj, "visibility", "hidden_at"):
            goals.add(obj.id)
        elif (
            kind == QUESTION
            and obj not in session.new
            and _changed(obj, "title", "tags", "hidden_at")
        ):
            questions.add(obj.id)
    if not pending:
        return
    connection = session.connection()
    now = utcnow()
    connection.execute(
        insert(SearchOutbox),
        [
            {"doc_type": kind, "doc_id": doc_id, "created_at": now}
            for kind, doc_id in sorted(pending)
        ],
    )
    _enqueue_children(connection, goals, questions)


def register_search_outbox(app: Flask) -> None:
    """Queue index updates from every flush of the database session (listener added once)."""
    # db.session's sessionmaker, and so the listener, is shared by every app of the process:
    # a second create_app() (the tests build many) must not queue each change twice.
    if not event.contains(db.session, "after_flush", _queue_index_updates):
        event.listen(db.session, "after_flush", _queue_index_updates)

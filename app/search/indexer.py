"""The indexer: turns outbox rows into index updates (run by one `flask search worker`).

Each round reads a batch of outbox rows, re-reads the *current* database row of every post
they name, upserts it when it is public and removes it otherwise (deleted, closed goal,
hidden), commits the index, and only then deletes exactly the outbox rows it read. Replaying
a row is harmless, so a crash anywhere in the round loses nothing (at-least-once).
"""

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import selectinload

from app.core.asker import reveals_asker
from app.core.posts import ANSWER, GOAL, INDEXED, POST_TYPES, QUESTION
from app.core.transaction import write_transaction
from app.extensions import db
from app.models import Answer, Goal, Question, SearchOutbox
from app.search import similar_store, vectors
from app.search.backend import SearchBackend
from app.search.documents import SearchDocument, doc_id_for, html_to_text

log = logging.getLogger(__name__)
BATCH_SIZE = 500
URGENT_LISTS_SECONDS = 0.25  # per round: lists of new and changed posts
# Other lists (neighbours of new posts, routine refreshes) in small slices, so that a bulk
# import's backlog costs the web workers a few percent of a core, not a whole one.
ROUTINE_LISTS_SECONDS = 0.05
ROUTINE_EVERY = 0.5


def goal_document(goal: Goal) -> SearchDocument:
    return SearchDocument.make(
        GOAL,
        goal.id,
        title=goal.title,
        # A published "what I learned" summary is public and searchable with its goal.
        body=html_to_text(goal.description_html + (goal.summary_html or "")),
        tags=[t.name for t in goal.tags],
        author=_named(goal.owner),
        created_at=goal.created_at,
        goal_id=goal.id,
    )


def _named(author) -> str:
    """The username `user:` finds; none for a deleted account (its posts read "deleted user")."""
    return "" if author.deleted_at is not None else author.username


def _public_author(question: Question, author) -> str:
    """The author as the public sees them: "" when it would name an anonymous asker."""
    return "" if reveals_asker(None, question, author.id) else _named(author)


def question_document(question: Question) -> SearchDocument:
    return SearchDocument.make(
        QUESTION,
        question.id,
        title=question.title,
        body=html_to_text(question.body_html),
        tags=[t.name for t in question.tags],
        author=_public_author(question, question.owner),
        created_at=question.created_at,
        score=question.score,
        answer_count=question.answer_count,
        question_id=question.id,
        goal_id=question.goal_id,
    )


def answer_document(answer: Answer) -> SearchDocument:
    question = answer.question
    return SearchDocument.make(
        ANSWER,
        answer.id,
        title=question.title,
        body=html_to_text(answer.body_html),
        tags=[t.name for t in question.tags],
        author=_public_author(question, answer.owner),
        created_at=answer.created_at,
        score=answer.score,
        question_id=question.id,
        goal_id=question.goal_id,
    )


# The search document of each indexed post type (app/core/posts.py names them).
# Each builder takes the model of its own type (the registry's model for that name).
BUILDERS: dict[str, Callable[[Any], SearchDocument]] = {
    GOAL: goal_document,
    QUESTION: question_document,
    ANSWER: answer_document,
}


def _loads() -> dict:
    """What building a document and the gate read of each post, loaded in a few queries
    (lazy loads of each answer's question and goal were a third of an indexing round)."""
    return {
        GOAL: (Goal, [selectinload(Goal.tags)]),
        QUESTION: (Question, [selectinload(Question.tags), selectinload(Question.goal)]),
        ANSWER: (
            Answer,
            [
                selectinload(Answer.question).selectinload(Question.tags),
                selectinload(Answer.question).selectinload(Question.goal),
            ],
        ),
    }


def documents_for(keys: Iterable[tuple[str, int]]) -> tuple[list[SearchDocument], list[str]]:
    """Current public documents for these posts, and the doc ids to remove."""
    by_type: dict[str, set[int]] = {}
    for doc_type, doc_id in keys:
        by_type.setdefault(doc_type, set()).add(doc_id)
    upserts, removals = [], []
    for doc_type, ids in by_type.items():
        post_type = POST_TYPES.get(doc_type)
        if post_type is None or not post_type.indexed:
            continue
        model, options = _loads()[doc_type]
        found = {
            row.id: row
            for row in db.session.scalars(select(model).where(model.id.in_(ids)).options(*options))
        }
        build, public = BUILDERS[doc_type], post_type.can_view
        for object_id in ids:
            row = found.get(object_id)
            # The same rule as every page: only what an anonymous reader may see is indexed.
            if row is not None and public(None, row):
                upserts.append(build(row))
            else:
                removals.append(doc_id_for(doc_type, object_id))
    return upserts, removals


def drain_once(backend: SearchBackend, batch_size: int = BATCH_SIZE) -> int:
    """Apply one batch of outbox rows; returns how many rows were consumed."""
    # A shared index (PostgreSQL) has one indexer per node: rounds must not interleave, or
    # a round that read a post before a change could write it back after the round that
    # applied the change (and deleted its outbox row).
    with backend.indexing_round():
        return _drain_once(backend, batch_size)


def _drain_once(backend: SearchBackend, batch_size: int) -> int:
    rows = db.session.execute(
        select(SearchOutbox.id, SearchOutbox.doc_type, SearchOutbox.doc_id)
        .order_by(SearchOutbox.id)
        .limit(batch_size)
    ).all()
    if not rows:
        db.session.rollback()
        return 0
    upserts, removals = documents_for((r.doc_type, r.doc_id) for r in rows)
    db.session.rollback()  # end the read transaction before the (slow) index commit
    backend.apply(upserts, removals)
    # Vectors go in the transaction that consumes the rows: a crash before it replays both.
    vectors.write(db.session, upserts, removals)
    # Delete exactly the rows applied: a row committed meanwhile with a lower id than the
    # highest one read (concurrent transactions) must survive for the next round.
    with write_transaction() as session:
        # Similar lists to compute (after the index commit: the post's neighbours are
        # searchable then), in the same transaction as the outbox rows' deletion, so a
        # crash in between replays the round instead of losing the marks.
        similar_store.after_round(upserts, removals)
        session.execute(delete(SearchOutbox).where(SearchOutbox.id.in_([r.id for r in rows])))
    return len(rows)


def drain(backend: SearchBackend, batch_size: int = BATCH_SIZE) -> int:
    """Apply every pending outbox row; returns how many were consumed."""
    total = 0
    while consumed := drain_once(backend, batch_size):
        total += consumed
    # Lists of the posts just changed, then of their neighbours.
    similar_store.run_refresh(None, upto=similar_store.NEIGHBOUR)
    return total


def pending_count() -> int:
    """How many outbox rows wait to be applied."""
    return db.session.scalar(select(db.func.count(SearchOutbox.id))) or 0


def all_public_documents(
    batch: int = 1000, types: Iterable[str] = INDEXED
) -> Iterator[SearchDocument]:
    """Every public post (of these types) as a document, streamed (for a full rebuild)."""
    for doc_type, (model, options) in _loads().items():
        if doc_type not in types:
            continue
        build, public = BUILDERS[doc_type], POST_TYPES[doc_type].can_view
        last_id = 0
        while True:
            rows = (
                db.session.scalars(
                    select(model)
                    .options(*options)
                    .where(model.id > last_id)
                    .order_by(model.id)
                    .limit(batch)
                )
                .unique()
                .all()
            )
            if not rows:
                break
            for row in rows:
                if public(None, row):
                    yield build(row)
            last_id = rows[-1].id
            db.session.expunge_all()  # keep memory flat on large sites


def run_worker(
    backend: SearchBackend, *, poll_seconds: float = 0.1, stop: threading.Event | None = None
) -> None:
    """Loop forever (or until ``stop`` is set), applying outbox rows as they appear."""
    stop = stop or threading.Event()
    routine_at = 0.0
    while not stop.is_set():
        try:
            consumed = drain_once(backend)
            # Similar lists between rounds, a bounded slice each: indexing comes first.
            if (
                similar_store.run_refresh(URGENT_LISTS_SECONDS, upto=similar_store.CHANGED)
                or consumed
            ):
                continue
            if time.monotonic() - routine_at >= ROUTINE_EVERY:
                routine_at = time.monotonic()
                similar_store.run_refresh(ROUTINE_LISTS_SECONDS)
        except Exception:  # keep serving; the rows stay queued and are retried
            log.exception("search indexer round failed; retrying")
            db.session.rollback()
            time.sleep(1)
        stop.wait(poll_seconds)

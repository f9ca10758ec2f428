"""Computes the stored similar lists (similar_store) off the request path.

Run by the indexer loops between rounds (`flask search worker`, the dev server's indexer
thread) with a time budget, so indexing latency stays low, and to completion by
``drain``/`flask search worker --once`. Any machine may compute any row (the table is shared;
a claim keeps two from computing the same one).
"""

import logging
import time
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy.orm import selectinload

from app.core.posts import GOAL, POST_TYPES, QUESTION
from app.extensions import db
from app.models import Goal, Question
from app.models.base import utcnow
from app.search import similar_store as store
from app.search.indexer import BUILDERS
from app.search.service import public_doc_ids
from app.search.similar import list_keys

log = logging.getLogger(__name__)
OVERDUE = timedelta(hours=1)
LOADS = {
    QUESTION: [
        selectinload(Question.goal),
        selectinload(Question.tags),
        selectinload(Question.owner),
    ],
    GOAL: [selectinload(Goal.tags), selectinload(Goal.owner)],
}


def refresh_lists(budget: float | None, *, upto: datetime | None = None) -> int:
    """Compute lists due by ``upto`` (similar_store.CHANGED, NEIGHBOUR; None: any due now)
    for up to ``budget`` seconds (None: until none is due).

    Returns how many rows were handled (computed, rescheduled or dropped).
    """
    deadline = None if budget is None else time.monotonic() + budget
    newest = store.newest_change()
    db.session.rollback()
    handled = 0
    while deadline is None or time.monotonic() < deadline:
        # One row at a time: a budget that runs out leaves no row leased and undone.
        claims = store.claim(1, upto=upto)
        if not claims:
            break
        for claim in claims:
            try:
                _refresh_one(claim, newest)
            except Exception:  # one bad row must not stop the others; its lease expires
                log.exception("similar list of %s %s failed", claim.kind, claim.id)
                db.session.rollback()
        handled += len(claims)
    return handled


def _refresh_one(claim: store.Claim, newest) -> None:
    post_type, options = POST_TYPES[claim.kind], LOADS[claim.kind]
    model, build, public = post_type.model, BUILDERS[claim.kind], post_type.can_view
    row = db.session.get(model, claim.id, options=options)
    if row is None or not public(None, row):  # the indexer drops it too, soon
        db.session.rollback()
        store.forget([(claim.kind, claim.id)])
        return
    now = utcnow()
    due = store.next_due(now, row.created_at)
    routine = claim.due > store.NEIGHBOUR
    if (
        routine
        and claim.computed_at is not None
        and newest is not None
        and claim.computed_at >= newest
    ):
        db.session.rollback()
        store.reschedule(claim, due)  # no post's text changed since: the list still holds
        return
    doc = build(row)
    keys = list_keys(claim.kind, row)
    db.session.rollback()
    saved = store.store(
        claim, keys, digest=store.text_hash(doc.title, doc.body), started=now, due=due
    )
    if saved and claim.due == store.CHANGED and claim.computed_at is None:
        # A new post: it may belong in the lists of the posts most like it.
        store.mark_neighbours((t, i) for t, i, _ in keys[: store.NEIGHBOURS])


def sync_lists(repair: bool = True) -> dict[str, int]:
    """Compare stored lists with the public questions and goals; queue or drop to repair.

    Returns counts: missing (public post without a row), extra (row of a post that is not
    public), pending (not computed yet) and overdue (routine refresh late by over an hour).
    """
    expected = set()
    for doc_id in public_doc_ids():
        kind, _, raw = doc_id.partition(":")
        if kind in store.LIST_TYPES:
            expected.add((kind, int(raw)))
    rows = store.all_keys()
    missing, extra = expected - set(rows), set(rows) - expected
    report = {
        "missing": len(missing),
        "extra": len(extra),
        "pending": sum(1 for key, computed in rows.items() if computed is None and key in expected),
        "overdue": store.overdue(OVERDUE),
    }
    if repair:
        store.forget(extra)
        store.queue(sorted(missing))
    return report


def recompute_all() -> int:
    """Make every stored list due soon (after a reindex, or a change of ranking)."""
    return store.mark_all_due()


def register_similar_refresh(app: Flask) -> None:
    """Give the indexer loops of this app the list refresh."""
    store.register_refresh(app, refresh_lists)

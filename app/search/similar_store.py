"""Stored similar-thread lists (table ``similar_lists``): one row per public question and goal.

Page views only read a row (and re-check each id through the gate, in similar.py); nothing
here runs on a request. The indexer calls ``after_round`` once a round's index commit is
done: a post whose title or body changed (or that is new) gets its row marked due at once,
a post that left the index loses its row. The refresh (similar_refresh.py) computes due rows
in this order of ``due_at``:

- ``CHANGED``: the post itself is new or its text changed; computing it also marks the
  posts it lists (``NEIGHBOURS`` of them) ``NEIGHBOUR``, since the new post may belong in
  their lists too (similarity is nearly symmetric);
- ``NEIGHBOUR``: a new post listed this one (computed in the small routine slices);
- any time in the past: the routine refresh, after a quarter of the post's age clamped to
  [MIN_INTERVAL, MAX_INTERVAL] (minutes for young posts, daily for old ones, as Discourse
  does for related topics). It recomputes only if some post's text changed since the list
  was computed (``changed_at``); otherwise it just moves the row's next time on.

Rows are claimed by moving ``due_at`` past a lease with a compare-and-set, so the workers of
several nodes sharing the table never compute the same row at once, and a change marked
while a row is being computed wins over the result (the row stays due).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import ColumnElement, delete, func, insert, select, tuple_, update

from app.core.transaction import rows_affected, write_transaction
from app.extensions import db
from app.models import SimilarList
from app.models.base import utcnow

LIST_TYPES = ("question", "goal")  # posts with a list beside them
CHANGED = datetime(2000, 1, 1, tzinfo=UTC)
NEIGHBOUR = datetime(2000, 1, 2, tzinfo=UTC)
MIN_INTERVAL = timedelta(minutes=10)
MAX_INTERVAL = timedelta(days=1)
AGE_SHARE = 4  # routine refresh after a quarter of the post's age
LEASE = timedelta(minutes=2)  # a claimed row is due again after this if its worker died
NEIGHBOURS = 3  # listed posts told about a new post
CHUNK = 500  # rows per statement in bulk work
REFRESH_EXTENSION = "journster_similar_refresh"


@dataclass(frozen=True)
class Claim:
    """A due row taken by one worker until ``lease``."""

    kind: str
    id: int
    due: datetime  # as it was: CHANGED, NEIGHBOUR or a routine time
    computed_at: datetime | None
    lease: datetime


def text_hash(title: str, body: str) -> str:
    """Digest of what a list is computed from."""
    return hashlib.blake2b(f"{title}\n{body}".encode(), digest_size=16).hexdigest()


def next_due(now: datetime, created_at: datetime | None) -> datetime:
    """When a list computed now is refreshed: young posts soon, old ones daily."""
    age = now - (created_at or now)
    return now + min(max(age / AGE_SHARE, MIN_INTERVAL), MAX_INTERVAL)


def _keys_in(keys: Iterable[tuple[str, int]]) -> ColumnElement[bool]:
    return tuple_(SimilarList.doc_type, SimilarList.doc_id).in_(list(keys))


def after_round(upserts: Iterable, removals: Iterable[str]) -> None:
    """Mark lists of posts whose text changed due now; drop those of posts gone from the index.

    ``upserts`` are the round's SearchDocuments, ``removals`` its removed doc ids. Runs after
    the index commit, so the post's own document (and its neighbours') is searchable.
    """
    texts = {
        (doc.type, doc.id): text_hash(doc.title, doc.body)
        for doc in upserts
        if doc.type in LIST_TYPES
    }
    gone = []
    for doc_id in removals:
        kind, _, raw = doc_id.partition(":")
        if kind in LIST_TYPES:
            gone.append((kind, int(raw)))
    if not texts and not gone:
        return
    now = utcnow()
    with write_transaction() as session:
        for chunk in _chunks(gone):
            session.execute(delete(SimilarList).where(_keys_in(chunk)))
        for chunk in _chunks(list(texts)):
            known = {
                (t, i): h
                for t, i, h in session.execute(
                    select(SimilarList.doc_type, SimilarList.doc_id, SimilarList.text_hash).where(
                        _keys_in(chunk)
                    )
                )
            }
            new = [key for key in chunk if key not in known]
            if new:
                session.execute(
                    insert(SimilarList),
                    [
                        {
                            "doc_type": t,
                            "doc_id": i,
                            "text_hash": texts[(t, i)],
                            "items": None,
                            "computed_at": None,
                            "changed_at": now,
                            "due_at": CHANGED,
                        }
                        for t, i in new
                    ],
                )
            for key in chunk:
                if key in known and known[key] != texts[key]:
                    session.execute(
                        update(SimilarList)
                        .where(SimilarList.doc_type == key[0], SimilarList.doc_id == key[1])
                        .values(text_hash=texts[key], changed_at=now, due_at=CHANGED)
                    )


def _chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def stored(kind: str, object_id: int) -> list[tuple[str, int, float]] | None:
    """The stored list of a post as (type, id, score), or None when it has none yet."""
    items = db.session.scalar(
        select(SimilarList.items).where(
            SimilarList.doc_type == kind, SimilarList.doc_id == object_id
        )
    )
    if items is None:
        return None
    return [(str(t), int(i), float(s)) for t, i, s in items]


def newest_change() -> datetime | None:
    """When the text of any listed post last changed (a routine refresh is needless before)."""
    return db.session.scalar(select(func.max(SimilarList.changed_at)))


def claim(limit: int, *, upto: datetime | None = None) -> list[Claim]:
    """Take up to ``limit`` rows due by ``upto`` (CHANGED, NEIGHBOUR; None: now), most
    urgent first."""
    now = utcnow()
    lease = now + LEASE
    with write_transaction() as session:
        rows = session.execute(
            select(
                SimilarList.doc_type,
                SimilarList.doc_id,
                SimilarList.due_at,
                SimilarList.computed_at,
            )
            .where(SimilarList.due_at <= (upto or now))
            .order_by(SimilarList.due_at)
            .limit(limit)
        ).all()
        taken = []
        for kind, object_id, due, computed in rows:
            # Compare-and-set: another node's worker may have claimed it meanwhile.
            result = session.execute(
                update(SimilarList)
                .where(
                    SimilarList.doc_type == kind,
                    SimilarList.doc_id == object_id,
                    SimilarList.due_at == due,
                )
                .values(due_at=lease)
            )
            if rows_affected(result) == 1:
                taken.append(Claim(kind, object_id, due, computed, lease))
    return taken


def store(
    claim: Claim,
    keys: list[tuple[str, int, float]],
    *,
    digest: str,
    started: datetime,
    due: datetime,
) -> bool:
    """Save a computed list unless the row changed since it was claimed; True if saved."""
    with write_transaction() as session:
        result = session.execute(
            _claimed(claim).values(
                items=[[t, i, round(s, 4)] for t, i, s in keys],
                text_hash=digest,
                computed_at=started,
                due_at=due,
            )
        )
    return rows_affected(result) == 1


def reschedule(claim: Claim, due: datetime) -> None:
    """Release a claimed row without recomputing it (no text changed since its list)."""
    with write_transaction() as session:
        session.execute(_claimed(claim).values(due_at=due))


def _claimed(claim: Claim):
    """UPDATE of the claimed row, a no-op if it was marked or re-claimed since."""
    return update(SimilarList).where(
        SimilarList.doc_type == claim.kind,
        SimilarList.doc_id == claim.id,
        SimilarList.due_at == claim.lease,
    )


def mark_neighbours(keys: Iterable[tuple[str, int]]) -> None:
    """Make the lists of these posts due soon (after changed posts), unless already so."""
    keys = [(t, i) for t, i in keys if t in LIST_TYPES]
    if not keys:
        return
    with write_transaction() as session:
        session.execute(
            update(SimilarList)
            .where(_keys_in(keys), SimilarList.due_at > NEIGHBOUR)
            .values(due_at=NEIGHBOUR)
        )


def forget(keys: Iterable[tuple[str, int]]) -> None:
    """Drop the rows of these posts (no longer public)."""
    keys = list(keys)
    with write_transaction() as session:
        for chunk in _chunks(keys):
            session.execute(delete(SimilarList).where(_keys_in(chunk)))


def all_keys() -> dict[tuple[str, int], datetime | None]:
    """Every row's key with its computed_at (None: never computed)."""
    rows = db.session.execute(
        select(SimilarList.doc_type, SimilarList.doc_id, SimilarList.computed_at)
    ).all()
    db.session.rollback()
    return {(t, i): computed for t, i, computed in rows}


def overdue(older_than: timedelta) -> int:
    """Rows whose routine refresh is late by more than ``older_than`` (a stuck worker)."""
    count = db.session.scalar(
        select(func.count())
        .select_from(SimilarList)
        .where(SimilarList.due_at > NEIGHBOUR, SimilarList.due_at < utcnow() - older_than)
    )
    db.session.rollback()
    return count or 0


def queue(keys: Iterable[tuple[str, int]], *, due: datetime = NEIGHBOUR) -> int:
    """Add rows (not computed yet) for posts that have none; returns how many."""
    keys = list(keys)
    # changed_at long ago: these posts were already in the index, no other list is stale.
    with write_transaction() as session:
        for chunk in _chunks(keys):
            session.execute(
                insert(SimilarList),
                [
                    {
                        "doc_type": t,
                        "doc_id": i,
                        "text_hash": "",
                        "items": None,
                        "computed_at": None,
                        "changed_at": CHANGED,
                        "due_at": due,
                    }
                    for t, i in chunk
                ],
            )
    return len(keys)


def register_refresh(app, refresh: Callable[..., int]) -> None:
    """Let the indexer loops run ``refresh`` (it needs the similar-threads lookup, which
    sits above the indexer: this keeps the import graph one-way)."""
    app.extensions[REFRESH_EXTENSION] = refresh


def run_refresh(budget: float | None, *, upto: datetime | None = None) -> int:
    """Compute lists due by ``upto`` for up to ``budget`` seconds (None: all); how many."""
    refresh = current_app.extensions.get(REFRESH_EXTENSION)
    return refresh(budget, upto=upto) if refresh else 0


def mark_all_due() -> int:
    """Make every list due soon (after the changed posts' lists); returns how many."""
    with write_transaction() as session:
        result = session.execute(
            update(SimilarList).where(SimilarList.due_at > NEIGHBOUR).values(due_at=NEIGHBOUR)
        )
    return rows_affected(result) or 0

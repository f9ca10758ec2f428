"""Post vectors in the post_vectors table: written by the indexer, rebuilt, checked.

Why a table: both search backends and every machine (PostgreSQL search on several machines)
share the database, so one copy serves all of them, with no pgvector and no files to keep in
step with the Whoosh index. float16 bytes: 512 bytes a post, about
28 MB at 55k questions and goals (150k posts); each worker reads them once into memory
(vector_matrix.py) and then only the rows that changed.

Only questions and goals get vectors: similar threads list nothing else. Removals follow the
documents exactly (a closed goal's posts, hidden or deleted posts), in the same round.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session, scoped_session

from app.core.transaction import write_transaction
from app.extensions import db
from app.models import PostVector
from app.search.documents import SearchDocument
from app.search.embeddings import DIM, embed

VECTOR_TYPES = ("question", "goal")
CHUNK = 500  # doc ids per DELETE ... IN (...)
VECTOR_BYTES = DIM * 2


def document_text(doc: SearchDocument) -> str:
    """The text a post's vector is computed from: its title, then its body."""
    return f"{doc.title}\n{doc.body}"


def write(
    session: Session | scoped_session[Any],
    upserts: Iterable[SearchDocument],
    removals: Iterable[str],
) -> int:
    """Replace the vectors of upserted questions and goals, delete removed ones (no commit)."""
    removals = set(removals)
    # An id in both lists is removed, as the index does (privacy wins).
    docs = {d.doc_id: d for d in upserts if d.type in VECTOR_TYPES and d.doc_id not in removals}
    vectors = embed([document_text(d) for d in docs.values()]).astype(np.float16)
    keyed = [
        (d.doc_id, d.type, d.id, v.tobytes()) for d, v in zip(docs.values(), vectors, strict=True)
    ]
    return _store(session, keyed, removals)


def _store(
    session: Session | scoped_session[Any],
    rows: list[tuple[str, str, int, bytes]],
    removals: set[str],
) -> int:
    stale = sorted(removals | {row[0] for row in rows})
    for start in range(0, len(stale), CHUNK):
        session.execute(
            delete(PostVector).where(PostVector.doc_id.in_(stale[start : start + CHUNK]))
        )
    if rows:
        session.execute(
            insert(PostVector),
            [
                {"doc_id": doc_id, "doc_type": kind, "object_id": object_id, "vector": vector}
                for doc_id, kind, object_id, vector in rows
            ],
        )
    return len(rows)


class Rebuild:
    """Vectors computed from the documents a full reindex streams anyway, stored after it.

    ``feed`` passes the documents on unchanged (to the index's rebuild) and embeds the
    questions and goals on the way: one database read serves both. Nothing is written while
    the stream is read (the reader's session must not commit under it); at its end, still
    inside the index's rebuild lock (so the indexer's next round writes after us, never
    before), every row is replaced batch by batch (readers see old or new vectors, never
    none) and rows of posts no longer public are dropped. 512 bytes a post are held in
    memory meanwhile (28 MB at 55k).
    """

    EMBED_BATCH = 512

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, int, bytes]] = []
        self._pending: list[SearchDocument] = []

    def feed(self, docs: Iterable[SearchDocument]) -> Iterable[SearchDocument]:
        for doc in docs:
            if doc.type in VECTOR_TYPES:
                self._pending.append(doc)
                if len(self._pending) >= self.EMBED_BATCH:
                    self._embed()
            yield doc
        self._embed()
        self.store()

    def _embed(self) -> None:
        vectors = embed([document_text(d) for d in self._pending]).astype(np.float16)
        self.rows += [
            (d.doc_id, d.type, d.id, v.tobytes())
            for d, v in zip(self._pending, vectors, strict=True)
        ]
        self._pending.clear()

    def store(self, batch: int = 2000) -> int:
        for start in range(0, len(self.rows), batch):
            with write_transaction() as session:
                _store(session, self.rows[start : start + batch], set())
        remove(stored_doc_ids() - {row[0] for row in self.rows})
        return len(self.rows)


def rebuild(docs: Iterable[SearchDocument]) -> int:
    """Recompute every vector from these (all public) documents; drop any other row."""
    job = Rebuild()
    for _ in job.feed(docs):
        pass
    return len(job.rows)


def stored_doc_ids() -> set[str]:
    """Doc ids of every stored vector."""
    ids = set(db.session.scalars(select(PostVector.doc_id)))
    db.session.rollback()
    return ids


def broken_doc_ids() -> set[str]:
    """Doc ids whose stored bytes are not one vector (a corrupt or foreign row)."""
    ids = {
        doc_id
        for doc_id, size in db.session.execute(
            select(PostVector.doc_id, db.func.length(PostVector.vector))
        )
        if size != VECTOR_BYTES
    }
    db.session.rollback()
    return ids


def remove(doc_ids: Iterable[str]) -> None:
    """Delete these posts' vectors and commit."""
    ids = sorted(doc_ids)
    if ids:
        with write_transaction() as session:
            write(session, (), ids)


def drift(expected: set[str]) -> tuple[set[str], set[str]]:
    """(public questions and goals without a good vector, vectors of anything else)."""
    expected = {i for i in expected if i.partition(":")[0] in VECTOR_TYPES}
    stored, broken = stored_doc_ids(), broken_doc_ids()
    return (expected - stored) | (broken & expected), (stored - expected) | broken

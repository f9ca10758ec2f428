"""Post vectors in the post_vectors table: written by the indexer, rebuilt, checked.

Why a table: both search backends and every node (SEARCH_NODES=multi, or PostgreSQL search
on several machines) share the database, so one copy serves all of them, with no pgvector
and no files to keep in step with each Whoosh index. float16 bytes: 512 bytes a post, about
28 MB at 55k questions and goals (150k posts); each worker reads them once into memory
(vector_matrix.py) and then only the rows that changed.

Only questions and goals get vectors: similar threads list nothing else. Removals follow the
documents exactly (a closed goal's posts, hidden or deleted posts), in the same round.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import numpy as np
from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import PostVector
from app.search.documents import SearchDocument
from app.search.embeddings import DIM, embed
from app.services.transaction import write_transaction

log = logging.getLogger(__name__)
VECTOR_TYPES = ("question", "goal")
CHUNK = 500  # doc ids per DELETE ... IN (...)
VECTOR_BYTES = DIM * 2


def document_text(doc: SearchDocument) -> str:
    """The text a post's vector is computed from: its title, then its body."""
    return f"{doc.title}\n{doc.body}"


def write(session: Session, upserts: Iterable[SearchDocument], removals: Iterable[str]) -> int:
    """Replace the vectors of upserted questions and goals, delete removed ones (no commit)."""
    removals = set(removals)
    # An id in both lists is removed, as the index does (privacy wins).
    docs = {d.doc_id: d for d in upserts if d.type in VECTOR_TYPES and d.doc_id not in removals}
    stale = sorted(removals | set(docs))
    for start in range(0, len(stale), CHUNK):
        session.execute(delete(PostVector).where(
            PostVector.doc_id.in_(stale[start:start + CHUNK])))
    if docs:
        vectors = embed([document_text(d) for d in docs.values()]).astype(np.float16)
        session.execute(insert(PostVector), [
            {"doc_id": d.doc_id, "doc_type": d.type, "object_id": d.id, "vector": v.tobytes()}
            for d, v in zip(docs.values(), vectors, strict=True)])
    return len(docs)


def write_apart(upserts: list[SearchDocument], removals: list[str]) -> None:
    """write() in its own transaction, for a node's worker (several nodes write the same rows)."""
    try:
        with write_transaction() as session:
            write(session, upserts, removals)
    except IntegrityError:
        # Another node inserted the same post's vector between our delete and insert: it
        # read the same current row, so its vector is the one we would have written.
        log.info("post vectors written concurrently by another node; kept theirs")


def rebuild(docs: Iterable[SearchDocument], batch: int = 1000) -> int:
    """Recompute every vector from these (all public) documents; drop any other row."""
    seen: set[str] = set()
    pending: list[SearchDocument] = []

    def flush() -> None:
        # Batch by batch (readers see old or new vectors, never none), each in a write
        # transaction of its own: the documents are read between batches on the same session.
        with write_transaction() as session:
            write(session, pending, ())
        pending.clear()

    for doc in docs:
        if doc.type in VECTOR_TYPES:
            seen.add(doc.doc_id)
            pending.append(doc)
            if len(pending) >= batch:
                flush()
    flush()
    extra = stored_doc_ids() - seen
    remove(extra)
    return len(seen)


def stored_doc_ids() -> set[str]:
    """Doc ids of every stored vector."""
    ids = set(db.session.scalars(select(PostVector.doc_id)))
    db.session.rollback()
    return ids


def broken_doc_ids() -> set[str]:
    """Doc ids whose stored bytes are not one vector (a corrupt or foreign row)."""
    ids = {doc_id for doc_id, size in db.session.execute(
        select(PostVector.doc_id, db.func.length(PostVector.vector)))
        if size != VECTOR_BYTES}
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

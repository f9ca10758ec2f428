"""The app's entry to search: one backend per process, and drift checks."""

import os

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.models import Answer, Goal, Question
from app.search.documents import doc_id_for
from app.search.indexer import all_public_documents, documents_for
from app.search.outbox import enqueue
from app.search.whoosh_backend import WhooshBackend
from app.services.transaction import write_transaction

# Keyed by (pid, directory): a backend opened before a fork must not be reused after it.
_backends: dict[tuple[int, str], WhooshBackend] = {}


def get_backend() -> WhooshBackend:
    """This process's backend for the configured index directory (opened lazily)."""
    key = (os.getpid(), current_app.config["SEARCH_INDEX_DIR"])
    if key not in _backends:
        os.makedirs(key[1], exist_ok=True)
        _backends[key] = WhooshBackend(key[1])
    return _backends[key]


def rebuild_index(progress=None) -> int:
    """Rebuild the whole index from the database and swap it in atomically."""
    # A lazy generator: database reads start only once rebuild() holds the index lock.
    return get_backend().rebuild(all_public_documents(), progress=progress)


def public_doc_ids() -> set[str]:
    """Doc ids of every post an anonymous reader may see, per the visibility gate."""
    ids: set[str] = set()
    for doc_type, model in (("goal", Goal), ("question", Question), ("answer", Answer)):
        keys = [(doc_type, i) for i in db.session.scalars(select(model.id))]
        for start in range(0, len(keys), 1000):
            upserts, _ = documents_for(keys[start:start + 1000])
            ids.update(doc.doc_id for doc in upserts)
    db.session.rollback()
    return ids


def check_index(repair: bool = True) -> tuple[set[str], set[str]]:
    """Compare index and database: (missing from index, extra in index); repair if asked."""
    backend = get_backend()
    backend.refresh()
    expected, indexed = public_doc_ids(), backend.doc_ids()
    missing, extra = expected - indexed, indexed - expected
    if repair:
        if extra:
            backend.remove_documents(extra)
        by_type: dict[str, list[int]] = {}
        for doc_id in missing:
            doc_type, _, raw = doc_id.partition(":")
            by_type.setdefault(doc_type, []).append(int(raw))
        with write_transaction() as session:
            for doc_type, ids in by_type.items():
                enqueue(session, doc_type, ids)
    return missing, extra


__all__ = ["check_index", "doc_id_for", "get_backend", "rebuild_index"]

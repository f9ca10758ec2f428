"""Readiness checks for /healthz: the database answers and the search index can be read."""

import os

from flask import current_app
from sqlalchemy import text

from app.extensions import db
from app.search.query import parse_query
from app.search.service import get_backend


def database_ok() -> bool:
    """Whether `SELECT 1` works on a pooled connection."""
    try:
        db.session.execute(text("SELECT 1")).scalar_one()
        return True
    except Exception:  # any failure means "not ready": logged, never raised
        current_app.logger.warning("healthz: database check failed", exc_info=True)
        return False
    finally:
        # A dead connection must not poison this worker's next request.
        db.session.rollback()


def search_ok() -> bool:
    """Whether the search backend (and a Whoosh index directory) answers a query."""
    try:
        backend = get_backend()
        directory = current_app.config["SEARCH_INDEX_DIR"]
        # A Whoosh indexer writes here: a read-only or vanished directory fails too.
        on_disk = current_app.config.get("SEARCH_BACKEND", "whoosh") == "whoosh"
        if on_disk and not os.access(directory, os.R_OK | os.W_OK | os.X_OK):
            raise OSError(f"index directory {directory} is not readable and writable")
        backend.refresh()
        # Page 2: the real query path without the did-you-mean lookup a probe word with no
        # hits would trigger on page 1 (a trigram scan on PostgreSQL) on every probe.
        backend.search(parse_query("healthz"), 2, 1)
        return True
    except Exception:  # any failure means "not ready": logged, never raised
        current_app.logger.warning("healthz: search index check failed", exc_info=True)
        return False


def health() -> tuple[dict, bool]:
    """The /healthz body and whether every part is healthy."""
    parts = {"database": database_ok(), "search": search_ok()}
    healthy = all(parts.values())
    body = {"status": "ok" if healthy else "fail"}
    body.update({part: "ok" if ok else "fail" for part, ok in parts.items()})
    return body, healthy

"""`make run`'s indexer: a thread inside the development server instead of a second process.

Production runs `flask search worker` beside gunicorn (`make serve`); one development server
has a single process, so the same loop runs in a daemon thread there, started by the first
request (CLI commands that build the app never start it). An empty index is built first.
"""

import logging
import threading

from flask import Flask

from app.search.indexer import run_worker
from app.search.service import get_backend, rebuild_index

log = logging.getLogger(__name__)


class BackgroundIndexer:
    """Starts the indexer loop once per process and stops it on request (tests)."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def ensure_started(self) -> None:
        with self._lock:
            if self.thread is None:
                self.thread = threading.Thread(target=self._run, name="search-indexer", daemon=True)
                self.thread.start()

    def _run(self) -> None:
        with self.app.app_context():
            backend = get_backend()
            if not backend.doc_ids():
                count = rebuild_index()
                log.info("search index was empty: built it with %d public posts", count)
            run_worker(backend, stop=self.stop)


def register_background_indexer(app: Flask) -> None:
    """With SEARCH_INDEXER_THREAD on, the first request starts the indexer thread."""
    if not app.config.get("SEARCH_INDEXER_THREAD"):
        return
    indexer = app.extensions["journster_indexer"] = BackgroundIndexer(app)
    app.before_request(indexer.ensure_started)

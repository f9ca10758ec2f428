"""Several web nodes, each with its own Whoosh index, fed by one shared change log.

With ``SEARCH_NODES=multi`` the outbox (``search_outbox``, written in the same transaction as
every change) becomes an append-only log: no worker deletes the rows it applied, because
every node must apply them to its own index. Each node's `flask search worker` keeps a
cursor in its index directory (``LOG_CURSOR.json``, replaced atomically after each index
commit): the index it belongs to, the highest log id applied, and the ids below that it has
not seen yet ("gaps"). A gap is a row of a transaction that had not committed when a later
id was read (ids are handed out at flush, not at commit) or one that rolled back; gaps are
re-read every round for GAP_SECONDS, so a late commit is applied instead of skipped. Rows
older than the retention are pruned (the newest row is always kept so ids never restart, and
a marker row records the highest id pruned); a node whose cursor is below that mark, whose
cursor names another index, or whose index is missing or corrupt rebuilds from the database
into a new directory and switches atomically. Until its cursor names the live index the node
answers search with no results (and similar threads with none) instead of partial ones.
Replaying a row is harmless: each round re-reads the current database rows (at-least-once),
and every hit is re-checked against the database before it is served anyway.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy import delete, func, insert, select
from whoosh import index

from app.extensions import db
from app.models import SearchOutbox
from app.models.base import utcnow
from app.search import similar_store, vectors
from app.search import whoosh_schema as ws
from app.search.indexer import (
    BATCH_SIZE,
    ROUTINE_EVERY,
    ROUTINE_LISTS_SECONDS,
    URGENT_LISTS_SECONDS,
    all_public_documents,
    documents_for,
)
from app.search.whoosh_store import IndexStore

log = logging.getLogger(__name__)
CURSOR_FILE = "LOG_CURSOR.json"
LOCK_FILE = "LOG.lock"
GAP_SECONDS = 300.0  # how long a missing id is waited for (a transaction still open)
MAX_GAPS = 5000  # a huge rolled-back batch must not make every round slow
RETENTION = timedelta(hours=24)
PRUNE_EVERY = 60.0  # seconds between prunes by one worker
HEALTH_EVERY = 5.0  # seconds between checks that the index still opens (a few ms each)
PRUNED = "pruned"  # doc_type of the marker rows prune() leaves
REPLAY_AFTER_REBUILD = 1000  # log rows re-applied after a rebuild (changes racing the read)


def multi_node(config) -> bool:
    """Whether this app runs one Whoosh index per node fed by the shared log."""
    return (
        config.get("SEARCH_NODES") == "multi" and config.get("SEARCH_BACKEND", "whoosh") == "whoosh"
    )


@dataclass
class Cursor:
    """How far the log has been applied to one index directory."""

    index: str
    log_id: int
    gaps: dict[int, float] = field(default_factory=dict)  # id -> wall time first missed


class NodeIndex:
    """This node's index directory seen as a consumer of the shared change log."""

    def __init__(self, base: str | os.PathLike) -> None:
        self.base = Path(base)
        self._ready: tuple[tuple[int, int, str | None], bool] | None = None

    @property
    def store(self) -> IndexStore:
        return IndexStore(self.base)  # creates the directory again if it was deleted

    # -- cursor ------------------------------------------------------------------------
    def cursor(self) -> Cursor | None:
        """The stored cursor, or None when there is none (or it is unreadable)."""
        try:
            data = json.loads((self.base / CURSOR_FILE).read_text(encoding="utf-8"))
            return Cursor(
                str(data["index"]),
                int(data["log_id"]),
                {int(k): float(v) for k, v in data.get("gaps", {}).items()},
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def _write_cursor(self, cursor: Cursor) -> None:
        staging = self.base / f"{CURSOR_FILE}.{os.getpid()}.tmp"
        with open(staging, "w", encoding="utf-8") as handle:
            json.dump(
                {
                    "index": cursor.index,
                    "log_id": cursor.log_id,
                    "gaps": {str(k): v for k, v in cursor.gaps.items()},
                },
                handle,
            )
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(staging, self.base / CURSOR_FILE)

    def _drop_cursor(self) -> None:
        (self.base / CURSOR_FILE).unlink(missing_ok=True)

    def ready(self) -> bool:
        """Whether the live index has been built and fed by this node's worker."""
        try:
            stat = (self.base / CURSOR_FILE).stat()
        except OSError:
            return False
        current = self.store.current_name()
        # Re-read the cursor only when it (or the live index) changed: this runs per search.
        key = (stat.st_mtime_ns, stat.st_ino, current)
        if self._ready is None or self._ready[0] != key:
            cursor = self.cursor()
            self._ready = (
                key,
                cursor is not None and current is not None and cursor.index == current,
            )
        return self._ready[1]

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """One log consumer per node at a time (the worker, a reindex, a check)."""
        self.base.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.base / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    # -- health and rebuild ------------------------------------------------------------
    def healthy(self) -> bool:
        """Whether the live index exists and opens with a searcher."""
        name = self.store.current_name()
        if name is None:
            return False
        for attempt in range(2):
            try:
                ix = index.open_dir(str(self.store.path(name)))
                with ix.searcher() as searcher:
                    if searcher.doc_count_all():
                        searcher.reader().stored_fields(0)  # the stored-fields files too
                return True
            except Exception:  # a merge by `flask search check` may have raced the open
                if attempt:
                    log.warning("search index %s does not open", name, exc_info=True)
                    return False
                time.sleep(0.2)
        return False

    def rebuild(self, progress=None) -> int:
        """Build the index from the database in a new directory, switch, reset the cursor."""
        with self.lock():
            return self._rebuild(progress)

    def _rebuild(self, progress=None) -> int:
        store = self.store
        # Read the head before the documents: changes after it are replayed from the log.
        head = db.session.scalar(select(func.max(SearchOutbox.id))) or 0
        pruned = pruned_up_to()
        db.session.rollback()
        with store.exclusive():
            old_name = store.current_name()
            build = store.new_build_dir()
            try:
                count = ws.build_index(build, all_public_documents(), progress)
            except BaseException:
                shutil.rmtree(build, ignore_errors=True)
                raise
            new_name = store.publish(build)
            # Keep the previous index: web processes may still be mid-search on it.
            store.cleanup(keep=(new_name, old_name))
        db.session.rollback()
        # Never below what was pruned: that would read as "rows were missed" again.
        start = max(0, head - REPLAY_AFTER_REBUILD, pruned)
        self._write_cursor(Cursor(new_name, start))
        log.info("search index %s rebuilt with %d public posts", new_name, count)
        return count

    # -- applying the log --------------------------------------------------------------
    def sync_once(self, backend, batch_size: int = BATCH_SIZE) -> int:
        """Apply one batch of log rows (or rebuild when the index cannot catch up)."""
        with self.lock():
            return self._sync_once(backend, batch_size)

    def _needs_rebuild(self, cursor: Cursor | None) -> str | None:
        if cursor is None:
            return "no cursor"
        if cursor.index != self.store.current_name():
            return "the cursor belongs to another index"
        # A prune's marker row comes after every row it deleted, so only markers this node
        # has not read yet can tell of rows it missed (a primary-key range, not a scan).
        if pruned_up_to(after=cursor.log_id) > cursor.log_id:
            return "log rows it had not applied were pruned"
        return None

    def _sync_once(self, backend, batch_size: int) -> int:
        cursor = self.cursor()
        reason = self._needs_rebuild(cursor)
        if reason:
            log.warning("rebuilding the search index of %s: %s", self.base, reason)
            return max(1, self._rebuild())
        now = time.time()
        gaps = {i: seen for i, seen in cursor.gaps.items() if now - seen < GAP_SECONDS}
        columns = (SearchOutbox.id, SearchOutbox.doc_type, SearchOutbox.doc_id)
        rows = db.session.execute(
            select(*columns)
            .where(SearchOutbox.id > cursor.log_id)
            .order_by(SearchOutbox.id)
            .limit(batch_size)
        ).all()
        late = (
            db.session.execute(select(*columns).where(SearchOutbox.id.in_(sorted(gaps)))).all()
            if gaps
            else []
        )
        if not rows and not late:
            db.session.rollback()
            if gaps != cursor.gaps:  # expired gaps: forget them
                self._write_cursor(Cursor(cursor.index, cursor.log_id, gaps))
            return 0
        upserts, removals = documents_for((r.doc_type, r.doc_id) for r in [*rows, *late])
        db.session.rollback()  # end the read transaction before the (slow) index commit
        backend.apply(upserts, removals)
        vectors.write_apart(upserts, removals)  # shared by the nodes: each writes the same
        for row in late:
            gaps.pop(row.id, None)
        head = cursor.log_id
        for row in rows:  # every id skipped on the way up may still commit
            gaps.update(dict.fromkeys(range(max(head + 1, row.id - MAX_GAPS), row.id), now))
            head = row.id
        if len(gaps) > MAX_GAPS:
            gaps = dict(sorted(gaps.items())[-MAX_GAPS:])
        # Every node applies every row; the text digest makes the marking a no-op after
        # the first node, so one list computation per change, cluster-wide (and a replay
        # after a crash before the cursor is written marks nothing twice).
        similar_store.after_round(upserts, removals)
        # Written only after the index commit: a crash in between replays the batch.
        self._write_cursor(Cursor(cursor.index, head, gaps))
        return len(rows) + len(late)

    def catch_up(self, backend, batch_size: int = BATCH_SIZE) -> int:
        """Apply every log row this node has not applied yet; returns how many."""
        total = 0
        while applied := self.sync_once(backend, batch_size):
            total += applied
        similar_store.run_refresh(None, upto=similar_store.NEIGHBOUR)
        return total


def pruned_up_to(after: int = 0) -> int:
    """The highest log id pruned by markers after log id ``after`` (0 if none)."""
    return (
        db.session.scalar(
            select(func.max(SearchOutbox.doc_id)).where(
                SearchOutbox.id > after, SearchOutbox.doc_type == PRUNED
            )
        )
        or 0
    )


def prune(retention: timedelta = RETENTION) -> int:
    """Delete log rows older than the retention, always keeping the newest row."""
    newest = db.session.scalar(select(func.max(SearchOutbox.id)))
    cutoff = utcnow() - retention
    # Keeping the newest row keeps ids growing on SQLite (a rowid is max(rowid) + 1).
    old = (SearchOutbox.created_at < cutoff, SearchOutbox.id < (newest or 0))
    boundary = db.session.scalar(select(func.max(SearchOutbox.id)).where(*old))
    if boundary is None:
        db.session.rollback()
        return 0
    result = db.session.execute(delete(SearchOutbox).where(*old))
    # A marker row (skipped by every indexer: not a post type) records how far the log was
    # cut, so a node tells "rows I needed were pruned" from ids that were never committed.
    db.session.execute(
        insert(SearchOutbox).values(doc_type=PRUNED, doc_id=boundary, created_at=utcnow())
    )
    db.session.commit()
    return result.rowcount or 0


def run_node_worker(
    node: NodeIndex,
    get_backend: Callable,
    *,
    poll_seconds: float = 0.1,
    stop: threading.Event | None = None,
    prune_every: float = PRUNE_EVERY,
) -> None:
    """Loop until ``stop``: keep this node's index fed from the shared log."""
    stop = stop or threading.Event()
    check_health, last_prune, last_health = True, 0.0, time.monotonic()
    routine_at = 0.0
    while not stop.is_set():
        try:
            # A corrupt segment that no write touches would otherwise go unnoticed here.
            if time.monotonic() - last_health >= HEALTH_EVERY:
                check_health, last_health = True, time.monotonic()
            if check_health and not node.healthy():
                # Report "not ready" (no results) until the rebuild is live.
                node._drop_cursor()
                node.rebuild()
            check_health = False
            if time.monotonic() - last_prune >= prune_every:
                last_prune = time.monotonic()
                prune()
            applied = node.sync_once(get_backend())
            if (
                similar_store.run_refresh(URGENT_LISTS_SECONDS, upto=similar_store.CHANGED)
                or applied
            ):
                continue
            if time.monotonic() - routine_at >= ROUTINE_EVERY:
                routine_at = time.monotonic()
                similar_store.run_refresh(ROUTINE_LISTS_SECONDS)
        except Exception:  # keep serving; the log keeps the rows for the next round
            log.exception("search log round failed; checking the index and retrying")
            db.session.rollback()
            check_health = True
            time.sleep(1)
        stop.wait(poll_seconds)

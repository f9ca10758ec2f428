"""Rate-limit counters in a SQLite file: shared by every worker process on one machine.

``limits`` (under Flask-Limiter) ships memory, Redis, Memcached and MongoDB storages. Memory
counts per process, so with several gunicorn workers each client gets the limit once per
worker; the others need a server. This storage keeps fixed-window counters in one SQLite
file (``sqlite:///<path>``, by default ``instance/ratelimits.db``): each hit is a single
UPSERT … RETURNING statement, atomic under SQLite's write lock, so concurrent workers never
lose a count. WAL and ``synchronous=NORMAL`` keep a hit to tens of microseconds (no fsync per
hit; a power cut may forget the last hits, which is harmless for rate limits).

It supports the fixed-window strategy (Flask-Limiter's default, the one Journster uses).
Several machines share counts through Redis instead (``RATELIMIT_STORAGE_URI=redis://…``).
"""

import os
import random
import sqlite3
import threading
import time

from limits.storage import Storage

SCHEME = "sqlite"
_PRUNE_EVERY = 1000  # on average, one hit in this many deletes expired counters
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS counters ("
    "key TEXT PRIMARY KEY, count INTEGER NOT NULL, expires_at REAL NOT NULL)"
)
_INCR = (
    "INSERT INTO counters (key, count, expires_at) VALUES (:key, :amount, :now + :expiry) "
    "ON CONFLICT (key) DO UPDATE SET "
    "count = CASE WHEN expires_at <= :now THEN :amount ELSE count + :amount END, "
    "expires_at = CASE WHEN expires_at <= :now THEN :now + :expiry ELSE expires_at END "
    "RETURNING count"
)


def path_from_uri(uri: str) -> str:
    """``sqlite:////abs/file.db`` → ``/abs/file.db`` (SQLAlchemy's URL spelling)."""
    prefix = f"{SCHEME}:///"
    if not uri.startswith(prefix) or len(uri) == len(prefix):
        raise ValueError(f"expected {prefix}<path>, got {uri!r}")
    return uri[len(prefix) :]


class SQLiteStorage(Storage):
    """A ``limits`` storage (fixed window) in one SQLite file; one connection per thread."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str, wrap_exceptions: bool = False, **options) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.path = path_from_uri(uri)
        self._local = threading.local()

    @property
    def base_exceptions(self) -> type[Exception]:
        return sqlite3.Error

    def _connection(self) -> sqlite3.Connection:
        # A connection must not cross a fork (gunicorn may import the app before forking).
        conn = getattr(self._local, "conn", None)
        if conn is None or self._local.pid != os.getpid():
            conn = sqlite3.connect(
                self.path, timeout=10, isolation_level=None, check_same_thread=True
            )
            conn.execute("PRAGMA busy_timeout = 10000")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute(_SCHEMA)
            self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        """Add ``amount`` to the key's window (a new window when it has expired)."""
        conn, now = self._connection(), time.time()
        if random.randrange(_PRUNE_EVERY) == 0:  # noqa: S311  (not security: housekeeping)
            conn.execute("DELETE FROM counters WHERE expires_at <= ?", (now,))
        row = conn.execute(
            _INCR, {"key": key, "amount": amount, "now": now, "expiry": expiry}
        ).fetchone()
        return int(row[0])

    def get(self, key: str) -> int:
        row = (
            self._connection()
            .execute(
                "SELECT count FROM counters WHERE key = ? AND expires_at > ?", (key, time.time())
            )
            .fetchone()
        )
        return int(row[0]) if row else 0

    def get_expiry(self, key: str) -> float:
        now = time.time()
        row = (
            self._connection()
            .execute("SELECT expires_at FROM counters WHERE key = ? AND expires_at > ?", (key, now))
            .fetchone()
        )
        return float(row[0]) if row else now

    def check(self) -> bool:
        try:
            self._connection().execute("SELECT 1").fetchone()
        except sqlite3.Error:
            return False
        return True

    def reset(self) -> int | None:
        cursor = self._connection().execute("DELETE FROM counters")
        return cursor.rowcount

    def clear(self, key: str) -> None:
        self._connection().execute("DELETE FROM counters WHERE key = ?", (key,))

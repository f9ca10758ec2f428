"""The one way services write: a transaction that takes SQLite's write lock up front."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, cast

from sqlalchemy import event
from sqlalchemy.engine import CursorResult, Engine, Result
from sqlalchemy.orm import Session

from app.extensions import db

# Read by the SQLite "begin" hook: True while a service is inside write_transaction().
_write_intent: ContextVar[bool] = ContextVar("journster_write_intent", default=False)


@contextmanager
def write_transaction() -> Iterator[Session]:
    """Run the block in one transaction and commit it; re-entrant (inner blocks join)."""
    session = db.session()
    if _write_intent.get():
        yield session
        return
    # End any read snapshot first: on SQLite a deferred read transaction that later writes
    # fails with "database is locked" when another worker committed in between.
    if session.in_transaction():
        session.commit()
    token = _write_intent.set(True)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        _write_intent.reset(token)


def rows_affected(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE run through Session.execute matched."""
    # Session.execute is typed as returning a Result; for DML it is a CursorResult.
    return cast(CursorResult[Any], result).rowcount


def configure_sqlite_engine(engine: Engine) -> None:
    """WAL, foreign keys, a busy timeout, and BEGIN IMMEDIATE for write transactions."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let us emit BEGIN ourselves instead of pysqlite's implicit, deferred one.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")

"""Backups: a directory holding manifest.json and a database dump (SQLite copy or pg_dump -Fc).

Layout of a backup directory (written to a temporary sibling, then renamed, so a backup that
exists is complete):

    manifest.json      format version, created_at, database kind, Alembic revision,
                       row count per table, size and SHA-256 of every other file
    database.sqlite3   SQLite: a page-by-page copy made with the online backup API, or
    database.pgdump    PostgreSQL: `pg_dump -Fc` (custom format, compressed)
    README.txt         what this is and how to restore it

The search index is not copied: it is derived from the database, so restore rebuilds it.
This module holds the format and makes a backup; backup_verify checks one, backup_restore
restores one.
"""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import URL, Connection

from app.core.files import fsync_path
from app.extensions import db

FORMAT = "journster-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
README = "README.txt"
DUMP_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
CHUNK = 1 << 20
PG_TIMEOUT = 6 * 3600  # seconds; a dump or restore of a big site may take long, not forever

README_TEXT = """Journster backup ({kind}, Alembic revision {revision}, made {created_at}).

manifest.json lists every file with its SHA-256 and the row count of every table.
The search index is not included: `flask backup restore` rebuilds it from the database
(or run `flask search reindex` yourself).

Restore into an empty deployment (a new, empty {kind} database; `flask db upgrade` may have
run on it, nothing else):

    DATABASE_URL=... flask backup restore {name}
"""


class BackupError(Exception):
    """A backup could not be made, verified or restored; the message says why."""


@dataclass(frozen=True)
class Manifest:
    """What a verified backup holds."""

    path: Path
    kind: str
    revision: str | None
    created_at: str
    tables: dict[str, int]

    @property
    def dump(self) -> Path:
        return self.path / DUMP_FILES[self.kind]

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


def database_kind() -> str:
    """ "sqlite" or "postgresql": the configured database's dialect."""
    name = db.engine.dialect.name
    if name not in DUMP_FILES:
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {name}.")
    return name


def app_tables() -> list[str]:
    """Every table the application's models define, parents first."""
    return [table.name for table in db.metadata.sorted_tables]


def count_rows(conn, tables) -> dict[str, int]:
    """Row count per table (run inside the snapshot that the dump is made from)."""
    return {
        table.name: conn.execute(select(func.count()).select_from(table)).scalar_one()
        for table in db.metadata.sorted_tables
        if table.name in tables
    }


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- create ----------------------------------------------------------------------------------


def create_backup(target: Path, progress: Callable[[str], None] = lambda _m: None) -> Manifest:
    """Write a consistent backup of the configured database to the directory target."""
    target = Path(target)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BackupError(
            f"{target} already exists: choose a new path (backups are never overwritten)."
        )
    kind = database_kind()
    target.parent.mkdir(parents=True, exist_ok=True)
    # Built beside the target, then renamed: an interrupted backup never looks complete.
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        dump = work / DUMP_FILES[kind]
        progress(f"Dumping the {kind} database ...")
        created_at = _now()  # when the snapshot was taken, give or take a second
        if kind == "sqlite":
            revision, tables = _sqlite_dump(dump)
        else:
            revision, tables = _pg_dump(dump)
        (work / README).write_text(
            README_TEXT.format(
                kind=kind, revision=revision, created_at=created_at, name=target.name
            )
        )
        progress("Writing the manifest ...")
        files = {
            name: {"bytes": (work / name).stat().st_size, "sha256": sha256_of(work / name)}
            for name in (DUMP_FILES[kind], README)
        }
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": created_at,
            "database_kind": kind,
            "alembic_revision": revision,
            "tables": tables,
            "search_index": "not included: rebuilt from the database on restore "
            "(flask search reindex)",
            "files": files,
        }
        (work / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        # On disk before the rename makes it look complete (cron backups, then a power cut).
        for name in (*files, MANIFEST):
            fsync_path(work / name)
        if target.exists():
            target.rmdir()  # the empty directory checked above
        os.rename(work, target)
        fsync_path(target.parent)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return Manifest(target, kind, revision, created_at, tables)


def sqlite_path() -> Path:
    database = db.engine.url.database
    if not database or database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up.")
    return Path(database)


def _sqlite_source() -> Path:
    path = sqlite_path()
    if not path.is_file():
        raise BackupError(f"There is no database at {path} to back up.")
    return path


def sqlite_revision(conn: sqlite3.Connection) -> str | None:
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        return None
    return row[0] if row else None


def sqlite_counts(conn: sqlite3.Connection) -> dict[str, int]:
    present = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    # Table names come from our own models, never from input.
    return {
        name: conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]  # noqa: S608
        for name in app_tables()
        if name in present
    }


def _sqlite_dump(dump: Path) -> tuple[str | None, dict[str, int]]:
    """Copy the live database with SQLite's online backup API (one consistent snapshot)."""
    source = sqlite3.connect(_sqlite_source(), timeout=30)
    copy = sqlite3.connect(dump)
    try:
        # pages=-1 copies everything in one step under one read transaction: in WAL mode
        # writers carry on meanwhile and the copy is a single point in time.
        source.backup(copy, pages=-1)
        # A self-contained file: no -wal or -shm beside it.
        copy.execute("PRAGMA journal_mode=DELETE")
        return sqlite_revision(copy), sqlite_counts(copy)
    finally:
        copy.close()
        source.close()


def libpq_url(url: URL) -> tuple[str, dict[str, str]]:
    """The libpq URL for pg_dump/pg_restore/psql, and PGPASSWORD (kept out of `ps`)."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def run_tool(args: list[str], env: dict[str, str], what: str) -> None:
    try:
        result = subprocess.run(  # noqa: S603  (fixed PostgreSQL tools, no shell)
            args, env=env, capture_output=True, text=True, timeout=PG_TIMEOUT, check=False
        )
    except FileNotFoundError:
        raise BackupError(
            f"{args[0]} was not found: install the PostgreSQL client tools "
            "(the same major version as the server or newer)."
        ) from None
    if result.returncode != 0:
        raise BackupError(f"{what} failed: {result.stderr.strip() or result.returncode}")


def _pg_dump(dump: Path) -> tuple[str | None, dict[str, int]]:
    """pg_dump -Fc from an exported snapshot, counting rows in that same snapshot."""
    url, env = libpq_url(db.engine.url)
    with db.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            conn.execute(text("SET TRANSACTION READ ONLY"))
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            revision = alembic_revision(conn)
            tables = count_rows(conn, set(inspect(conn).get_table_names()))
            # The snapshot stays valid while this transaction is open.
            run_tool(
                ["pg_dump", "--format=custom", f"--snapshot={snapshot}", f"--file={dump}", url],
                env,
                "pg_dump",
            )
    return revision, tables


def alembic_revision(conn: Connection) -> str | None:
    """The Alembic revision the database is at (None before any migration)."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()

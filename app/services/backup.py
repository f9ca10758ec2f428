"""Backups: a directory holding manifest.json and a database dump (SQLite copy or pg_dump -Fc).

Layout of a backup directory (written to a temporary sibling, then renamed, so a backup that
exists is complete):

    manifest.json      format version, created_at, database kind, Alembic revision,
                       row count per table, size and SHA-256 of every other file
    database.sqlite3   SQLite: a page-by-page copy made with the online backup API, or
    database.pgdump    PostgreSQL: `pg_dump -Fc` (custom format, compressed)
    README.txt         what this is and how to restore it

The search index is not copied: it is derived from the database, so restore rebuilds it.
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

from app.extensions import db
from app.search.service import rebuild_index

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


def _count_rows(conn, tables) -> dict[str, int]:
    """Row count per table (run inside the snapshot that the dump is made from)."""
    return {
        table.name: conn.execute(select(func.count()).select_from(table)).scalar_one()
        for table in db.metadata.sorted_tables
        if table.name in tables
    }


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": created_at,
            "database_kind": kind,
            "alembic_revision": revision,
            "tables": tables,
            "search_index": "not included: rebuilt from the database on restore "
            "(flask search reindex)",
            "files": {
                name: {"bytes": (work / name).stat().st_size, "sha256": _sha256(work / name)}
                for name in (DUMP_FILES[kind], README)
            },
        }
        (work / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        # On disk before the rename makes it look complete (cron backups, then a power cut).
        for name in (*manifest["files"], MANIFEST):
            _fsync(work / name)
        if target.exists():
            target.rmdir()  # the empty directory checked above
        os.rename(work, target)
        _fsync(target.parent)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return Manifest(target, kind, revision, created_at, tables)


def _sqlite_path() -> Path:
    database = db.engine.url.database
    if not database or database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up.")
    return Path(database)


def _sqlite_source() -> Path:
    path = _sqlite_path()
    if not path.is_file():
        raise BackupError(f"There is no database at {path} to back up.")
    return path


def _sqlite_revision(conn: sqlite3.Connection) -> str | None:
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        return None
    return row[0] if row else None


def _sqlite_counts(conn: sqlite3.Connection) -> dict[str, int]:
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
        return _sqlite_revision(copy), _sqlite_counts(copy)
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


def _run(args: list[str], env: dict[str, str], what: str) -> None:
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
            revision = _revision(conn)
            tables = _count_rows(conn, set(inspect(conn).get_table_names()))
            # The snapshot stays valid while this transaction is open.
            _run(
                ["pg_dump", "--format=custom", f"--snapshot={snapshot}", f"--file={dump}", url],
                env,
                "pg_dump",
            )
    return revision, tables


def _revision(conn: Connection) -> str | None:
    """The Alembic revision the database is at (None before any migration)."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


# -- verify ----------------------------------------------------------------------------------


def read_manifest(path: Path) -> Manifest:
    """Check a backup directory without touching any database: manifest, checksums, dump."""
    path = Path(path)
    if not path.is_dir():
        raise BackupError(
            f"No backup at {path} (expected a directory made by `flask backup create`)."
        )
    try:
        raw = json.loads((path / MANIFEST).read_text())
    except FileNotFoundError:
        raise BackupError(f"{path} has no {MANIFEST}: not a Journster backup.") from None
    except (ValueError, UnicodeDecodeError):
        raise BackupError(f"{path / MANIFEST} is damaged (not valid JSON).") from None
    manifest = _parse_manifest(path, raw)
    listed = raw["files"]
    for name, entry in listed.items():
        file = path / name
        if not file.is_file():
            raise BackupError(f"The backup is incomplete: {name} is missing.")
        if file.stat().st_size != entry.get("bytes"):
            raise BackupError(
                f"{name} is truncated or damaged: {file.stat().st_size} bytes, "
                f"the manifest says {entry.get('bytes')}."
            )
        if _sha256(file) != entry.get("sha256"):
            raise BackupError(f"{name} is damaged: its SHA-256 does not match the manifest.")
    if manifest.dump.name not in listed:
        raise BackupError(f"The manifest lists no {manifest.dump.name}.")
    if manifest.kind == "sqlite":
        _verify_sqlite_dump(manifest)
    else:
        _verify_pg_dump(manifest)
    return manifest


def _parse_manifest(path: Path, raw) -> Manifest:
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise BackupError(f"{path / MANIFEST} is not a Journster backup manifest.")
    if raw.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"Backup format version {raw.get('format_version')} is not supported "
            f"(this version reads {FORMAT_VERSION})."
        )
    kind, tables = raw.get("database_kind"), raw.get("tables")
    if kind not in DUMP_FILES:
        raise BackupError(f"Unknown database kind in the manifest: {kind!r}.")
    if not isinstance(tables, dict) or not all(
        isinstance(n, int) and n >= 0 for n in tables.values()
    ):
        raise BackupError("The manifest's table row counts are damaged.")
    if not isinstance(raw.get("files"), dict):
        raise BackupError("The manifest's file list is damaged.")
    return Manifest(
        path, kind, raw.get("alembic_revision"), str(raw.get("created_at")), dict(tables)
    )


def _verify_sqlite_dump(manifest: Manifest) -> None:
    # immutable=1: read the file as it is, creating no -wal/-shm beside it.
    conn = sqlite3.connect(f"file:{manifest.dump}?mode=ro&immutable=1", uri=True)
    try:
        if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError("The SQLite copy fails its integrity check.")
        if _sqlite_revision(conn) != manifest.revision or _sqlite_counts(conn) != manifest.tables:
            raise BackupError("The SQLite copy does not match its manifest.")
    except sqlite3.DatabaseError as error:
        raise BackupError(f"The SQLite copy is damaged: {error}.") from None
    finally:
        conn.close()


def _verify_pg_dump(manifest: Manifest) -> None:
    """Read the whole archive (every compressed block) and count its rows per table."""
    counts: dict[str, int] = {}
    table = None
    with tempfile.TemporaryFile() as errors:
        try:
            reader = subprocess.Popen(  # noqa: S603  (fixed PostgreSQL tool, no shell)
                ["pg_restore", "--data-only", "--file=-", str(manifest.dump)],  # noqa: S607
                stdout=subprocess.PIPE,
                stderr=errors,
            )
        except FileNotFoundError:
            raise BackupError(
                "pg_restore was not found: install the PostgreSQL client tools."
            ) from None
        with reader:
            # COPY text format: one line per row (newlines inside values are escaped).
            for line in reader.stdout:
                if table is not None:
                    if line == b"\\.\n":
                        table = None
                    else:
                        counts[table] += 1
                elif line.startswith(b"COPY ") and line.rstrip().endswith(b"FROM stdin;"):
                    name = line.split(b" ", 2)[1].decode().rpartition(".")[2].strip('"')
                    table = name
                    counts.setdefault(name, 0)
        errors.seek(0)
        if reader.returncode != 0:
            detail = errors.read().decode(errors="replace").strip()
            raise BackupError(f"The pg_dump archive is damaged: {detail}")
    if {name: counts.get(name, 0) for name in manifest.tables} != manifest.tables:
        raise BackupError("The pg_dump archive does not match its manifest's row counts.")


# -- restore ---------------------------------------------------------------------------------


def _rows_in_target() -> dict[str, int]:
    """Row counts of the app tables that exist in the target (with rows only)."""
    with db.engine.connect() as conn:
        present = set(inspect(conn).get_table_names())
        counts = _count_rows(conn, present)
    return {name: count for name, count in counts.items() if count}


def restore_backup(path: Path, progress: Callable[[str], None] = lambda _m: None) -> Manifest:
    """Restore a verified backup into the configured, empty database, then rebuild search."""
    progress("Verifying the backup ...")
    manifest = read_manifest(path)
    kind = database_kind()
    if manifest.kind != kind:
        raise BackupError(
            f"This is a {manifest.kind} backup, but DATABASE_URL points at "
            f"{kind}: restore it into a {manifest.kind} database."
        )
    occupied = _rows_in_target()
    if occupied:
        sample = ", ".join(f"{name} ({count})" for name, count in list(occupied.items())[:5])
        raise BackupError(
            "The target database is not empty; restore only into an empty "
            f"deployment. Rows found in: {sample}. Nothing was changed."
        )
    db.session.remove()
    db.engine.dispose()
    progress(f"Restoring {manifest.rows} rows into {kind} ...")
    if kind == "sqlite":
        _sqlite_restore(manifest)
    else:
        _pg_restore(manifest)
    db.engine.dispose()
    with db.engine.connect() as conn:
        revision = _revision(conn)
        counts = _count_rows(conn, set(inspect(conn).get_table_names()))
    if revision != manifest.revision or counts != manifest.tables:
        raise BackupError("The restored database does not match the backup's manifest.")
    progress("Rebuilding the search index ...")
    rebuild_index()
    return manifest


def _sqlite_restore(manifest: Manifest) -> None:
    """Copy the backup over the (empty) target with the online backup API."""
    target = _sqlite_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"file:{manifest.dump}?mode=ro&immutable=1", uri=True)
    dest = sqlite3.connect(target, timeout=30)
    try:
        source.backup(dest, pages=-1)
        dest.execute("PRAGMA journal_mode=WAL")  # the app's mode (SPEC §5)
    except sqlite3.DatabaseError as error:
        raise BackupError(f"Restoring into {target} failed: {error}.") from None
    finally:
        dest.close()
        source.close()


def _pg_restore(manifest: Manifest) -> None:
    """Drop the empty schema and load the archive in one psql transaction (all or nothing)."""
    url, env = libpq_url(db.engine.url)
    env["PGOPTIONS"] = "-c client_min_messages=warning"  # no NOTICE per absent object
    with db.engine.connect() as conn:
        existing = set(inspect(conn).get_table_names())
    # Empty tables a `flask db upgrade` made (at any revision) give way to the archive's.
    drops = [name for name in [*app_tables(), "alembic_version"] if name in existing]
    with tempfile.TemporaryDirectory(prefix="journster-restore-") as scratch:
        prelude, script = Path(scratch) / "prelude.sql", Path(scratch) / "restore.sql"
        prelude.write_text("".join(f'DROP TABLE IF EXISTS "{name}" CASCADE;\n' for name in drops))
        # The archive as SQL first, so psql runs one BEGIN ... COMMIT over everything: a
        # failure anywhere rolls the drops back too.
        _run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                f"--file={script}",
                str(manifest.dump),
            ],
            env,
            "Reading the pg_dump archive",
        )
        _run(
            [
                "psql",
                "--no-psqlrc",
                "--quiet",
                "--single-transaction",
                "--set=ON_ERROR_STOP=1",
                "--output=/dev/null",
                f"--file={prelude}",
                f"--file={script}",
                f"--dbname={url}",
            ],
            env,
            "Loading the dump (nothing was changed)",
        )

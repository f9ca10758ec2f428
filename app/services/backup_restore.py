"""Restoring a verified backup into an empty deployment, then rebuilding the search index."""

import sqlite3
import tempfile
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import inspect

from app.extensions import db
from app.search.service import rebuild_index
from app.services.backup import (
    BackupError,
    Manifest,
    alembic_revision,
    app_tables,
    count_rows,
    database_kind,
    libpq_url,
    run_tool,
    sqlite_path,
)
from app.services.backup_verify import read_manifest


def _rows_in_target() -> dict[str, int]:
    """Row counts of the app tables that exist in the target (with rows only)."""
    with db.engine.connect() as conn:
        present = set(inspect(conn).get_table_names())
        counts = count_rows(conn, present)
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
        revision = alembic_revision(conn)
        counts = count_rows(conn, set(inspect(conn).get_table_names()))
    if revision != manifest.revision or counts != manifest.tables:
        raise BackupError("The restored database does not match the backup's manifest.")
    progress("Rebuilding the search index ...")
    rebuild_index()
    return manifest


def _sqlite_restore(manifest: Manifest) -> None:
    """Copy the backup over the (empty) target with the online backup API."""
    target = sqlite_path()
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
        run_tool(
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
        run_tool(
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

"""Checking a backup without touching any database: manifest, checksums, the dump itself."""

import json
import sqlite3
import subprocess
import tempfile
from pathlib import Path

from app.services.backup import (
    DUMP_FILES,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    BackupError,
    Manifest,
    sha256_of,
    sqlite_counts,
    sqlite_revision,
)


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
        if sha256_of(file) != entry.get("sha256"):
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
        if sqlite_revision(conn) != manifest.revision or sqlite_counts(conn) != manifest.tables:
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
        assert reader.stdout is not None  # stdout=PIPE
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

"""Index directories under one base dir: `ix-<stamp>` dirs, a CURRENT pointer, atomic swaps.

Layout::

    <base>/CURRENT          name of the live index dir, replaced with os.replace()
    <base>/ix-<stamp>/      complete indexes (the live one and the one before it)
    <base>/tmp-<stamp>/     a rebuild in progress, or left over by a crash (never opened)
    <base>/REBUILD.lock     flock held while creating or rebuilding

A rebuild writes a tmp dir, renames it to ix-<stamp>, then replaces CURRENT: until that
last step every process keeps serving the old index, so an interrupted rebuild is harmless.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import secrets
import shutil
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from whoosh import index
from whoosh.searching import Searcher

from app.core.files import fsync_path

POINTER = "CURRENT"
LOCK_FILE = "REBUILD.lock"
_INDEX_RE = re.compile(r"ix-\d{8}T\d{6}-[0-9a-f]{6}")


def _stamp() -> str:
    return time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + "-" + secrets.token_hex(3)


class IndexStore:
    """Finds, creates, publishes and cleans up the index directories of one base dir."""

    def __init__(self, base: str | os.PathLike) -> None:
        self.base = Path(base)
        self.base.mkdir(parents=True, exist_ok=True)

    def current_name(self) -> str | None:
        """Name of the live index dir, or None when there is none yet."""
        try:
            name = (self.base / POINTER).read_text(encoding="ascii").strip()
        except (FileNotFoundError, UnicodeDecodeError):
            return None
        # Only ever follow a well-formed name: the pointer must not lead out of base.
        if _INDEX_RE.fullmatch(name) and (self.base / name).is_dir():
            return name
        return None

    def path(self, name: str) -> Path:
        """Directory of the index called name."""
        return self.base / name

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the base dir's rebuild lock (blocking; released if the process dies)."""
        fd = os.open(self.base / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def new_build_dir(self) -> Path:
        """A fresh, empty tmp dir for a rebuild."""
        path = self.base / f"tmp-{_stamp()}"
        path.mkdir()
        return path

    def publish(self, build_dir: Path) -> str:
        """Make a finished build the live index: flush, rename, swap CURRENT."""
        for entry in build_dir.iterdir():
            if entry.is_file():
                with open(entry, "rb+") as handle:
                    os.fsync(handle.fileno())
        name = "ix-" + build_dir.name.removeprefix("tmp-")
        final = self.base / name
        os.rename(build_dir, final)
        fsync_path(final)
        staging = self.base / f"{POINTER}.{os.getpid()}.tmp"
        with open(staging, "w", encoding="ascii") as handle:
            handle.write(name + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(staging, self.base / POINTER)
        fsync_path(self.base)
        return name

    def ensure_index(self, schema) -> str:
        """Name of the live index, creating an empty one on first use."""
        name = self.current_name()
        if name:
            return name
        with self.exclusive():
            name = self.current_name()  # another process may have won the race
            if name:
                return name
            build = self.new_build_dir()
            index.create_in(str(build), schema)
            return self.publish(build)

    def cleanup(self, keep: Iterable[str | None]) -> None:
        """Delete tmp dirs and old indexes; call only while holding exclusive()."""
        keep_names = {name for name in keep if name}
        for entry in self.base.iterdir():
            name = entry.name
            stale_dir = name.startswith("tmp-") or (
                name.startswith("ix-") and name not in keep_names
            )
            if stale_dir and entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            elif name.startswith(POINTER + ".") and name.endswith(".tmp"):
                entry.unlink(missing_ok=True)


def open_searcher(ix: index.Index, attempts: int = 5) -> Searcher:
    """A searcher with every file of its segments already open.

    Segments are plain files (not compound), and whoosh opens per-document columns only
    on first use. When another process merges segments it deletes the merged files at
    once, so a searcher must hold them open before that can happen; an open file
    outlives its deletion.
    """
    for _ in range(attempts):
        generation = ix.latest_generation()
        try:
            # Opening the searcher itself opens each segment's terms and postings: a merge
            # committed between reading the TOC and opening them removes those files.
            searcher = ix.searcher()
        except OSError:
            continue
        try:
            _open_lazy_files(searcher)
        except (OSError, TypeError):  # a file vanished while we opened it: try again
            searcher.close()
            continue
        # Files are deleted only after a newer TOC is written: if there is none, every
        # file of this searcher's segments was still there when we opened it.
        if ix.latest_generation() == generation:
            return searcher
        searcher.close()
    # The index churns non-stop: settle for lazily opened files (one more try if a merge
    # removes files under us again).
    try:
        return ix.searcher()
    except OSError:
        return ix.searcher()


def _open_lazy_files(searcher) -> None:
    schema = searcher.schema
    for reader, _ in searcher.reader().leaf_readers():
        if not reader.doc_count_all():
            continue
        reader.stored_fields(0)
        for name, field in schema.items():
            if field.scorable:
                reader.doc_field_length(0, name)
            if field.column_type:
                reader.column_reader(name)

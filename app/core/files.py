"""Durable files: what must be on disk before a rename makes it look complete."""

import os
from pathlib import Path


def fsync_path(path: str | os.PathLike) -> None:
    """Flush a file or a directory (its entries: a rename into it) to disk."""
    fd = os.open(Path(path), os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

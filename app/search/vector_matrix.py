"""Each worker's in-memory copy of the post vectors, and nearest-neighbour lookups on it.

Brute force with numpy: at 55k questions and goals (150k posts) a full 256-dim float32 scan
reads 56 MB per lookup (~18 ms here), too slow for the as-you-type budget, and 56 MB per
worker. WordLlama's Matryoshka training keeps the leading dimensions meaningful on their own
(SemEval 3B train MAP, each question's own candidates: 64 dims 67.4, 128 dims 67.7, 256 dims
67.7), so neighbours are found on the first SCAN_DIMS dimensions (float32, 14 MB at 55k, a few
ms) and candidates are scored on the first SCORE_DIMS (float16, 14 MB). The copy is refreshed
from the table at most every VECTOR_REFRESH_SECONDS: new rows are appended; a deletion or a
count that does not add up reloads it whole.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

import numpy as np
from flask import current_app
from sqlalchemy import func, select

from app.extensions import db
from app.models import PostVector
from app.search.embeddings import DIM

SCAN_DIMS = 64
SCORE_DIMS = 128
TYPE_CODES = {"question": 0, "goal": 1}
TYPE_NAMES = {code: name for name, code in TYPE_CODES.items()}
FULL_RELOAD_SECONDS = 600.0  # belt and braces against any change the token cannot see


def _unit(rows: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(rows, axis=-1, keepdims=True)
    return np.divide(rows, norms, out=np.zeros_like(rows), where=norms > 0)


class VectorMatrix:
    """Vectors of one database, as arrays; thread-safe (lookups read a consistent snapshot)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._token: tuple[int, int] | None = None
        self._checked = self._loaded = 0.0
        self._set(*_empty())

    def _set(self, ids, codes, objects, full, scan) -> None:
        keys = objects * 2 + codes
        order = np.argsort(keys, kind="stable")
        # One tuple, swapped in whole: a lookup in another thread sees old or new, never mixed.
        # full: the first SCORE_DIMS of each vector, scan: the first SCAN_DIMS (renormalised).
        self._data = (ids, codes, objects, full, scan, keys[order], order)

    def __len__(self) -> int:
        return len(self._data[0])

    def refresh(self, min_interval: float) -> None:
        """Catch up with the table when it changed (checked at most every min_interval s)."""
        now = time.monotonic()
        if now - self._checked < min_interval:
            return
        with self._lock:
            if now - self._checked < min_interval:
                return
            count, top = db.session.execute(
                select(func.count(PostVector.id), func.max(PostVector.id))
            ).one()
            token = (int(count), int(top or 0))
            self._checked = now
            if token == self._token and now - self._loaded < FULL_RELOAD_SECONDS:
                return
            self._catch_up(token, now)

    def _catch_up(self, token: tuple[int, int], now: float) -> None:
        arrays: tuple[Any, ...] = self._data[:5]
        last = int(arrays[0][-1]) if len(arrays[0]) else 0
        whole = now - self._loaded >= FULL_RELOAD_SECONDS or token[1] < last
        if not whole:
            new = self._read(last, max(0, token[0] - len(arrays[0])))
            arrays = tuple(np.concatenate(pair) for pair in zip(arrays, new, strict=True))
            if len(arrays[0]) != token[0]:  # a row was deleted: keep the rows still there
                keep = np.isin(
                    arrays[0], np.fromiter(db.session.scalars(select(PostVector.id)), np.int64)
                )
                arrays = tuple(a[keep] for a in arrays)
            whole = len(arrays[0]) != token[0]  # a row committed late below the last id read
        if whole:
            arrays = self._read(None, token[0])
            self._loaded = now
        self._set(*arrays)
        self._token = token

    @staticmethod
    def _read(after: int | None, expected: int = 0, chunk: int = 5000) -> tuple[np.ndarray, ...]:
        """Rows with an id above ``after`` (None: all), read in chunks into arrays sized for
        ``expected`` rows: fetching 55k rows at once, or concatenating chunks, left 30–70 MB
        of freed heap in the worker that it never gave back."""
        out = _empty(expected)
        n, last = 0, after or 0
        while True:
            rows = db.session.execute(
                select(PostVector.id, PostVector.doc_type, PostVector.object_id, PostVector.vector)
                .where(PostVector.id > last)
                .order_by(PostVector.id)
                .limit(chunk)
            ).all()
            if not rows:
                break
            if n + len(rows) > len(out[0]):  # rows arrived meanwhile: grow (rare)
                out = tuple(
                    np.concatenate([a, b])
                    for a, b in zip(out, _empty(n + len(rows) - len(out[0])), strict=True)
                )
            vectors = (
                np.frombuffer(b"".join(bytes(r[3]) for r in rows), np.float16)
                .reshape(len(rows), DIM)
                .astype(np.float32)
            )
            end = n + len(rows)
            out[0][n:end] = [r[0] for r in rows]
            out[1][n:end] = [TYPE_CODES.get(r[1], -1) for r in rows]
            out[2][n:end] = [r[2] for r in rows]
            out[3][n:end] = _unit(vectors[:, :SCORE_DIMS])
            out[4][n:end] = _unit(vectors[:, :SCAN_DIMS])
            n, last = end, rows[-1][0]
            del rows, vectors
        return tuple(a[:n] for a in out)

    def nearest(
        self, query: np.ndarray, k: int, types, exclude: set[tuple[str, int]]
    ) -> list[tuple[str, int]]:
        """The k posts of these types nearest to a unit query vector (by the scan prefix)."""
        _, codes, objects, _, scan, _, _ = self._data
        wanted = [TYPE_CODES[t] for t in types if t in TYPE_CODES]
        if not len(codes) or not wanted or k <= 0:
            return []
        # einsum, not `@`: a matrix-vector product goes to multi-threaded OpenBLAS, whose
        # threads spin against the other worker on a busy 2-core machine (p50 0.9 ms alone,
        # 130 ms under load here); einsum's single-threaded loop stays ~1 ms at 55k rows.
        scores = np.einsum("ij,j->i", scan, _unit(query[:SCAN_DIMS].astype(np.float32)))
        if len(wanted) < len(TYPE_CODES):
            scores[~np.isin(codes, wanted)] = -np.inf
        take = min(len(scores), k + len(exclude))
        top = np.argpartition(scores, -take)[-take:]
        top = top[np.argsort(-scores[top], kind="stable")]
        found = [(TYPE_NAMES[int(codes[i])], int(objects[i])) for i in top if scores[i] > -np.inf]
        return [key for key in found if key not in exclude][:k]

    def cosines(self, query: np.ndarray, keys) -> dict[tuple[str, int], float]:
        """Cosine (first SCORE_DIMS dims) of each post that has a vector (others left out)."""
        _, _, _, full, _, sorted_keys, order = self._data
        keys = [key for key in keys if key[0] in TYPE_CODES]
        if not keys or not len(sorted_keys):
            return {}
        wanted = np.array([object_id * 2 + TYPE_CODES[kind] for kind, object_id in keys], np.int64)
        at = np.minimum(np.searchsorted(sorted_keys, wanted), len(sorted_keys) - 1)
        found = sorted_keys[at] == wanted
        rows = order[at[found]]
        scores = np.einsum(
            "ij,j->i", full[rows].astype(np.float32), _unit(query[:SCORE_DIMS].astype(np.float32))
        )
        hits = [key for key, ok in zip(keys, found, strict=True) if ok]
        return dict(zip(hits, scores.tolist(), strict=True))


def _empty(n: int = 0) -> tuple[np.ndarray, ...]:
    return (
        np.zeros(n, np.int64),
        np.zeros(n, np.int8),
        np.zeros(n, np.int64),
        np.zeros((n, SCORE_DIMS), np.float16),
        np.zeros((n, SCAN_DIMS), np.float32),
    )


_matrices: dict[tuple[int, str], VectorMatrix] = {}
_matrices_lock = threading.Lock()


def current_matrix() -> VectorMatrix:
    """This process's copy of this app's vectors, refreshed if due."""
    key = (os.getpid(), db.engine.url.render_as_string(hide_password=True))
    with _matrices_lock:
        matrix = _matrices.setdefault(key, VectorMatrix())
    matrix.refresh(current_app.config.get("VECTOR_REFRESH_SECONDS", 1.0))
    return matrix

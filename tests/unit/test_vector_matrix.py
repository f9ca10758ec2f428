"""The in-memory vector copy: nearest neighbours by type and exclusion, and cosines."""

import numpy as np

from app.search.vector_matrix import SCAN_DIMS, SCORE_DIMS, VectorMatrix


def matrix_of(rows: list[tuple[str, int, np.ndarray]]) -> VectorMatrix:
    matrix = VectorMatrix()
    codes = np.array([{"question": 0, "goal": 1}[kind] for kind, _, _ in rows], np.int8)
    objects = np.array([object_id for _, object_id, _ in rows], np.int64)
    full = np.array([vector[:SCORE_DIMS] for _, _, vector in rows], np.float32)
    scan = np.array([vector[:SCAN_DIMS] for _, _, vector in rows], np.float32)
    full /= np.linalg.norm(full, axis=1, keepdims=True)
    scan /= np.linalg.norm(scan, axis=1, keepdims=True)
    matrix._set(
        np.arange(1, len(rows) + 1, dtype=np.int64), codes, objects, full.astype(np.float16), scan
    )
    return matrix


def unit(seed: int) -> np.ndarray:
    vector = np.random.default_rng(seed).standard_normal(256).astype(np.float32)
    return vector / np.linalg.norm(vector)


def test_nearest_ranks_by_cosine_within_the_types_and_leaves_out_exclusions():
    query = unit(0)
    close = _towards(query, unit(1), 0.9)
    closer = _towards(query, unit(2), 0.97)
    matrix = matrix_of(
        [
            ("question", 1, unit(3)),
            ("question", 2, close),
            ("goal", 2, closer),
            ("question", 3, closer),
        ]
    )
    assert matrix.nearest(query, 2, ("question",), set()) == [("question", 3), ("question", 2)]
    assert matrix.nearest(query, 1, ("goal", "question"), {("question", 3)}) == [("goal", 2)]
    assert matrix.nearest(query, 5, ("answer",), set()) == []
    assert VectorMatrix().nearest(query, 5, ("question",), set()) == []


def test_cosines_are_given_for_known_posts_only():
    query = unit(0)
    matrix = matrix_of([("question", 7, query), ("goal", 7, -query)])
    scores = matrix.cosines(query, [("question", 7), ("goal", 7), ("question", 8), ("answer", 1)])
    assert set(scores) == {("question", 7), ("goal", 7)}
    assert abs(scores[("question", 7)] - 1) < 0.01 and abs(scores[("goal", 7)] + 1) < 0.01


def _towards(target: np.ndarray, other: np.ndarray, share: float) -> np.ndarray:
    mixed = share * target + (1 - share) * other
    return mixed / np.linalg.norm(mixed)

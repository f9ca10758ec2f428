"""How hybrid.fuse orders word hits and nearest vectors (no model, no index needed)."""

import pytest

from app.search import hybrid

A, B, C, V = ("question", 1), ("question", 2), ("question", 3), ("question", 4)
COSINES = {A: 0.35, B: 0.4, C: 0.9, V: 0.95}  # C and V mean the same as the text; A, B do not
WORD_HITS = [(A, 10.0), (B, 9.0), (C, 1.0)]  # the words favour A and B


class FakeMatrix:
    def nearest(self, query, count, types, excluded):
        return [key for key in (V, C) if key not in excluded][:count]

    def cosines(self, query, keys):
        return {key: COSINES[key] for key in keys}


@pytest.fixture(autouse=True)
def no_model(monkeypatch):
    monkeypatch.setattr(hybrid, "embed_one", lambda text: None)
    monkeypatch.setattr(hybrid, "current_matrix", FakeMatrix)


def keys(text: str, limit: int = 4) -> list[tuple[str, int]]:
    return [
        (kind, object_id)
        for kind, object_id, _ in hybrid.fuse(text, WORD_HITS, limit, [], ("question",))
    ]


def test_a_title_keeps_its_best_word_hits_in_front(monkeypatch):
    # cosine + 0.1 x word score / best: A 0.45, B 0.49, C 0.91, V 0.95 (V: no word hit)
    monkeypatch.setattr(hybrid, "TITLE_WORD_WEIGHT", 0.1)
    monkeypatch.setattr(hybrid, "TITLE_WORD_KEEP", 0)
    assert keys("renew residence permit") == [V, C, B, A]  # plain fusion
    monkeypatch.setattr(hybrid, "TITLE_WORD_KEEP", 2)
    assert keys("renew residence permit") == [B, A, V, C]  # the two best by words, fused order
    monkeypatch.setattr(hybrid, "TITLE_WORD_KEEP", 1)
    assert keys("renew residence permit") == [A, V, C, B]


def test_plain_fusion_weighs_words_against_meaning(monkeypatch):
    monkeypatch.setattr(hybrid, "TITLE_WORD_KEEP", 0)
    # cosine + 1.0 x word score / best: A 1.35, B 1.3, C 1.0, V 0.95
    assert keys("renew residence permit") == [A, B, C, V]


def test_whole_posts_are_fused_without_a_kept_head(monkeypatch):
    monkeypatch.setattr(hybrid, "TITLE_WORD_KEEP", 2)
    monkeypatch.setattr(hybrid, "WORD_WEIGHT", 0.1)
    post = "renew residence permit " + "and the office wants papers before the month ends " * 2
    assert keys(post) == [V, C, B, A]

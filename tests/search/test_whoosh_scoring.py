"""The numpy BM25F scorer ranks exactly as Whoosh's own matchers do (whoosh_scoring).

Every comparison runs Whoosh's search with limit=None on the same searcher and query
objects, over an index with many segments, updated and deleted documents, so that cached
postings of older segment states are exercised too.
"""

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from whoosh.query import Or, Phrase, Term
from whoosh.searching import Searcher

from app.search import whoosh_schema as ws
from app.search.documents import SearchDocument
from app.search.query import parse_query
from app.search.whoosh_backend import WhooshBackend
from app.search.whoosh_scoring import TIE_DECIMALS, VectorScorer, bitmap, docnums
from app.search.whoosh_terms import TITLE_KEY_TERMS, key_terms

WORDS = [
    "python",
    "flask",
    "career",
    "mentor",
    "goal",
    "interview",
    "salary",
    "resume",
    "testing",
    "deploy",
    "docker",
    "cache",
    "review",
    "feedback",
    "promotion",
    "habit",
    "focus",
    "database",
    "query",
    "index",
    "scale",
    "design",
    "remote",
]
STOP = ("the", "a", "to", "of", "and", "how", "my")
TAGS = ("python", "career", "testing", "devops")
T0 = datetime(2025, 1, 1, tzinfo=UTC)


def _text(rng: random.Random, count: int) -> str:
    # Zipf-ish: the first words are common, so ties and long postings both occur.
    weights = [1 / (rank + 1) for rank in range(len(WORDS))]
    words = rng.choices(WORDS, weights, k=count) + rng.choices(STOP, k=count // 3)
    rng.shuffle(words)
    return " ".join(words)


def _docs(rng: random.Random, start: int, count: int) -> list[SearchDocument]:
    return [
        SearchDocument.make(
            "question" if n % 4 else "goal",
            n,
            title=_text(rng, rng.randint(2, 9)),
            body=_text(rng, rng.randint(0, 60)),
            tags=rng.sample(TAGS, rng.randint(0, 2)),
            author=f"user{n % 7}",
            created_at=T0 + timedelta(minutes=n),
            score=rng.randint(-2, 9),
            answer_count=rng.randint(0, 3),
        )
        for n in range(start, start + count)
    ]


def _queries(rng: random.Random, count: int) -> list[str]:
    return [_text(rng, rng.randint(1, 3)) for _ in range(count)]


@pytest.fixture
def backend(tmp_path):
    """An index built in 40-post commits, then edited and pruned: segments with deletions."""
    rng = random.Random(3)
    instance = WhooshBackend(tmp_path / "index")
    for start in range(1, 641, 40):
        instance.index_documents(_docs(rng, start, 40))
    instance.search(parse_query("python career"))  # caches postings of these segments
    instance.index_documents(_docs(rng, 5, 30))  # new versions: old ones deleted
    instance.remove_documents([f"question:{n}" for n in range(101, 140)])
    yield instance
    instance.close()


def _whoosh_top(searcher: Searcher, q, **kwargs) -> list[tuple[str, float]]:
    """Whoosh's own ranking of every match, ties (to TIE_DECIMALS) by docnum."""
    results = searcher.search(q, limit=None, **kwargs)
    ranked = sorted((-round(r.score, TIE_DECIMALS), r.docnum) for r in results)
    return [(searcher.stored_fields(d)["doc_id"], -score) for score, d in ranked]


def _pairs(hits) -> list[tuple[str, float]]:
    return [(hit.doc_id, round(hit.score, TIE_DECIMALS)) for hit in hits]


def test_search_ranks_and_counts_as_whoosh_does(backend):
    searcher = backend._fresh(force=True)
    checked = 0
    for text in _queries(random.Random(11), 80):
        query = parse_query(text)
        text_q, _ = ws.text_query(query, backend._analyzer)
        if text_q is None:
            continue
        expected = _whoosh_top(searcher, text_q)
        first = backend.search(query, page=1, per_page=15)
        second = backend.search(query, page=2, per_page=15)
        assert first.total == len(expected), text
        assert _pairs(first.hits) + _pairs(second.hits) == expected[:30], text
        checked += len(expected) > 1
    assert checked > 50  # most queries rank several posts


def test_filtered_search_ranks_as_whoosh_does(backend):
    searcher = backend._fresh(force=True)
    for text in _queries(random.Random(12), 30):
        query = parse_query(text, types=["goal"])
        text_q, _ = ws.text_query(query, backend._analyzer)
        if text_q is None:
            continue
        allowed = backend._filter_set(searcher, ws.filter_query(query))
        expected = _whoosh_top(searcher, text_q, filter=allowed)
        results = backend.search(query, per_page=100)
        assert results.total == len(expected)
        assert _pairs(results.hits) == expected[:100]
        assert {hit.type for hit in results.hits} <= {"goal"}


def test_similar_ranks_as_whoosh_does(backend):
    rng = random.Random(13)
    searcher = backend._fresh(force=True)
    allowed = backend._filter_set(searcher, ws.any_of("type", ["question"]))
    for _ in range(40):
        title = _text(rng, rng.randint(2, 8))
        hits = backend.similar(title, limit=10)
        terms = key_terms(
            searcher, ws.analyse(backend._analyzer, title), ("title",), TITLE_KEY_TERMS, 1
        )
        if not terms:
            assert hits == []
            continue
        q = Or([Term("title", t) for t in terms])
        assert _pairs(hits) == _whoosh_top(searcher, q, filter=allowed)[:10], title


def test_similar_excludes_the_posts_asked_to(backend):
    top = backend.similar("python career mentor", limit=3)
    assert top
    again = backend.similar("python career mentor", limit=3, exclude_doc_ids=[top[0].doc_id])
    assert top[0].doc_id not in [hit.doc_id for hit in again]
    assert [hit.doc_id for hit in again][:2] == [hit.doc_id for hit in top[1:3]]


def test_deleted_and_removed_posts_never_come_back(backend):
    """Postings cached before a deletion still hold the deleted document: it must not count."""
    gone = {f"question:{n}" for n in range(101, 140)}
    for text in ("python", "career goal", "mentor", "salary resume"):
        results = backend.search(parse_query(text), per_page=100)
        assert not gone & {hit.doc_id for hit in results.hits}
        expected = _whoosh_top(
            backend._fresh(), ws.text_query(parse_query(text), ws.make_analyzer())[0]
        )
        assert results.total == len(expected)
    backend.remove_documents(["goal:4", "question:5"])
    for text in ("python", "career goal"):
        found = {hit.doc_id for hit in backend.search(parse_query(text), per_page=100).hits}
        assert not {"goal:4", "question:5"} & found


def test_a_tiny_postings_budget_gives_the_same_ranking(backend, tmp_path):
    queries = [parse_query(text) for text in _queries(random.Random(14), 20)]
    expected = [_pairs(backend.search(q, per_page=50).hits) for q in queries]
    backend._scorer = VectorScorer(budget=10)  # evicts nearly every term at once
    backend._forget()
    assert [_pairs(backend.search(q, per_page=50).hits) for q in queries] == expected


def test_plain_words_are_scored_without_whoosh_matchers(backend, monkeypatch):
    """The point of the module: Whoosh's per-document matcher loop is not used for words."""
    expected = backend.search(parse_query("python career"), per_page=50)

    def refuse(*args, **kwargs):
        raise AssertionError("Whoosh's matchers were used")

    monkeypatch.setattr(Searcher, "search", refuse)
    backend._forget()
    again = backend.search(parse_query("python career"), per_page=50)
    assert _pairs(again.hits) == _pairs(expected.hits) and again.total == expected.total
    assert backend.similar("python career mentor", limit=5)


def test_filters_are_bitmaps_of_cached_postings(backend, monkeypatch):
    """A commit must not make the next filtered search walk "type is question" in Whoosh."""
    queries = [parse_query("python career", types=["question"]), parse_query("[python] goal")]
    expected = [backend.search(q, per_page=50) for q in queries]
    similar = backend.similar("python career mentor", limit=5, types=("goal",))

    def refuse(*args, **kwargs):
        raise AssertionError("Whoosh built the filter's document set")

    monkeypatch.setattr(Searcher, "search", refuse)
    monkeypatch.setattr(Searcher, "docs_for_query", refuse)
    backend._forget()
    for q, before in zip(queries, expected, strict=True):
        again = backend.search(q, per_page=50)
        assert _pairs(again.hits) == _pairs(before.hits) and again.total == before.total
    assert backend.similar("python career mentor", limit=5, types=("goal",)) == similar
    assert {hit.type for hit in similar} == {"goal"}


def test_what_the_scorer_leaves_to_whoosh(backend):
    searcher = backend._fresh(force=True)
    assert VectorScorer.supports(searcher, Phrase("title", ["python", "career"]))
    assert not VectorScorer.supports(searcher, Phrase("title", ["python", "career"], slop=3))
    assert not VectorScorer.supports(searcher, Term("title", "python", boost=2.0))
    assert VectorScorer.supports(searcher, Or([Term("title", "python"), Term("body", "python")]))
    newest = backend.search(parse_query("python", sort="newest"), per_page=100).hits
    assert len(newest) > 10 and all(hit.score == 0.0 for hit in newest)
    assert [hit.doc_id for hit in newest] == [
        hit.doc_id for hit in sorted(newest, key=lambda h: -int(h.doc_id.split(":")[1]))
    ]


def test_an_empty_index_finds_nothing(tmp_path):
    instance = WhooshBackend(tmp_path / "empty")
    try:
        assert instance.search(parse_query("python")).hits == []
        assert instance.similar("python career mentor") == []
    finally:
        instance.close()


def test_bitmaps_and_docnums_round_trip():
    ids = [0, 3, 7, 8, 64, 65, 999]
    bits = bitmap(np.array(ids), 1000)
    assert bits == sum(1 << i for i in ids)
    assert docnums(bits, 1000).tolist() == ids
    assert docnums(0, 10).tolist() == []


@pytest.mark.parametrize("sort", ["newest", "votes"])
def test_sorted_results_are_whoosh_order(backend, sort):
    searcher = backend._fresh(force=True)
    for text in _queries(random.Random(15), 30):
        query = parse_query(text, sort=sort)
        text_q, _ = ws.text_query(query, backend._analyzer)
        if text_q is None:
            continue
        expected = [
            searcher.stored_fields(r.docnum)["doc_id"]
            for r in searcher.search(text_q, limit=None, sortedby=ws.SORTS[sort])
        ]
        first = backend.search(query, per_page=25)
        second = backend.search(query, page=2, per_page=25)
        assert [hit.doc_id for hit in first.hits + second.hits] == expected[:50], text


def test_caches_follow_index_changes(backend, tmp_path):
    """Postings, term frequencies and deletions cached for one index state never leak into
    the next: after more writes, the warm backend answers as a freshly opened one."""
    rng = random.Random(16)
    texts = _queries(rng, 15)
    posts = [_text(rng, 40) for _ in range(10)]
    for text in texts:
        backend.search(parse_query(text))
    for post in posts:
        backend.similar(post, limit=10)
    backend.index_documents(_docs(rng, 40, 60))  # edits (deletions) and new posts
    backend.remove_documents([f"question:{n}" for n in range(200, 230)])
    fresh = WhooshBackend(tmp_path / "index")
    try:
        for text in texts:
            query = parse_query(text)
            warm, cold = backend.search(query, per_page=40), fresh.search(query, per_page=40)
            assert (_pairs(warm.hits), warm.total) == (_pairs(cold.hits), cold.total), text
        for post in posts:
            assert _pairs(backend.similar(post, limit=10)) == _pairs(fresh.similar(post, limit=10))
    finally:
        fresh.close()


def test_similar_sees_a_word_become_common(tmp_path):
    """A word rare in one index state and common in the next is no longer a key term."""
    rng = random.Random(17)
    instance = WhooshBackend(tmp_path / "index")
    fresh = None
    try:
        instance.index_documents(_docs(rng, 1, 300))
        rare = [
            replace(_docs(rng, 901, 1)[0], title="zebra quokka"),
            replace(_docs(rng, 905, 1)[0], title="narwhal facts"),
        ]
        instance.index_documents(rare)
        title = "zebra quokka narwhal"
        assert {"question:901", "question:905"} <= {h.doc_id for h in instance.similar(title)}
        crowd = [replace(d, title=f"zebra {d.title}") for d in _docs(rng, 1000, 200)]
        instance.index_documents(crowd)
        fresh = WhooshBackend(tmp_path / "index")
        expected = fresh.similar(title, limit=5)
        assert [h.doc_id for h in expected] == ["question:901", "question:905"]
        assert _pairs(instance.similar(title, limit=5)) == _pairs(expected)
    finally:
        instance.close()
        if fresh is not None:
            fresh.close()


def test_phrases_rank_as_whoosh_does(backend):
    """A phrase scores its words only where they are adjacent, in that field."""
    rng = random.Random(18)
    searcher = backend._fresh(force=True)
    checked = 0
    for _ in range(40):
        words = _text(rng, 6).split()
        text = (
            f'"{words[0]} {words[1]}" {words[2]}'
            if rng.random() < 0.5
            else f'"{words[0]} {words[1]}"'
        )
        query = parse_query(text)
        text_q, _ = ws.text_query(query, backend._analyzer)
        if text_q is None:
            continue
        expected = _whoosh_top(searcher, text_q)
        results = backend.search(query, per_page=50)
        assert results.total == len(expected), text
        assert _pairs(results.hits) == expected[:50], text
        checked += len(expected) > 1
    assert checked > 10

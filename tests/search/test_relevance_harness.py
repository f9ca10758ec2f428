"""bench.search_relevance: metrics, link pairing and ranking on a tiny hand-made corpus."""

from datetime import UTC, datetime

import pytest

from app.search import whoosh_backend as wb
from app.search import whoosh_schema as ws
from app.search import whoosh_terms as wt
from app.search.documents import SearchDocument
from bench.search_relevance import (
    Corpus,
    Query,
    Setting,
    build_backend,
    build_queries,
    evaluate,
    mean_reciprocal_rank,
    patched,
    rank_of,
    read_links,
    recall_at,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def question(n, title, body, tags=("misc",)):
    return SearchDocument.make(
        "question",
        n,
        title=title,
        body=body,
        tags=list(tags),
        author="alice",
        created_at=T0,
        question_id=n,
    )


def answer(n, question_id, title, body):
    return SearchDocument.make(
        "answer", n, title=title, body=body, author="bob", created_at=T0, question_id=question_id
    )


DOCS = [
    question(1, "python virtualenv setup on windows", "alpha"),
    question(2, "setting up a python virtualenv under windows", "bravo"),
    question(3, "bake sourdough bread at home", "charlie"),
    question(4, "sourdough starter feeding schedule", "delta"),
    question(5, "guitar chord progressions", " ".join(["guitar chord progressions"] * 4)),
    question(6, "knitting patterns for scarves", "foxtrot"),
    question(7, "sourdough starter feeding", "golf"),
    answer(8, 6, "knitting patterns for scarves", "guitar chord progressions suit scarves"),
    answer(9, 5, "guitar chord progressions", "guitar chord progressions explained"),
]
QUERIES = [
    Query("duplicate", "question:1", "question:2"),
    Query("duplicate", "question:2", "question:1"),
    Query("linked", "question:4", "question:3"),  # question 7 shares more terms: rank 2
    Query("linked", "question:5", "question:6"),  # no shared question term: not found
]


@pytest.fixture(scope="module")
def corpus():
    return Corpus(list(DOCS))


@pytest.fixture(scope="module")
def backend(corpus, tmp_path_factory):
    backend = build_backend(corpus, tmp_path_factory.mktemp("relevance-index"))
    yield backend
    backend.close()


def test_rank_of_looks_at_the_first_k_only():
    hits = ["q:1", "q:2", "q:3", "q:4", "q:5", "q:6"]
    assert rank_of(hits, "q:1") == 1
    assert rank_of(hits, "q:5") == 5
    assert rank_of(hits, "q:6") is None  # beyond k = 5
    assert rank_of(hits, "q:6", k=6) == 6
    assert rank_of([], "q:1") is None


def test_recall_and_mrr():
    ranks = [1, 2, None, 5, 4]
    assert recall_at(ranks) == pytest.approx(4 / 5)
    assert mean_reciprocal_rank(ranks) == pytest.approx((1 + 1 / 2 + 0 + 1 / 5 + 1 / 4) / 5)
    assert recall_at(ranks, k=2) == pytest.approx(2 / 5)
    assert mean_reciprocal_rank(ranks, k=2) == pytest.approx((1 + 1 / 2) / 5)
    assert recall_at([6, 7]) == 0.0  # a rank beyond k counts as a miss
    assert mean_reciprocal_rank([6, 7]) == 0.0
    assert recall_at([]) == 0.0
    assert mean_reciprocal_rank([]) == 0.0


def test_build_queries_symmetric_and_directed():
    known = {"question:1", "question:2", "question:3"}
    links = [
        ("linked", "question:1", "question:2"),
        ("duplicate", "question:2", "question:1"),  # the same pair: duplicate wins
        ("linked", "question:2", "question:3"),
        ("linked", "question:3", "question:2"),  # the reverse link: one pair
        ("linked", "question:3", "question:3"),  # self-link
        ("linked", "question:1", "?99"),  # an end that was not imported
    ]
    queries, counts = build_queries(links, known)
    assert sorted((q.kind, q.source, q.target) for q in queries) == [
        ("duplicate", "question:1", "question:2"),
        ("duplicate", "question:2", "question:1"),
        ("linked", "question:2", "question:3"),
        ("linked", "question:3", "question:2"),
    ]
    assert counts["linked links"] == 5 and counts["linked usable"] == 3
    assert counts["duplicate pairs"] == 1 and counts["duplicate queries"] == 2
    assert counts["linked pairs"] == 1 and counts["linked queries"] == 2

    directed, counts = build_queries(links, known, symmetric=False)
    assert sorted((q.kind, q.source, q.target) for q in directed) == [
        ("duplicate", "question:2", "question:1"),
        ("linked", "question:1", "question:2"),
        ("linked", "question:2", "question:3"),
        ("linked", "question:3", "question:2"),
    ]
    assert counts["linked queries"] == 3 and counts["duplicate queries"] == 1


def test_read_links_keeps_duplicate_and_linked_rows(tmp_path):
    path = tmp_path / "PostLinks.xml"
    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<postlinks>\n'
        '  <row Id="1" PostId="10" RelatedPostId="20" LinkTypeId="1" />\n'
        '  <row Id="2" PostId="30" RelatedPostId="40" LinkTypeId="3" />\n'
        '  <row Id="3" PostId="50" RelatedPostId="60" LinkTypeId="2" />\n'
        '  <row Id="4" PostId="x" RelatedPostId="60" LinkTypeId="1" />\n'
        "</postlinks>\n",
        encoding="utf-8",
    )
    assert list(read_links(path)) == [("linked", 10, 20), ("duplicate", 30, 40)]


@pytest.mark.parametrize("mode", ["title", "title+body"])
def test_evaluate_ranks_and_metrics(backend, corpus, mode):
    result = evaluate(backend, corpus, QUERIES, modes=[mode])
    assert result.ranks[(mode, "duplicate")] == [1, 1]
    assert result.ranks[(mode, "linked")] == [2, None]
    assert result.row(mode, "duplicate") == (2, 1.0, 1.0)
    count, recall, mrr = result.row(mode, "linked")
    assert (count, recall, mrr) == (2, 0.5, pytest.approx(0.25))
    assert len(result.millis) == len(QUERIES)


def test_answers_count_as_evidence_for_their_thread(backend, corpus):
    # Question 5's own answer (9) is left out; answer 8 brings its thread, question 6.
    # (Only a long text matches bodies: question 5's title and body make 15 terms.)
    result = evaluate(backend, corpus, QUERIES[3:], Setting(answers=True), modes=["title+body"])
    assert result.ranks[("title+body", "linked")] == [1]
    plain = evaluate(backend, corpus, QUERIES[3:], modes=["title+body"])
    assert plain.ranks[("title+body", "linked")] == [None]


def test_patched_sets_and_restores_module_constants():
    before = (
        ws.TITLE_BOOST,
        wt.KEY_TERMS,
        wb.KEY_TERMS,
        wt.TITLE_KEY_TERMS,
        wb.TITLE_KEY_TERMS,
        wt.COMMON_SHARE,
        wt.TITLE_COMMON_SHARE,
        ws.make_analyzer,
        ws.document_fields,
    )
    setting = Setting(
        title_boost=7.0,
        key_terms=3,
        title_key_terms=2,
        common_share=0.5,
        title_common_share=0.4,
        stemming=False,
        index_tags=True,
    )
    with patched(setting):
        assert (ws.TITLE_BOOST, wt.KEY_TERMS, wb.KEY_TERMS) == (7.0, 3, 3)
        assert (wt.TITLE_KEY_TERMS, wb.TITLE_KEY_TERMS) == (2, 2)
        assert (wt.COMMON_SHARE, wt.TITLE_COMMON_SHARE) == (0.5, 0.4)
        assert [t.text for t in ws.make_analyzer()("running dogs")] == ["running", "dogs"]
        assert ws.document_fields(DOCS[0])["body"] == "alpha misc"
    assert (
        ws.TITLE_BOOST,
        wt.KEY_TERMS,
        wb.KEY_TERMS,
        wt.TITLE_KEY_TERMS,
        wb.TITLE_KEY_TERMS,
        wt.COMMON_SHARE,
        wt.TITLE_COMMON_SHARE,
        ws.make_analyzer,
        ws.document_fields,
    ) == before

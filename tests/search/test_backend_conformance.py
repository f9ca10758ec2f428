"""Every search backend passes these: results, filters, syntax, hostile input, writes,
privacy removals, similar threads, did-you-mean (Whoosh always, PostgreSQL when it answers).

Where the backends legitimately differ (relevance scores, highlight markup, snippet cuts)
the tests assert properties, not exact values.
"""

import threading

import pytest

from app.search.backend import SearchBackend, SearchResults
from app.search.query import parse_query
from tests.search.corpus import CORPUS, doc
from tests.search.test_query import HOSTILE, random_text


@pytest.fixture
def search_backend(make):
    instance = make()
    instance.index_documents(CORPUS)
    return instance


def ids(results):
    hits = results.hits if isinstance(results, SearchResults) else results
    return [hit.doc_id for hit in hits]


def find(backend, text, page=1, per_page=20, **parse_args):
    """Parse text (with sort/types/tags) and search."""
    return backend.search(parse_query(text, **parse_args), page=page, per_page=per_page)


def test_it_is_a_search_backend(search_backend):
    assert isinstance(search_backend, SearchBackend)


# -- hostile input ----------------------------------------------------------------------


@pytest.mark.parametrize("text", [*HOSTILE, random_text(10_000), random_text(400, seed=3)])
@pytest.mark.parametrize("sort", ["relevance", "newest", "votes"])
def test_hostile_queries_never_raise(search_backend, text, sort):
    results = find(search_backend, text, sort=sort)
    assert isinstance(results, SearchResults)
    assert results.total >= len(results.hits)
    assert search_backend.similar(text) is not None
    search_backend.suggest(text)


@pytest.mark.parametrize("text", [*HOSTILE, random_text(2_000, seed=5)])
def test_hostile_text_is_highlighted_escaped(search_backend, text):
    snippet = search_backend.highlight(text, {"python", "'", "\\", "a:b", "x&y"})
    assert "<script" not in snippet.lower() and "<img" not in snippet.lower()
    assert snippet.replace("<mark", "").replace("</mark>", "").count("<") == 0


def test_hostile_documents_are_stored_and_found(make):
    backend = make()
    nasty = '\'; DROP TABLE search_documents; -- \\ \x00 & | ! <-> :* "quoted" <b>x</b>'
    backend.index_documents(
        [doc("question", 1, f"Walrus {nasty}", nasty, tags=["c++"], author="o'brien")]
    )
    assert ids(find(backend, "walrus")) == ["question:1"]
    assert ids(find(backend, "walrus [c++]")) == ["question:1"]
    assert find(backend, "walrus user:nobody").total == 0


def test_field_syntax_is_matched_as_words_not_fields(search_backend):
    # "doc_id:question:2" must not act as a field query: no post contains those words.
    assert find(search_backend, "doc_id:question:2").total == 0
    assert find(search_backend, "author:bob").total == 0
    assert find(search_backend, "type:goal").total == 0
    # ...while the words themselves are still searched in text.
    assert ids(find(search_backend, "secret:sourdough")) == ["question:6"]


def test_query_language_operators_are_plain_words(search_backend):
    assert find(search_backend, "python OR rust").total == 0  # "or" is a stop word
    assert set(ids(find(search_backend, "NOT rust"))) == {"question:5"}
    assert set(ids(find(search_backend, "-rust"))) == {"question:5"}  # not a negation
    assert find(search_backend, "pyth*").total == find(search_backend, "pyth").total == 0
    assert find(search_backend, "python & !rust").total == 0


# -- filters ----------------------------------------------------------------------------


def test_is_filter_never_returns_other_types(search_backend):
    for kind in ("question", "answer", "goal"):
        hits = find(search_backend, f"is:{kind} python tests").hits
        assert hits and {hit.type for hit in hits} == {kind}


def test_type_filter_cannot_be_escaped_by_text(search_backend):
    results = find(search_backend, 'is:question python "is:goal" OR type:goal [career]')
    assert all(hit.type == "question" for hit in results.hits)
    assert find(search_backend, "python", types=["goal"]).hits[0].doc_id == "goal:4"


def test_tag_filter(search_backend):
    assert set(ids(find(search_backend, "[python]"))) == {"question:1", "question:2", "goal:4"}
    assert ids(find(search_backend, "python [flask]")) == ["question:2"]
    assert ids(find(search_backend, "tag:python tag:career")) == ["goal:4"]
    assert find(search_backend, "[nosuchtag] python").total == 0


def test_user_filter(search_backend):
    assert set(ids(find(search_backend, "user:alice"))) == {"question:1", "goal:4"}
    assert ids(find(search_backend, "user:ALICE is:goal")) == ["goal:4"]
    assert set(ids(find(search_backend, "python user:bob user:carol"))) == {
        "question:2",
        "answer:3",
    }


def test_anonymous_posts_are_never_found_by_author(search_backend):
    assert "question:5" not in ids(find(search_backend, "user:anonymous rust"))
    assert find(search_backend, "rust").total == 1
    for name in ("", "none", "null", "anonymous"):
        assert "question:5" not in ids(find(search_backend, f"user:{name}"))


def test_unanswered_and_minimum_answers(search_backend):
    assert set(ids(find(search_backend, "answers:0"))) == {"question:2", "question:5"}
    assert ids(find(search_backend, "answers:0 python")) == ["question:2"]
    assert set(ids(find(search_backend, "answers:1"))) == {"question:1", "question:6"}
    assert ids(find(search_backend, "answers:2")) == ["question:1"]
    assert find(search_backend, "answers:0 is:goal").total == 0


def test_a_filter_matching_nothing_finds_nothing(search_backend):
    for text in (
        "python [nosuchtag]",
        "python user:nobody",
        "answers:0 is:goal",
        "python is:answer user:alice",
        "the [nosuchtag]",
    ):
        assert find(search_backend, text).total == 0, text
    assert search_backend.similar("python tests", types=("answer",)) != []
    search_backend.remove_documents(["answer:3"])
    assert search_backend.similar("python tests", types=("answer",)) == []


def test_filters_see_new_and_removed_documents(search_backend):
    assert ids(find(search_backend, "[rust]")) == ["question:5"]
    search_backend.index_documents([doc("goal", 60, "Write a rust web server", tags=["rust"])])
    assert set(ids(find(search_backend, "[rust]"))) == {"question:5", "goal:60"}
    search_backend.remove_documents(["question:5"])
    assert ids(find(search_backend, "[rust]")) == ["goal:60"]


def test_filters_alone_list_newest_first(search_backend):
    assert ids(find(search_backend, "[python]")) == ["goal:4", "question:2", "question:1"]


def test_stop_words_alone_find_nothing(search_backend):
    assert find(search_backend, "the of and to a").total == 0
    assert find(search_backend, "the [rust]").total == 1  # with a filter they list its posts


# -- relevance, stemming, phrases -------------------------------------------------------


def test_title_match_beats_body_match(make):
    backend = make()
    backend.index_documents(
        [
            doc("question", 1, "Notes on gardening", "I wonder about kubernetes at work"),
            doc("question", 2, "Kubernetes at work", "Notes on gardening and plants"),
        ]
    )
    assert ids(find(backend, "kubernetes")) == ["question:2", "question:1"]


def test_stemming_matches_word_forms(make):
    backend = make()
    backend.index_documents(
        [
            doc("question", 1, "Where should I run daily", "morning plans"),
            doc("question", 2, "Hopping between jobs", "worries"),
        ]
    )
    assert ids(find(backend, "running")) == ["question:1"]
    assert ids(find(backend, "runs")) == ["question:1"]
    assert ids(find(backend, "hopped")) == ["question:2"]


def test_words_are_all_required(search_backend):
    assert ids(find(search_backend, "flask nginx")) == ["question:2"]
    assert find(search_backend, "flask rust").total == 0


def test_a_word_also_matches_its_tag(search_backend):
    assert ids(find(search_backend, "career")) == ["goal:4"]  # only a tag of the goal


def test_phrases_respect_word_order(make):
    backend = make()
    backend.index_documents(
        [
            doc("question", 1, "Python tests everywhere", "x"),
            doc("question", 2, "Tests for python", "y"),
        ]
    )
    assert ids(find(backend, '"python tests"')) == ["question:1"]
    assert set(ids(find(backend, "python tests"))) == {"question:1", "question:2"}


def test_total_is_exact_beyond_the_page_and_phrases_need_adjacent_words(make):
    backend = make()
    docs = [
        doc("question", n, f"note {n}", "alpha words here" if n % 2 else "beta alpha")
        for n in range(1, 81)
    ]
    docs += [doc("question", 100, "red apple pie"), doc("question", 101, "apple is red")]
    backend.index_documents(docs)
    results = find(backend, "alpha", per_page=5)
    assert results.total == 80 and len(results.hits) == 5
    assert find(backend, "alpha OR beta", per_page=5).total == 40  # "or" is a stop word
    assert find(backend, "alpha is:question", per_page=5).total == 80
    assert find(backend, "alpha is:goal").total == 0
    assert ids(find(backend, '"red apple"')) == ["question:100"]
    assert find(backend, "red apple").total == 2


def test_hits_carry_stored_fields_and_highlighted_titles(search_backend):
    hit = find(search_backend, "xdist").hits[0]
    assert (hit.type, hit.id, hit.question_id, hit.votes) == ("answer", 3, 1, 12)
    assert hit.title == "How do I run python tests in parallel"
    assert hit.score > 0
    hit = find(search_backend, "flask").hits[0]
    assert hit.answer_count == 0
    assert hit.title_highlight.startswith("Deploying a <mark")
    assert ">flask</mark> app behind nginx" in hit.title_highlight


def test_highlights_escape_html(make):
    backend = make()
    backend.index_documents([doc("question", 1, "<b>Bold</b> & python", "x")])
    results = find(backend, "python")
    title = results.hits[0].title_highlight
    assert "&amp;" in title and ">python</mark>" in title and "<b>" not in title
    snippet = backend.highlight("<script>alert(1)</script> running python", results.terms)
    assert "<script>" not in snippet
    assert ">python</mark>" in snippet


def test_highlight_without_a_match_starts_the_text_escaped(search_backend):
    assert search_backend.highlight("a < b " * 100, {"python"}).startswith("a &lt; b a &lt; b")
    assert search_backend.highlight("short <i>", set()) == "short &lt;i&gt;"


# -- sorting and pagination -------------------------------------------------------------


def test_sort_newest(search_backend):
    results = find(search_backend, "python", sort="newest")
    assert ids(results) == ["question:6", "goal:4", "question:2", "answer:3", "question:1"]
    assert all(hit.score == 0.0 for hit in results.hits)


def test_sort_votes(search_backend):
    assert ids(find(search_backend, "python", sort="votes")) == [
        "answer:3",
        "question:1",
        "question:2",
        "goal:4",
        "question:6",
    ]
    assert ids(find(search_backend, "[python]", sort="votes")) == [
        "question:1",
        "question:2",
        "goal:4",
    ]


def test_relevance_ranks_every_match_by_a_positive_score(search_backend):
    results = find(search_backend, "python")
    assert set(ids(results)) == {"question:1", "question:2", "answer:3", "goal:4", "question:6"}
    scores = [hit.score for hit in results.hits]
    assert all(score > 0 for score in scores) and scores == sorted(scores, reverse=True)


def test_pagination_totals_and_pages(make):
    backend = make()
    backend.index_documents(
        doc("question", n, f"Topic number {n} about gardens", age_days=n) for n in range(1, 26)
    )
    pages = [find(backend, "gardens", sort="newest", page=p, per_page=10) for p in (1, 2, 3, 4)]
    assert [r.total for r in pages] == [25, 25, 25, 25]
    assert [len(r.hits) for r in pages] == [10, 10, 5, 0]
    seen = [doc_id for r in pages for doc_id in ids(r)]
    assert seen == [f"question:{n}" for n in range(1, 26)]
    relevance = [find(backend, "gardens", page=p, per_page=10) for p in (1, 2, 3)]
    assert sorted(d for r in relevance for d in ids(r)) == sorted(seen)


def test_silly_page_numbers_are_clamped(search_backend):
    assert find(search_backend, "python", page=0).total == 5
    assert find(search_backend, "python", page=10**6).hits == []
    assert len(find(search_backend, "python", per_page=10**6).hits) == 5


# -- writes and privacy removals --------------------------------------------------------


def test_remove_documents_really_removes(search_backend):
    assert search_backend.remove_documents(["question:1", "answer:3", "question:999"]) == 3
    assert find(search_backend, "xdist").total == 0
    assert "question:1" not in ids(find(search_backend, "parallel"))
    assert search_backend.doc_ids() == {"question:2", "goal:4", "question:5", "question:6"}


def test_upsert_replaces_without_duplicates(search_backend):
    search_backend.index_documents(
        [doc("question", 2, "Deploying a django app", "uwsgi", tags=["web"])]
    )
    assert find(search_backend, "flask").total == 0
    assert ids(find(search_backend, "django [web]")) == ["question:2"]
    assert find(search_backend, "django").total == 1
    assert len(search_backend.doc_ids()) == len(CORPUS)


def test_apply_is_one_batch_and_removal_wins(search_backend):
    search_backend.apply(
        [
            doc("goal", 9, "Ship a side project", "x"),
            doc("goal", 9, "Ship a bigger side project", "x"),
            doc("question", 6, "Still sourdough", "flour"),
        ],
        ["question:6", "question:5"],
    )
    assert ids(find(search_backend, "bigger")) == ["goal:9"]
    assert find(search_backend, "sourdough").total == 0
    assert "question:5" not in search_backend.doc_ids()


def test_a_closing_goal_takes_its_documents_out_of_everything(make):
    backend = make()
    under_goal = [
        doc("goal", 40, "Learn glassblowing this year", "kiln practice", goal_id=40),
        doc("question", 41, "Glassblowing kiln temperature", "how hot", goal_id=40),
        doc(
            "answer",
            42,
            "Glassblowing kiln temperature",
            "about 1100 C",
            question_id=41,
            goal_id=40,
        ),
    ]
    backend.index_documents([*under_goal, doc("question", 43, "Kiln shelves for pottery", "x")])
    assert {"goal:40", "question:41", "answer:42"} <= set(ids(find(backend, "kiln")))
    version = backend.version()
    # What the indexer sends when the goal closes: every document under it goes.
    backend.apply([], [d.doc_id for d in under_goal])
    assert backend.version() != version  # every node's cached similar lists go stale
    assert ids(find(backend, "kiln")) == ["question:43"]
    assert find(backend, "glassblowing").total == 0
    assert find(backend, '"glassblowing kiln"').total == 0
    for text in ("glassblowing kiln temperature", "Learn glassblowing this year"):
        assert not {"goal:40", "question:41"} & set(
            ids(backend.similar(text, types=("goal", "question")))
        )
    assert backend.doc_ids() == {"question:43"}
    # Reopened: the indexer upserts them again.
    backend.apply(under_goal, [])
    assert {"goal:40", "question:41", "answer:42"} <= set(ids(find(backend, "glassblowing")))


def test_optimize_keeps_documents(search_backend):
    for n in range(20, 40):
        search_backend.index_documents([doc("question", n, f"Extra question {n}", "filler")])
    search_backend.optimize()
    assert len(search_backend.doc_ids()) == len(CORPUS) + 20
    assert find(search_backend, "extra").total == 20


def test_concurrent_writers_lose_nothing(make):
    first, second = make(), make()

    def write(instance, start):
        for n in range(start, start + 15):
            instance.index_documents([doc("question", n, f"Concurrent post {n}", "body")])

    threads = [
        threading.Thread(target=write, args=(first, 1)),
        threading.Thread(target=write, args=(second, 100)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(first.doc_ids()) == 30
    second.refresh()
    assert find(second, "concurrent", per_page=50).total == 30


def test_another_instance_sees_writes_after_refresh(search_backend, make):
    other = make()
    other.index_documents([doc("goal", 80, "Fly a zeppelin")])
    search_backend.refresh()
    assert ids(find(search_backend, "zeppelin")) == ["goal:80"]
    version = search_backend.version()
    other.remove_documents(["goal:80"])
    search_backend.refresh()
    assert find(search_backend, "zeppelin").total == 0
    assert search_backend.version() != version


def test_rebuild_replaces_everything(search_backend):
    progress = []
    count = search_backend.rebuild(iter(CORPUS[:2] + CORPUS[:1]), progress=progress.append)
    assert count == 2 and progress[-1] == 2
    assert search_backend.doc_ids() == {"question:1", "question:2"}
    assert find(search_backend, "sourdough").total == 0


def test_interrupted_rebuild_keeps_the_old_documents(search_backend):
    def exploding():
        yield from CORPUS[:2]
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError, match="went away"):
        search_backend.rebuild(exploding())
    assert len(search_backend.doc_ids()) == len(CORPUS)
    assert find(search_backend, "sourdough").total == 1
    search_backend.index_documents([doc("goal", 50, "Still writable after a failed rebuild")])
    assert find(search_backend, "writable").total == 1


# -- similar and did-you-mean -----------------------------------------------------------

DECOYS = [
    doc("question", 100 + n, title, "filler text")
    for n, title in enumerate(
        [
            "How to cook pasta al dente",
            "Best way to learn piano as an adult",
            "Python decorators explained",
            "Running a marathon without injury",
            "Choosing between Django and Flask",
            "Unit tests for a flask app",
            "Why is my sourdough flat",
            "Parallel processing with multiprocessing",
        ]
    )
]


@pytest.fixture
def similar_backend(make):
    backend = make()
    backend.index_documents(
        [
            *DECOYS,
            doc("question", 1, "How can I run pytest tests in parallel", "x"),
            doc("goal", 2, "Run pytest tests in parallel every day", "x"),
        ]
    )
    return backend


def test_similar_finds_a_near_duplicate_title(similar_backend):
    hits = similar_backend.similar("Running my pytest tests in parallel?", limit=3)
    assert hits[0].doc_id == "question:1"
    assert all(hit.type == "question" for hit in hits)
    assert hits[0].score > 0 and len(hits) <= 3


def test_similar_respects_exclude_and_types(similar_backend):
    hits = similar_backend.similar("run pytest tests in parallel", exclude_doc_ids=["question:1"])
    assert "question:1" not in ids(hits)
    both = similar_backend.similar("run pytest tests in parallel", types=("question", "goal"))
    assert {"question:1", "goal:2"} <= set(ids(both))
    assert similar_backend.similar("run pytest", types=("comment",)) == []


def test_similar_with_a_whole_post(similar_backend):
    body = (
        ("My test suite takes twenty minutes. " * 3) + "Can pytest run tests in parallel "
        "on several cores, and is xdist the right plugin for parallel runs?"
    )
    hits = similar_backend.similar("Speed up a slow test suite\n" + body, limit=5)
    assert hits[0].doc_id == "question:1"


def test_similar_scores_can_be_fused_with_meaning(similar_backend):
    # app/search/hybrid.py divides each word score by the best one and asks for up to 30
    # candidates: scores must be positive and best first, with no duplicate posts.
    hits = similar_backend.similar(
        "pytest tests in parallel python", limit=30, types=("question", "goal")
    )
    scores = [hit.score for hit in hits]
    assert len(hits) >= 3 and all(score > 0 for score in scores)
    assert scores == sorted(scores, reverse=True)
    assert len(set(ids(hits))) == len(hits)


def test_similar_with_nothing_to_match(similar_backend):
    assert similar_backend.similar("") == []
    assert similar_backend.similar("the of and to a") == []
    assert similar_backend.similar("zzzqqq unknownword") == []


def test_filtered_search_and_similar_on_an_empty_index(make):
    backend = make()
    assert find(backend, "anything is:answer").total == 0
    assert find(backend, "anything").total == 0
    assert backend.similar("anything at all here", types=("question", "goal")) == []
    assert backend.suggest("anythnig") is None
    assert backend.doc_ids() == set()


def test_similar_ignores_question_words_and_words_only_the_post_has(make):
    backend = make()
    backend.index_documents(
        [
            doc("question", 1, "How do I tune autovacuum thresholds in Postgres", "busiest table"),
            doc("question", 2, "Autovacuum thresholds for a large table", "scale factor"),
            doc("question", 3, "Why does my sourdough bread not rise", "flat loaf"),
            doc("question", 4, "How do I know what my bread needs", "flour"),
        ]
    )
    hits = backend.similar(
        "How do I tune autovacuum thresholds in Postgres\nbusiest table",
        exclude_doc_ids=["question:1"],
    )
    assert ids(hits) == ["question:2"]
    assert backend.similar("how do I know what my") == []


def test_suggest_fixes_a_typo_from_common_title_words(make):
    backend = make()
    backend.index_documents(
        doc("question", n, f"Python question number {n}", "body") for n in range(1, 6)
    )
    assert backend.suggest("pyhton") == "python"
    assert backend.suggest("pyhton [web] user:bob") == "python [web] user:bob"
    assert backend.suggest("python") is None
    assert backend.suggest("zzzzzz") is None
    results = find(backend, "pyhton")
    assert results.total == 0 and results.suggestion == "python"
    assert find(backend, "python").suggestion is None
    # Only free words are rewritten, never an operator's value.
    assert backend.suggest("user:pyhton pyhton") == "user:pyhton python"


def test_similar_sees_posts_written_after_a_rebuild(make):
    backend = make()
    backend.rebuild(iter(DECOYS))  # term statistics (where a backend keeps them) are fresh
    backend.index_documents([doc("question", 1, "Tuning zeppelin ballast tanks", "x")])
    assert ids(backend.similar("zeppelin ballast")) == ["question:1"]
    backend.optimize()
    assert ids(backend.similar("zeppelin ballast")) == ["question:1"]

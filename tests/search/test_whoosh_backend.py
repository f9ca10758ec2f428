"""WhooshBackend internals: its files, filter caches, exact markup, swaps, locks, refresh.

What every backend must do is tested in test_backend_conformance.py.
"""

import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from whoosh import index

from app.search.backend import SearchBackend, SearchResults
from app.search.query import parse_query
from app.search.whoosh_backend import REFRESH_INTERVAL, WhooshBackend
from app.search.whoosh_store import POINTER
from tests.search.corpus import CORPUS, doc

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def make(tmp_path):
    """Open WhooshBackends on tmp_path/index (closed after the test)."""
    made = []

    def factory(**kwargs):
        made.append(WhooshBackend(tmp_path / "index", **kwargs))
        return made[-1]

    yield factory
    for instance in made:
        instance.close()


@pytest.fixture
def backend(make):
    instance = make()
    instance.index_documents(CORPUS)
    return instance


def ids(results):
    hits = results.hits if isinstance(results, SearchResults) else results
    return [hit.doc_id for hit in hits]


def find(backend, text, page=1, per_page=20, **parse_args):
    """Parse text (with sort/types/tags) and search."""
    return backend.search(parse_query(text, **parse_args), page=page, per_page=per_page)


def raw_doc_ids(base: Path) -> list[str]:
    """doc_ids straight from the live index on disk, bypassing the backend."""
    name = (base / POINTER).read_text().strip()
    with index.open_dir(str(base / name)).searcher() as searcher:
        return sorted(fields["doc_id"] for fields in searcher.reader().all_stored_fields())


def test_it_is_a_search_backend(backend):
    assert isinstance(backend, SearchBackend)


# -- filters ----------------------------------------------------------------------------


def test_cached_filters_see_new_documents(backend):
    assert ids(find(backend, "[rust]")) == ["question:5"]
    backend.index_documents([doc("goal", 60, "Write a rust web server", tags=["rust"])])
    assert set(ids(find(backend, "[rust]"))) == {"question:5", "goal:60"}
    backend.remove_documents(["question:5"])
    assert ids(find(backend, "[rust]")) == ["goal:60"]


# -- relevance, stemming, phrases -------------------------------------------------------


def test_hits_carry_stored_fields_and_highlighted_titles(backend):
    hit = next(h for h in find(backend, "xdist").hits)
    assert (hit.type, hit.id, hit.question_id, hit.votes) == ("answer", 3, 1, 12)
    assert hit.title == "How do I run python tests in parallel"
    assert hit.score > 0
    hit = find(backend, "flask").hits[0]
    assert hit.title_highlight == (
        'Deploying a <mark class="match term0">flask</mark> app behind nginx'
    )
    assert hit.answer_count == 0


def test_highlights_escape_html(make):
    backend = make()
    backend.index_documents([doc("question", 1, "<b>Bold</b> & python", "x")])
    results = find(backend, "python")
    assert results.hits[0].title_highlight == (
        '&lt;b&gt;Bold&lt;/b&gt; &amp; <mark class="match term0">python</mark>'
    )
    snippet = backend.highlight("<script>alert(1)</script> running python", results.terms)
    assert "<script>" not in snippet
    assert '<mark class="match term0">python</mark>' in snippet


# -- writes -----------------------------------------------------------------------------


def test_remove_documents_really_removes(backend, tmp_path):
    assert backend.remove_documents(["question:1", "answer:3", "question:999"]) == 3
    assert "question:1" not in raw_doc_ids(tmp_path / "index")
    assert "answer:3" not in raw_doc_ids(tmp_path / "index")
    assert find(backend, "xdist").total == 0
    assert "question:1" not in ids(find(backend, "parallel"))
    assert backend.doc_ids() == {"question:2", "goal:4", "question:5", "question:6"}


def test_upsert_replaces_without_duplicates(backend, tmp_path):
    backend.index_documents([doc("question", 2, "Deploying a django app", "uwsgi", tags=["web"])])
    assert raw_doc_ids(tmp_path / "index").count("question:2") == 1
    assert find(backend, "flask").total == 0
    assert ids(find(backend, "django [web]")) == ["question:2"]


def test_empty_apply_does_nothing(backend, tmp_path):
    before = index.open_dir(
        str(tmp_path / "index" / (tmp_path / "index" / POINTER).read_text().strip())
    ).latest_generation()
    backend.apply([], [])
    name = (tmp_path / "index" / POINTER).read_text().strip()
    assert index.open_dir(str(tmp_path / "index" / name)).latest_generation() == before


# -- rebuild and refresh ----------------------------------------------------------------


def test_rebuild_swaps_in_a_new_index(backend, tmp_path):
    base = tmp_path / "index"
    before = (base / POINTER).read_text().strip()
    progress = []
    count = backend.rebuild(iter(CORPUS[:2] + CORPUS[:1]), progress=progress.append)
    assert count == 2 and progress[-1] == 2
    assert (base / POINTER).read_text().strip() != before
    assert backend.doc_ids() == {"question:1", "question:2"}
    assert raw_doc_ids(base) == ["question:1", "question:2"]
    assert not list(base.glob("tmp-*"))
    assert len(list(base.glob("ix-*"))) == 2  # the new one and the one before it


def test_interrupted_rebuild_keeps_the_old_index(backend, tmp_path):
    base = tmp_path / "index"
    before = (base / POINTER).read_text().strip()

    def exploding():
        yield from CORPUS[:2]
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError, match="went away"):
        backend.rebuild(exploding())
    assert (base / POINTER).read_text().strip() == before
    assert not list(base.glob("tmp-*"))
    assert len(backend.doc_ids()) == len(CORPUS)
    assert find(backend, "sourdough").total == 1
    backend.index_documents([doc("goal", 50, "Still writable after a failed rebuild")])
    assert find(backend, "writable").total == 1


def run_python(code: str, timeout: float = 60) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.slow
def test_a_crashed_rebuild_process_leaves_the_old_index_serving(backend, tmp_path, make):
    base = tmp_path / "index"
    before = (base / POINTER).read_text().strip()
    proc = run_python(f"""
        import os
        from app.search.documents import SearchDocument
        from app.search.whoosh_backend import WhooshBackend
        def docs():
            for n in range(1, 3000):
                if n == 2000:
                    os._exit(3)  # killed mid-rebuild: no cleanup runs
                yield SearchDocument.make("goal", n, title=f"Half built {{n}}", body="x")
        WhooshBackend({str(base)!r}).rebuild(docs())
    """)
    assert proc.returncode == 3, proc.stderr
    assert (base / POINTER).read_text().strip() == before
    assert list(base.glob("tmp-*"))  # the half-built dir is left behind...
    fresh = make()  # ...and never opened
    assert fresh.doc_ids() == backend.doc_ids() == {d.doc_id for d in CORPUS}
    assert find(fresh, "half built").total == 0
    fresh.rebuild(iter(CORPUS[:1]))  # the next rebuild cleans it up
    assert not list(base.glob("tmp-*"))
    backend.refresh()
    assert backend.doc_ids() == {"question:1"}


def test_writes_wait_for_a_rebuild_and_land_in_the_new_index(backend, tmp_path, make):
    base = tmp_path / "index"
    release = threading.Event()
    started = threading.Event()

    def slow_docs():
        yield CORPUS[0]
        started.set()
        release.wait(10)
        yield CORPUS[1]

    rebuilder = threading.Thread(target=backend.rebuild, args=(slow_docs(),))
    rebuilder.start()
    assert started.wait(10)
    impatient = make(writer_timeout=0.2)
    with pytest.raises(index.LockError):
        impatient.index_documents([doc("goal", 70, "Impatient write")])
    patient = make(writer_timeout=10)
    writer = threading.Thread(
        target=patient.index_documents, args=([doc("goal", 71, "Patient write during rebuild")],)
    )
    writer.start()
    time.sleep(0.3)
    release.set()
    rebuilder.join(10)
    writer.join(10)
    assert raw_doc_ids(base) == ["goal:71", "question:1", "question:2"]
    backend.refresh()
    assert ids(find(backend, "patient")) == ["goal:71"]


def test_refresh_sees_another_instance_writes(backend, make):
    other = make()
    assert find(backend, "zeppelin").total == 0
    other.index_documents([doc("goal", 80, "Fly a zeppelin")])
    backend.refresh()
    assert ids(find(backend, "zeppelin")) == ["goal:80"]
    other.remove_documents(["goal:80"])
    time.sleep(REFRESH_INTERVAL * 1.5)  # no explicit refresh: the periodic check sees it
    assert find(backend, "zeppelin").total == 0


def test_refresh_follows_a_rebuild_by_another_instance(backend, make):
    other = make()
    other.rebuild(iter([doc("goal", 90, "Only this after the rebuild")]))
    backend.refresh()
    assert backend.doc_ids() == {"goal:90"}
    backend.index_documents([doc("goal", 91, "Written through the refreshed instance")])
    other.refresh()
    assert other.doc_ids() == {"goal:90", "goal:91"}


@pytest.mark.slow
def test_another_process_writes_while_this_one_searches(backend, tmp_path):
    base = tmp_path / "index"
    code = f"""
        from app.search.documents import SearchDocument
        from app.search.whoosh_backend import WhooshBackend
        backend = WhooshBackend({str(base)!r})
        for n in range(1, 41):
            backend.apply([SearchDocument.make("question", 1000 + n,
                                               title=f"Crossprocess post {{n}}", body="x")],
                          ["question:6"] if n == 20 else [])
        print("done")
    """
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    totals = []
    try:
        while proc.poll() is None:
            totals.append(find(backend, "crossprocess", per_page=5).total)
            backend.similar("crossprocess post")
    finally:
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert out.strip() == "done"
    assert totals == sorted(totals)  # never goes backwards
    time.sleep(REFRESH_INTERVAL * 1.5)
    assert find(backend, "crossprocess").total == 40
    assert "question:6" not in backend.doc_ids()


def test_a_searcher_survives_another_instance_merging_its_files(
    backend, tmp_path, make, monkeypatch
):
    other = make()
    for n in range(20, 35):  # several segments, so optimize() deletes files
        other.index_documents([doc("question", n, f"Segment filler {n}", "python")])
    backend.refresh()
    monkeypatch.setattr("app.search.whoosh_backend.REFRESH_INTERVAL", 3600)
    segment_files = {p.name for p in (tmp_path / "index").glob("ix-*/MAIN_*")}
    other.optimize()
    assert segment_files - {p.name for p in (tmp_path / "index").glob("ix-*/MAIN_*")}
    # This searcher predates the merge: its files are gone from the directory, yet it
    # still answers (with stored fields, lengths and sort columns) from open files.
    for sort in ("relevance", "newest", "votes"):
        results = find(backend, "python filler", sort=sort)
        assert results.total == 15 and all(hit.title for hit in results.hits)
    backend.refresh()
    assert find(backend, "python filler").total == 15


def test_parallel_rebuild_indexes_every_document_once(make, monkeypatch):
    from app.search import whoosh_build

    monkeypatch.setattr(whoosh_build, "PARALLEL_MIN_DOCS", 50)
    monkeypatch.setattr(whoosh_build, "BUILD_BATCH", 7)
    monkeypatch.setattr(whoosh_build, "BUILD_PROCS", 2)

    def serial(*_args):
        raise AssertionError("a build this size must use the indexing processes")

    monkeypatch.setattr(whoosh_build, "_build_serial", serial)
    backend = make()
    docs = [doc("question", n, f"topic{n % 5} title {n}", "shared body") for n in range(1, 121)]
    assert backend.rebuild(docs + docs[:3]) == 120  # duplicates: the first copy wins
    assert backend.doc_ids() == {f"question:{n}" for n in range(1, 121)}
    assert find(backend, "shared", per_page=5).total == 120
    assert find(backend, "topic3").total == 24

"""Similar-thread relevance on real Stack Exchange links: Recall@5 and MRR (prints, no asserts).

Usage: .venv/bin/python -m bench.search_relevance [--data DIR] [--directed] [--sweep]

Every dump folder under DIR (default ../shared/data/stackexchange) is imported into a
temporary SQLite database with the app's own importer, and the Whoosh index is built in a
temporary directory from ``all_public_documents()`` (the real document builders) with the
backend's own ``rebuild``. Then, for each PostLinks.xml row whose two ends are imported
questions, the linking question asks ``backend.similar(text, limit=5,
exclude_doc_ids=[its own doc id])`` and we look for the other question among the hits:

- mode "title": text = the question's title (the box beside the title field while typing);
- mode "title+body": text = title + body as plain text (the box beside a question page).

Links are symmetric by default: a "linked" or "duplicate" link means the two threads belong
together, and the similar box beside *either* page should show the other one, so each
unordered pair is asked in both directions (a pair linked both ways counts once; a pair that
is both a duplicate and linked counts as a duplicate). ``--directed`` asks only from PostId
(the post holding the link) to RelatedPostId, the "typing a duplicate" case.

Recall@5: share of queries whose target is among the 5 hits. MRR: mean of 1/rank over
queries, 0 when the target is not in the 5 hits (so it is MRR@5).

``--sweep`` also measures alternatives, set by patching module constants for the run only
(see ``Setting``): the title field boost, the key-term counts, stemming, answers' text
as thread evidence, and tags (in the query, or in the indexed body). The corpus is small
(about 850 questions, 2,500 posts) and has one site's links, so read differences of a few
queries as noise; latency at 150k posts is measured separately (bench/search_micro.py).
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from whoosh.analysis import StandardAnalyzer

from app.search import whoosh_backend as wb
from app.search import whoosh_schema as ws
from app.search import whoosh_terms as wt
from app.search.documents import SearchDocument
from app.search.whoosh_backend import WhooshBackend
from bench.common import PROJECT_ROOT

K = 5
MODES = ("title", "title+body")
KINDS = ("duplicate", "linked")
LINK_KINDS = {"3": "duplicate", "1": "linked"}  # PostLinks LinkTypeId
DEFAULT_DATA = PROJECT_ROOT.parent / "shared" / "data" / "stackexchange"
ANSWER_HITS = 25  # with answers searched too: hits fetched to fill K distinct threads


# -- metrics ------------------------------------------------------------------------------


def rank_of(hit_ids: Sequence[str], target: str, k: int = K) -> int | None:
    """1-based position of target among the first k hit ids, or None."""
    for position, doc_id in enumerate(hit_ids[:k], start=1):
        if doc_id == target:
            return position
    return None


def recall_at(ranks: Sequence[int | None], k: int = K) -> float:
    """Share of queries whose target was found at rank <= k (0.0 for no queries)."""
    if not ranks:
        return 0.0
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks)


def mean_reciprocal_rank(ranks: Sequence[int | None], k: int = K) -> float:
    """Mean of 1/rank, counting a target beyond k (or missing) as 0 (0.0 for no queries)."""
    if not ranks:
        return 0.0
    return sum(1 / r for r in ranks if r is not None and r <= k) / len(ranks)


# -- pairs --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """One lookup: from the source question, is the target question among the hits?"""

    kind: str  # "duplicate" or "linked"
    source: str  # doc id, e.g. "question:12"
    target: str


def read_links(path: Path) -> Iterator[tuple[str, int, int]]:
    """(kind, PostId, RelatedPostId) of the duplicate and linked rows of a PostLinks.xml."""
    from app.services.importer import iter_rows  # the importer's streaming reader

    for row in iter_rows(path):
        kind = LINK_KINDS.get(row.get("LinkTypeId", ""))
        try:
            source, target = int(row["PostId"]), int(row["RelatedPostId"])
        except (KeyError, ValueError):
            continue
        if kind:
            yield kind, source, target


def build_queries(
    links: Iterable[tuple[str, str, str]], known: set[str], symmetric: bool = True
) -> tuple[list[Query], dict[str, int]]:
    """Queries from (kind, source doc id, target doc id) links; and counts of what was kept.

    Links with an end that is not a known question doc id, and self-links, are dropped.
    Symmetric: one query per direction of each unordered pair, the duplicate kind winning.
    """
    counts = {f"{kind} links": 0 for kind in KINDS} | {f"{kind} usable": 0 for kind in KINDS}
    kinds: dict[tuple[str, str], str] = {}
    for kind, source, target in links:
        counts[f"{kind} links"] += 1
        if source == target or source not in known or target not in known:
            continue
        counts[f"{kind} usable"] += 1
        key = tuple(sorted((source, target))) if symmetric else (source, target)
        if kinds.get(key) != "duplicate":
            kinds[key] = kind
    queries = []
    for (a, b), kind in sorted(kinds.items()):
        queries.append(Query(kind, a, b))
        if symmetric:
            queries.append(Query(kind, b, a))
    for kind in KINDS:
        counts[f"{kind} pairs"] = sum(1 for k in kinds.values() if k == kind)
        counts[f"{kind} queries"] = sum(1 for q in queries if q.kind == kind)
    return queries, counts


# -- settings -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    """One configuration to measure; None keeps the module's current value."""

    name: str = "current"
    title_boost: float | None = None  # whoosh_schema.TITLE_BOOST (index time)
    title_key_terms: int | None = None  # whoosh_terms.TITLE_KEY_TERMS
    key_terms: int | None = None  # whoosh_terms.KEY_TERMS
    common_share: float | None = None  # whoosh_terms.COMMON_SHARE (whole posts)
    title_common_share: float | None = None  # whoosh_terms.TITLE_COMMON_SHARE
    stemming: bool | None = None  # False: StandardAnalyzer (lowercase, stop words, no stems)
    answers: bool = False  # search answers too and rank threads by their best post
    query_tags: bool = False  # title+body text plus the question's tags
    index_tags: bool = False  # tags appended to every indexed body (index time)
    hybrid: bool = False  # words and meaning fused as the app does (app/search/hybrid.py)
    fusion: tuple[tuple[str, float], ...] = ()  # hybrid constants overridden (name, value)

    @property
    def index_key(self) -> tuple:
        """What the index itself depends on (other fields are query-time)."""
        return (self.title_boost, self.stemming, self.index_tags)

    def describe(self) -> str:
        return (
            f"TITLE_BOOST={ws.TITLE_BOOST:g} TITLE_KEY_TERMS={wt.TITLE_KEY_TERMS} "
            f"KEY_TERMS={wt.KEY_TERMS} COMMON_SHARE={wt.COMMON_SHARE:g} "
            f"TITLE_COMMON_SHARE={wt.TITLE_COMMON_SHARE:g} "
            f"analyser={'no stems' if self.stemming is False else 'porter2 stems'}"
            + (" +answers" if self.answers else "")
            + (" +tags in query" if self.query_tags else "")
            + (" +tags indexed" if self.index_tags else "")
            + (" +meaning (hybrid)" if self.hybrid else "")
            + "".join(f" {name}={value:g}" for name, value in self.fusion)
        )


def _unstemmed_analyzer():
    return StandardAnalyzer(maxsize=ws.MAX_TOKEN_CHARS)


def _fields_with_tags(original):
    def document_fields(doc: SearchDocument) -> dict:
        fields = original(doc)
        if doc.tags:
            fields["body"] = f"{fields['body']} {' '.join(doc.tags)}"
        return fields

    return document_fields


@contextlib.contextmanager
def patched(setting: Setting) -> Iterator[None]:
    """Module constants set as the setting asks, restored afterwards."""
    targets = [  # (module, name, value or None to keep)
        (ws, "TITLE_BOOST", setting.title_boost),
        (wt, "TITLE_KEY_TERMS", setting.title_key_terms),
        (wb, "TITLE_KEY_TERMS", setting.title_key_terms),  # the backend imported the names
        (wt, "KEY_TERMS", setting.key_terms),
        (wb, "KEY_TERMS", setting.key_terms),
        (wt, "COMMON_SHARE", setting.common_share),
        (wt, "TITLE_COMMON_SHARE", setting.title_common_share),
        (ws, "make_analyzer", _unstemmed_analyzer if setting.stemming is False else None),
        (
            ws,
            "document_fields",
            _fields_with_tags(ws.document_fields) if setting.index_tags else None,
        ),
    ]
    if setting.fusion:
        from app.search import hybrid

        targets += [(hybrid, name, value) for name, value in setting.fusion]
    saved = [(module, name, getattr(module, name)) for module, name, _ in targets]
    try:
        for module, name, value in targets:
            if value is not None:
                setattr(module, name, value)
        yield
    finally:
        for module, name, value in saved:
            setattr(module, name, value)


# -- evaluation ---------------------------------------------------------------------------


@dataclass
class Corpus:
    """The indexed documents, and the texts a question page would ask similar() with."""

    docs: list[SearchDocument]

    def __post_init__(self) -> None:
        self.questions = {d.doc_id: d for d in self.docs if d.type == "question"}
        self.answers: dict[int, list[str]] = {}
        for d in self.docs:
            if d.type == "answer" and d.question_id is not None:
                self.answers.setdefault(d.question_id, []).append(d.doc_id)

    def text(self, doc_id: str, mode: str, tags: bool = False) -> str:
        doc = self.questions[doc_id]
        if mode == "title":
            return doc.title
        text = f"{doc.title}\n{doc.body}"
        return f"{text}\n{' '.join(doc.tags)}" if tags else text


def build_backend(corpus: Corpus, directory, setting: Setting = Setting()) -> WhooshBackend:
    """A backend on a new index of the corpus, built under the setting's index options."""
    with patched(setting):
        backend = WhooshBackend(directory)
        backend.rebuild(iter(corpus.docs))
    return backend


def ranked_threads(
    backend: WhooshBackend, corpus: Corpus, query: Query, mode: str, setting: Setting = Setting()
) -> list[str]:
    """Question doc ids similar() offers for the query's source, best first (at most K)."""
    text = corpus.text(query.source, mode, tags=setting.query_tags)
    if setting.hybrid:  # needs an app context whose database holds the corpus's vectors
        from app.search import hybrid

        # As the app does: the stored list beside a page (whole post) counts answers too.
        keys = hybrid.lookup(
            text, K, [query.source], ("question",), backend=backend, answers=mode != "title"
        )
        return [f"{kind}:{object_id}" for kind, object_id, _ in keys]
    if not setting.answers:
        hits = backend.similar(text, limit=K, exclude_doc_ids=[query.source])
        return [h.doc_id for h in hits]
    own = corpus.questions[query.source]
    exclude = [query.source, *corpus.answers.get(own.id, [])]
    hits = backend.similar(
        text, limit=ANSWER_HITS, exclude_doc_ids=exclude, types=("question", "answer")
    )
    threads: list[str] = []
    for hit in hits:  # a thread ranks where its best post ranks
        thread = f"question:{hit.question_id}"
        if hit.question_id != own.id and thread not in threads:
            threads.append(thread)
    return threads[:K]


@dataclass
class Result:
    """Ranks per (mode, kind), and similar() timings in ms."""

    ranks: dict[tuple[str, str], list[int | None]]
    millis: list[float]

    def row(self, mode: str, kind: str) -> tuple[int, float, float]:
        ranks = self.ranks.get((mode, kind), [])
        return len(ranks), recall_at(ranks), mean_reciprocal_rank(ranks)


def evaluate(
    backend: WhooshBackend,
    corpus: Corpus,
    queries: Sequence[Query],
    setting: Setting = Setting(),
    modes: Sequence[str] = MODES,
) -> Result:
    """Rank of each query's target, per mode and link kind, under the setting."""
    result = Result(ranks={}, millis=[])
    with patched(setting):
        for mode in modes:
            for query in queries:
                start = time.perf_counter()
                threads = ranked_threads(backend, corpus, query, mode, setting)
                result.millis.append((time.perf_counter() - start) * 1000)
                result.ranks.setdefault((mode, query.kind), []).append(
                    rank_of(threads, query.target)
                )
    return result


def format_table(result: Result, modes: Sequence[str] = MODES) -> str:
    lines = ["| mode | links | queries | Recall@5 | MRR |", "|---|---|---|---|---|"]
    for mode in modes:
        for kind in KINDS:
            n, recall, mrr = result.row(mode, kind)
            lines.append(f"| {mode} | {kind} | {n} | {recall:.3f} | {mrr:.3f} |")
    return "\n".join(lines)


# -- the real corpus ----------------------------------------------------------------------


def load_corpus(
    data_dir: Path, workdir: Path, symmetric: bool = True
) -> tuple[Corpus, list[Query], dict[str, int]]:
    """Import every dump under data_dir into a new SQLite database; documents and queries."""
    from flask_migrate import upgrade
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Question
    from app.search.indexer import all_public_documents
    from app.services.importer import dump_folders, find_dump, import_stackexchange
    from bench.common import bench_app

    app = bench_app(f"sqlite:///{workdir / 'relevance.db'}")
    app.config["SEARCH_INDEX_DIR"] = str(workdir / "unused-index")
    links: list[tuple[str, str, str]] = []
    with app.app_context():
        upgrade(directory=str(PROJECT_ROOT / "migrations"))
        folders = dump_folders(data_dir)
        for folder in folders:
            print(f"imported {import_stackexchange(folder)}")
        ids = {
            external: f"question:{qid}"
            for qid, external in db.session.execute(
                select(Question.id, Question.external_id).where(Question.external_id.is_not(None))
            )
        }
        for folder in folders:
            dump = find_dump(folder)
            if dump.links is None:
                continue
            for kind, source, target in read_links(dump.links):
                # The importer's external ids: "<site>:<Stack Exchange post id>".
                links.append(
                    (
                        kind,
                        ids.get(f"{dump.site}:{source}", f"?{source}"),
                        ids.get(f"{dump.site}:{target}", f"?{target}"),
                    )
                )
        docs = list(all_public_documents())
        db.session.remove()
    corpus = Corpus(docs)
    queries, counts = build_queries(links, set(corpus.questions), symmetric=symmetric)
    return corpus, queries, counts


@contextlib.contextmanager
def vectors_of(corpus: Corpus, workdir: Path, wanted: bool) -> Iterator[None]:
    """An app context on the corpus database with every question's vector stored."""
    if not wanted:
        yield
        return
    from app.search import vectors
    from bench.common import bench_app

    app = bench_app(f"sqlite:///{workdir / 'relevance.db'}")
    app.config.update(SEARCH_INDEX_DIR=str(workdir / "unused-index"), SIMILAR_HYBRID=True)
    with app.app_context():
        vectors.rebuild(iter(corpus.docs))
        yield


def sweep_settings() -> list[Setting]:
    """One knob at a time from the current values, then a few combinations."""
    settings = [Setting()]
    settings += [Setting(f"TITLE_BOOST={b:g}", title_boost=b) for b in (1.0, 1.5, 3.0, 4.0)]
    settings += [Setting(f"TITLE_KEY_TERMS={n}", title_key_terms=n) for n in (3, 5, 6)]
    settings += [Setting(f"KEY_TERMS={n}", key_terms=n) for n in (4, 5, 8, 10)]
    settings += [Setting(f"COMMON_SHARE={s:g}", common_share=s) for s in (0.05, 0.1, 0.25, 1.0)]
    settings += [Setting(f"TITLE_COMMON_SHARE={s:g}", title_common_share=s) for s in (0.2,)]
    settings += [
        Setting("no stemming", stemming=False),
        Setting("answers as thread evidence", answers=True),
        Setting("tags in title+body query", query_tags=True),
        Setting("tags indexed in body", index_tags=True),
    ]
    return settings


def fusion_settings() -> list[Setting]:
    """Hybrid with other word weights (titles and whole posts) and cosine floors."""
    grid = [("TITLE_WORD_WEIGHT", w) for w in (0.5, 1.5, 2.0, 3.0)]
    grid += [("WORD_WEIGHT", w) for w in (0.25, 0.75, 1.0, 1.5)]
    grid += [("MIN_COSINE", c) for c in (0.4, 0.5)]
    grid += [("TITLE_WORD_KEEP", k) for k in (0, 1, 3)]
    return [Setting(f"hybrid {n}={v:g}", hybrid=True, fusion=((n, v),)) for n, v in grid]


def _p95(samples: Sequence[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] if ordered else 0.0


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=DEFAULT_DATA,
        help="a dump folder, or a folder of them (default: %(default)s)",
    )
    parser.add_argument(
        "--directed", action="store_true", help="ask only from the linking post to the linked one"
    )
    parser.add_argument("--sweep", action="store_true", help="also measure alternatives")
    parser.add_argument(
        "--fusion",
        action="store_true",
        help="also measure hybrid fusion weights (app/search/hybrid.py)",
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="relevance-") as base:
        workdir = Path(base)
        corpus, queries, counts = load_corpus(args.data, workdir, symmetric=not args.directed)
        print(f"corpus: {len(corpus.questions)} questions, {len(corpus.docs)} documents")
        for kind in KINDS:
            print(
                f"{kind}: {counts[f'{kind} links']} links in PostLinks.xml, "
                f"{counts[f'{kind} usable']} with both ends imported questions, "
                f"{counts[f'{kind} pairs']} {'directed' if args.directed else 'unordered'} "
                f"pairs, {counts[f'{kind} queries']} queries"
            )
        backends: dict[tuple, WhooshBackend] = {}
        settings = sweep_settings() if args.sweep else [Setting()]
        settings.append(Setting("hybrid", hybrid=True))
        if args.fusion:
            settings += fusion_settings()
        summary = []
        for setting in settings:
            if setting.index_key not in backends:
                directory = workdir / f"index-{len(backends)}"
                directory.mkdir()
                backends[setting.index_key] = build_backend(corpus, directory, setting)
            backend = backends[setting.index_key]
            with vectors_of(corpus, workdir, setting.hybrid):
                result = evaluate(backend, corpus, queries, setting)
            with patched(setting):
                described = setting.describe()
            print(f"\n{setting.name}: {described}")
            print(format_table(result))
            print(
                f"similar() on this corpus: p50 {statistics.median(result.millis):.2f} ms, "
                f"p95 {_p95(result.millis):.2f} ms"
            )
            summary.append((setting.name, result))
        if len(summary) > 1:
            print(
                "\n| setting | "
                + " | ".join(f"{m} {k[:3]} R@5 / MRR" for m in MODES for k in KINDS)
                + " |"
            )
            print("|---|" + "---|" * (len(MODES) * len(KINDS)))
            for name, result in summary:
                cells = [
                    f"{r:.3f} / {m:.3f}"
                    for mode in MODES
                    for kind in KINDS
                    for _, r, m in [result.row(mode, kind)]
                ]
                print(f"| {name} | " + " | ".join(cells) + " |")
        for backend in backends.values():
            backend.close()


if __name__ == "__main__":
    main()

"""Similar threads end to end on SemEval-2016 task 3 B: MAP beside an in-run BM25 reference.

Usage: .venv/bin/python -m bench.similar_semeval [--split dev|train] [--db URL] [--sweep]

As ../shared/data/semeval-2016-b/README.md describes: every related question of the split
(distinct subject + body) is posted as a public question through the service layer
(``ask_question``) into a fresh database (SQLite in a temporary folder; PostgreSQL with
``--db URL`` naming an EMPTY database, searched with SEARCH_BACKEND=postgres), the indexer
drains the outbox (index documents and post vectors), and each original question asks
``similar_to_text(subject + body, limit=20)``, the code behind GET /api/v1/similar (whose
``limit`` is capped at 20). Its own candidates are ranked by their position in the answer;
those not returned follow in hash order (label-blind, never file order). Reference: plain
BM25 (k1 1.2, b 0.75, lowercase words minus Whoosh's stop words) over the same posted
corpus, with the same top-20 cut. Subjects shorter than the 10-character title minimum are
padded with "?" (18 of 495 on dev).

``--sweep`` also runs the word index alone (SIMILAR_HYBRID=0) and fusion settings; tune on
train only, report dev.
"""

from __future__ import annotations

import argparse
import math
import re
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from whoosh.analysis import STOP_WORDS

from bench.semeval_data import DEFAULT_DATA, Candidate, Original, load, mean_ap
from bench.semeval_data import rank_by as rank_by_score

TOP = 20
TITLE_MIN = 10
WORDS = re.compile(r"\w+")


def bm25_ranker(texts: Sequence[str], k1: float = 1.2, b: float = 0.75):
    """A function from query text to corpus indexes, best first (plain Okapi BM25)."""
    docs = [Counter(w for w in WORDS.findall(t.lower()) if w not in STOP_WORDS) for t in texts]
    lengths = [sum(d.values()) for d in docs]
    average = sum(lengths) / max(1, len(docs))
    df = Counter(w for d in docs for w in d)
    n = len(docs)

    def rank(query: str) -> list[int]:
        terms = {w for w in WORDS.findall(query.lower()) if w not in STOP_WORDS}
        scores = []
        for i, (d, length) in enumerate(zip(docs, lengths, strict=True)):
            s = 0.0
            for term in terms & d.keys():
                idf = math.log(1 + (n - df[term] + 0.5) / (df[term] + 0.5))
                s += idf * d[term] * (k1 + 1) / (d[term] + k1 * (1 - b + b * length / average))
            if s > 0:
                scores.append((-s, texts[i], i))
        return [i for _, _, i in sorted(scores)]

    return rank


def by_position(original: Original, returned: Sequence[int], post_of) -> list[Candidate]:
    """The question's own candidates in the order returned, the rest after (hash order)."""
    position = {post: rank for rank, post in enumerate(returned)}
    return sorted(
        original.candidates, key=lambda c: (position.get(post_of(c), len(position)), c.key)
    )


def title_for(subject: str) -> str:
    return subject if len(subject.strip()) >= TITLE_MIN else subject.strip().ljust(TITLE_MIN, "?")


@contextmanager
def bench_database(url: str | None) -> Iterator[tuple[str, str]]:
    """(database URL, search backend): a temporary SQLite file, or the given empty database."""
    if url:
        yield url, "postgres" if url.startswith("postgres") else "whoosh"
        return
    with tempfile.TemporaryDirectory(prefix="semeval-") as base:
        yield f"sqlite:///{Path(base) / 'semeval.db'}", "whoosh"


def post_corpus(originals: Sequence[Original]) -> dict[tuple[str, str], int]:
    """Post every distinct related question; returns (subject, body) -> question id."""
    from app.services.accounts import register_user
    from app.services.questions import ask_question

    asker = register_user("semeval", "semeval@example.org", "a long enough password")
    posted: dict[tuple[str, str], int] = {}
    for original in originals:
        for c in original.candidates:
            if (c.subject, c.body) not in posted:
                question = ask_question(
                    asker, {"title": title_for(c.subject), "body": c.body, "tags": ["qatar"]}
                )
                posted[(c.subject, c.body)] = question.id
    return posted


def run(
    originals: Sequence[Original], posted: dict, settings: dict, subject_only: bool = False
) -> dict:
    """MAP of similar_to_text under each setting's patches; also the lookup times (ms)."""
    from app.search import hybrid, result_cache
    from app.search.similar import similar_to_text

    results = {}
    for name, patches in settings.items():
        # The per-process cache keys lookups by text, not by these settings.
        result_cache.clear()
        saved = {key: getattr(hybrid, key) for key in patches if hasattr(hybrid, key)}
        for key, value in patches.items():
            setattr(hybrid, key, value)
        rankings, millis = [], []
        for o in originals:
            started = time.perf_counter()
            text = o.subject if subject_only else f"{o.subject}\n{o.body}"
            items = similar_to_text(text, limit=TOP)
            millis.append((time.perf_counter() - started) * 1000)
            returned = [item["id"] for item in items]
            rankings.append(by_position(o, returned, lambda c: posted[(c.subject, c.body)]))
        for key, value in saved.items():
            setattr(hybrid, key, value)
        results[name] = (mean_ap(rankings), millis)
    return results


def sweep(subject_only: bool) -> dict[str, dict]:
    settings = {"default (hybrid)": {}, "words only (SIMILAR_HYBRID=0)": {"OFF": True}}
    if subject_only:  # titles: only the short-text weight applies
        for weight in (0.0, 0.25, 0.5, 1.0, 2.0, 4.0):
            settings[f"TITLE_WORD_WEIGHT={weight:g}"] = {"TITLE_WORD_WEIGHT": weight}
        for keep in (0, 1, 2, 3, 5):
            settings[f"TITLE_WORD_KEEP={keep}"] = {"TITLE_WORD_KEEP": keep}
        return settings
    for weight in (0.0, 0.1, 0.3, 0.5, 0.8, 1.2):
        settings[f"WORD_WEIGHT={weight:g}"] = {"WORD_WEIGHT": weight}
    for n in (0, 10, 50):
        settings[f"VECTOR_CANDIDATES={n}"] = {"VECTOR_CANDIDATES": n}
    for c in (0.2, 0.4, 0.5):
        settings[f"MIN_COSINE={c:g}"] = {"MIN_COSINE": c}
    return settings


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--split", default="dev", choices=("dev", "train"))
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--db", help="an EMPTY database URL (default: a temporary SQLite)")
    parser.add_argument("--sweep", action="store_true", help="also measure fusion settings")
    parser.add_argument(
        "--subject-only",
        action="store_true",
        help="ask with the original subject only (a title typed on /ask)",
    )
    args = parser.parse_args(argv)

    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import Question
    from app.search.indexer import drain
    from app.search.service import get_backend
    from bench.common import PROJECT_ROOT, bench_app

    originals = load(args.data / f"{args.split}.csv")
    with bench_database(args.db) as (url, kind), tempfile.TemporaryDirectory() as index_dir:
        app = bench_app(url)
        app.config.update(
            SEARCH_BACKEND=kind, SEARCH_INDEX_DIR=index_dir, VECTOR_REFRESH_SECONDS=0.0
        )
        with app.app_context():
            upgrade(directory=str(PROJECT_ROOT / "migrations"))
            if db.session.scalar(select(func.count(Question.id))):
                raise SystemExit("the database is not empty: give a fresh one")
            started = time.perf_counter()
            posted = post_corpus(originals)
            drain(get_backend())
            print(
                f"{args.split}: {len(originals)} questions, {len(posted)} posted threads "
                f"({kind} search), posted and indexed in {time.perf_counter() - started:.1f} s"
            )
            texts = {qid: f"{s}\n{b}" for (s, b), qid in posted.items()}
            ids = list(texts)
            bm25 = bm25_ranker([texts[i] for i in ids])
            asked = {
                id(o): o.subject if args.subject_only else f"{o.subject}\n{o.body}"
                for o in originals
            }
            reference = [
                by_position(
                    o,
                    [ids[i] for i in bm25(asked[id(o)])[:TOP]],
                    lambda c: posted[(c.subject, c.body)],
                )
                for o in originals
            ]
            own = [rank_by_score(o.candidates, lambda c, o=o: 0.0) for o in originals]
            settings = sweep(args.subject_only) if args.sweep else {"default (hybrid)": {}}
            print(
                f"| ranking | MAP | lookup p50 ms |\n|---|---|---|\n"
                f"| BM25 reference (in-run, top {TOP}) | {mean_ap(reference):.1f} | |\n"
                f"| hash order (random) | {mean_ap(own):.1f} | |"
            )
            for name, (score, millis) in run_settings(
                originals, posted, settings, app, args.subject_only
            ).items():
                print(f"| {name} | {score:.1f} | {statistics.median(millis):.1f} |")
            db.session.remove()


def run_settings(originals, posted, settings, app, subject_only: bool) -> dict:
    """run() with "OFF" meaning SIMILAR_HYBRID=0 for that setting."""
    results = {}
    for name, patches in settings.items():
        patches = dict(patches)
        off = patches.pop("OFF", False)
        app.config["SIMILAR_HYBRID"] = not off
        results.update(run(originals, posted, {name: patches}, subject_only))
        app.config["SIMILAR_HYBRID"] = True
    return results


if __name__ == "__main__":
    main()

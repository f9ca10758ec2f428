"""As-you-type similar threads at scale: latency with and without meaning, and memory.

Usage: .venv/bin/python -m bench.similar_latency --db URL --workdir DIR [--queries 300]

On a database made by ``bench.generate`` (e.g. 150,000 posts), through the app's own code:
builds the Whoosh index (``rebuild``) and the post vectors (``vectors.rebuild``, the two
halves of ``flask search reindex``) unless the work dir already has the index, then asks
``similar_to_text(text, limit=5)``, the code behind GET /api/v1/similar and the /ask box,
for real question titles and for their first words (as typed), with SIMILAR_HYBRID on and
off, interleaved. Also whole posts (title + body), as the precomputed lists ask. Prints
p50/p95 ms, and this process's RSS before the model, after it, and after the vectors are in
memory (the model's and the vectors' share of a worker).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from pathlib import Path


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", required=True)
    parser.add_argument("--workdir", type=Path, required=True, help="index dir (reused)")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import PostVector, Question
    from app.search import embeddings, vectors
    from app.search.documents import html_to_text
    from app.search.indexer import all_public_documents
    from app.search.service import get_backend
    from app.search.similar import similar_to_text
    from app.search.vector_matrix import current_matrix
    from bench.common import bench_app

    app = bench_app(args.db)
    app.config.update(SEARCH_INDEX_DIR=str(args.workdir / "index"), VECTOR_REFRESH_SECONDS=3600.0)
    with app.app_context():
        backend = get_backend()
        if not backend.doc_ids():
            started = time.perf_counter()
            count = backend.rebuild(all_public_documents())
            took = time.perf_counter() - started
            print(f"index: {count} posts in {took:.1f} s ({count / took:.0f} posts/s)")
        if not db.session.scalar(select(func.count(PostVector.id))):
            started = time.perf_counter()
            count = vectors.rebuild(all_public_documents(types=vectors.VECTOR_TYPES))
            took = time.perf_counter() - started
            print(f"vectors: {count} questions and goals in {took:.1f} s ({count / took:.0f}/s)")
        # A worker's view: the searcher open and one word lookup done, nothing else loaded.
        app.config["SIMILAR_HYBRID"] = False
        similar_to_text("warm up the searcher", limit=5)
        before = rss_mb()
        embeddings.embed(["load the model"])
        with_model = rss_mb()
        started = time.perf_counter()
        matrix = current_matrix()
        loaded = time.perf_counter() - started
        with_vectors = rss_mb()
        print(
            f"RSS: {before:.0f} MB before the model, +{with_model - before:.0f} MB model, "
            f"+{with_vectors - with_model:.0f} MB for {len(matrix)} vectors "
            f"(read in {loaded:.1f} s) = {with_vectors:.0f} MB"
        )
        rows = db.session.execute(
            select(Question.title, Question.body_html).order_by(Question.id)
        ).all()
        rng = random.Random(args.seed)
        picked = rng.sample(rows, min(args.queries, len(rows)))
        del rows
        titles = [r.title for r in picked]
        typed = [" ".join(t.split()[:3]) for t in titles]
        posts = [f"{r.title}\n{html_to_text(r.body_html)}" for r in picked]
        print("| lookup | hybrid p50 / p95 ms | words only p50 / p95 ms |\n|---|---|---|")
        for name, texts in (("title", titles), ("first 3 words", typed), ("whole post", posts)):
            times: dict[bool, list[float]] = {True: [], False: []}
            for text in texts:
                for hybrid_on in (True, False):
                    app.config["SIMILAR_HYBRID"] = hybrid_on
                    started = time.perf_counter()
                    similar_to_text(text, limit=5)
                    times[hybrid_on].append((time.perf_counter() - started) * 1000)
                    db.session.rollback()
            cells = [
                f"{statistics.median(times[on]):.1f} / {p95(times[on]):.1f}" for on in (True, False)
            ]
            print(f"| {name} ({len(texts)}) | {cells[0]} | {cells[1]} |")
        app.config["SIMILAR_HYBRID"] = True
        print(f"RSS after the lookups: {rss_mb():.0f} MB")


if __name__ == "__main__":
    main()

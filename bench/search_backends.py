"""Both search backends on the same corpus, in one run, with ratios (Whoosh vs PostgreSQL FTS).

    python -m bench.search_backends perf --posts 150000 [--pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
    python -m bench.search_backends relevance [--data DIR]

perf: generates a corpus with ``bench.generate`` into a scratch PostgreSQL database (created
here, dropped at the end unless --keep), then for each backend: a full reindex through
``service.rebuild_index()`` (the `flask search reindex` path), ``similar()`` on real question
titles and whole posts, the search query mix of ``bench.search_perf`` (warm) and the same
searches through ``service.search_posts()`` (database re-check and snippets). Same queries,
same order, same process, so the ratios hold even on a busy machine.

relevance: the Stack Exchange links harness of ``bench.search_relevance`` (Recall@5, MRR on
duplicate and linked pairs) with the Whoosh index and the PostgreSQL table built from the same
documents.
"""

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.extensions import db
from app.search import service
from app.search.indexer import all_public_documents
from app.search.postgres_backend import PostgresBackend
from app.search.query import parse_query
from bench.common import PROJECT_ROOT, bench_app
from bench.search_perf import loadavg, make_queries, ms, pct, summary, uptime

KINDS = ("whoosh", "postgres")
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def scratch_database(admin_url: str, prefix: str) -> str:
    """Create an empty database next to admin_url's and return its URL."""
    admin = make_url(admin_url)
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return admin.set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, url: str) -> None:
    name = make_url(url).database
    engine = create_engine(make_url(admin_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :n AND pid <> pg_backend_pid()"
            ),
            {"n": name},
        )
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    engine.dispose()


def pg_table_mb(url: str) -> float:
    engine = create_engine(url)
    with engine.connect() as conn:
        size = conn.execute(
            text("SELECT pg_total_relation_size('search.search_documents')")
        ).scalar()
    engine.dispose()
    return size / 1e6


def measure(kind: str, url: str, workdir: Path, args) -> dict:
    """Reindex, similar, search and search page on one backend."""
    app = bench_app(url)
    app.config["SEARCH_BACKEND"] = kind
    index_dir = workdir / "whoosh-index"
    shutil.rmtree(index_dir, ignore_errors=True)
    app.config["SEARCH_INDEX_DIR"] = str(index_dir)
    row: dict = {"kind": kind}
    rng = random.Random(args.seed)
    print(f"\n== {kind} (load average {loadavg()})")
    with app.app_context():
        service._backends.clear()
        started = time.perf_counter()
        count = service.rebuild_index()
        elapsed = time.perf_counter() - started
        row.update(posts=count, reindex=count / elapsed)
        if kind == "postgres":
            backend = service.get_backend()
            with db.engine.connect() as conn:  # as autovacuum soon would, after a bulk load
                conn.execution_options(isolation_level="AUTOCOMMIT").execute(
                    text("VACUUM ANALYZE search.search_documents")
                )
            row["mb"] = pg_table_mb(url)
        else:
            row["mb"] = sum(f.stat().st_size for f in index_dir.rglob("*") if f.is_file()) / 1e6
        print(
            f"  reindex {count:,} posts in {elapsed:.1f} s = {row['reindex']:,.0f} posts/s,"
            f" {row['mb']:.0f} MB"
        )
        docs = list(all_public_documents())
        db.session.remove()
        questions = [d for d in docs if d.type == "question"]
        picked = rng.sample(questions, min(args.similar, len(questions)))
        queries = make_queries(rng, docs, args.queries)
        del docs
        backend = service.get_backend()
        for _kind, query_text, kwargs in queries[:20]:  # warm-up
            backend.search(parse_query(query_text, **kwargs))
        warm, by_kind, totals = [], {}, []
        for qkind, query_text, kwargs in queries:
            started = time.perf_counter()
            results = backend.search(parse_query(query_text, **kwargs))
            warm.append(ms(started))
            by_kind.setdefault(qkind, []).append(warm[-1])
            totals.append(results.total)
        page = []
        for _kind, query_text, kwargs in queries[: args.queries // 2]:
            started = time.perf_counter()
            service.search_posts(query_text, **kwargs)
            page.append(ms(started))
            db.session.rollback()
        sim_title, sim_post = [], []
        for doc in picked:
            for query_text, out in (
                (doc.title, sim_title),
                (f"{doc.title} {doc.body[:2000]}", sim_post),
            ):
                started = time.perf_counter()
                backend.similar(query_text, limit=5, exclude_doc_ids=[doc.doc_id])
                out.append(ms(started))
        suggest = []
        for qkind, query_text, _kwargs in queries:
            if qkind == "misspelt":
                started = time.perf_counter()
                backend.suggest(query_text)
                suggest.append(ms(started))
        row.update(
            search=warm,
            by_kind=by_kind,
            totals=totals,
            page=page,
            similar_title=sim_title,
            similar_post=sim_post,
            suggest=suggest or [0.0],
        )
        service._backends.clear()
        db.engine.dispose()
    return row


def perf(args) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="search-backends-"))
    url = args.db or scratch_database(args.pg, "journster_bench_search")
    print(f"cores {os.cpu_count()}, Python {sys.version.split()[0]}; uptime: {uptime()}")
    try:
        if not args.db:
            started = time.perf_counter()
            subprocess.run(  # noqa: S603
                [
                    sys.executable,
                    "-m",
                    "bench.generate",
                    "--db",
                    url,
                    "--posts",
                    str(args.posts),
                ],
                check=True,
                cwd=PROJECT_ROOT,
                stdout=subprocess.DEVNULL,
            )
            print(f"generated {args.posts:,} posts in {time.perf_counter() - started:.1f} s")
        rows = {kind: measure(kind, url, workdir, args) for kind in args.backends.split(",")}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        if not args.db and not args.keep:
            drop_database(args.pg, url)
    if len(rows) == len(KINDS):
        report(rows)
    else:
        for kind, row in rows.items():
            print(
                f"{kind}: "
                + ", ".join(
                    f"{key} {summary(row[key]).strip()}"
                    for key in ("search", "page", "similar_title", "similar_post", "suggest")
                )
            )
            for qkind, values in sorted(row["by_kind"].items()):
                print(f"  {qkind:<12} {summary(values)}")
    print(f"uptime at the end: {uptime()}")


def report(rows: dict) -> None:
    w, p = rows["whoosh"], rows["postgres"]
    print(f"\n{args_line(w)}: median / p95 in ms; ratio = Whoosh / PostgreSQL (>1: PG faster)")
    print("| | Whoosh | PostgreSQL | ratio p50, p95 |\n|---|---|---|---|")

    def line(label, key):
        a, b = w[key], p[key]
        print(
            f"| {label} | {summary(a).strip()} | {summary(b).strip()} | "
            f"{statistics.median(a) / max(statistics.median(b), 1e-6):.2f}x, "
            f"{pct(a, 0.95) / max(pct(b, 0.95), 1e-6):.2f}x |"
        )

    print(
        f"| reindex posts/s | {w['reindex']:,.0f} | {p['reindex']:,.0f} | "
        f"{w['reindex'] / p['reindex']:.2f}x |"
    )
    print(f"| index MB | {w['mb']:.0f} | {p['mb']:.0f} | |")
    line("search (warm)", "search")
    for kind in sorted(w["by_kind"]):
        a, b = w["by_kind"][kind], p["by_kind"].get(kind, [0.0])
        print(
            f"| — {kind} (n={len(a)}) | {summary(a).strip()} | {summary(b).strip()} | "
            f"{statistics.median(a) / max(statistics.median(b), 1e-6):.2f}x, "
            f"{pct(a, 0.95) / max(pct(b, 0.95), 1e-6):.2f}x |"
        )
    line("search page (search_posts)", "page")
    line("similar, title", "similar_title")
    line("similar, whole post", "similar_post")
    line("did-you-mean (misspelt)", "suggest")
    same = sum(1 for a, b in zip(w["totals"], p["totals"], strict=True) if a == b)
    print(
        f"search totals equal on {same} of {len(w['totals'])} queries (median "
        f"{statistics.median(w['totals']):,.0f} vs {statistics.median(p['totals']):,.0f})"
    )


def args_line(row: dict) -> str:
    return f"{row['posts']:,} public posts"


def relevance(args) -> None:
    from bench import search_relevance as sr

    with tempfile.TemporaryDirectory(prefix="relevance-") as base:
        workdir = Path(base)
        corpus, queries, _counts = sr.load_corpus(args.data, workdir)
        print(
            f"corpus: {len(corpus.questions)} questions, {len(corpus.docs)} documents, "
            f"{len(queries)} queries"
        )
        directory = workdir / "index"
        directory.mkdir()
        whoosh = sr.build_backend(corpus, directory)
        url = scratch_database(args.pg, "journster_relevance")
        try:
            app = bench_app(url)
            with app.app_context():
                upgrade(directory=str(PROJECT_ROOT / "migrations"))
                postgres = PostgresBackend(db.engine)
                postgres.rebuild(iter(corpus.docs))
                results = {
                    "whoosh": sr.evaluate(whoosh, corpus, queries),
                    "postgres": sr.evaluate(postgres, corpus, queries),
                }
                db.engine.dispose()
        finally:
            whoosh.close()
            drop_database(args.pg, url)
    print("| backend | mode | links | n | Recall@5 | MRR | similar() p50 / p95 ms |")
    print("|---|---|---|---|---|---|---|")
    for name, result in results.items():
        for mode in sr.MODES:
            for kind in sr.KINDS:
                n, recall, mrr = result.row(mode, kind)
                print(
                    f"| {name} | {mode} | {kind} | {n} | {recall:.3f} | {mrr:.3f} | "
                    f"{statistics.median(result.millis):.1f} / {sr._p95(result.millis):.1f} |"
                )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("perf")
    p.add_argument("--posts", type=int, default=150_000)
    p.add_argument("--pg", default=DEFAULT_PG, help="a PostgreSQL URL to create databases from")
    p.add_argument("--db", help="an existing bench.generate PostgreSQL database to reuse")
    p.add_argument("--queries", type=int, default=300)
    p.add_argument("--similar", type=int, default=150)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--keep", action="store_true", help="keep the scratch database")
    p.add_argument("--backends", default=",".join(KINDS), help="whoosh,postgres (default)")
    r = sub.add_parser("relevance")
    r.add_argument(
        "--data", type=Path, default=PROJECT_ROOT.parent / "shared" / "data" / "stackexchange"
    )
    r.add_argument("--pg", default=DEFAULT_PG)
    args = parser.parse_args(argv)
    perf(args) if args.command == "perf" else relevance(args)


if __name__ == "__main__":
    main()

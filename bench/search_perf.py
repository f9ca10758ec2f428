"""Search performance on generated corpora: reindex, similar threads, search; SQLite FTS5 beside.

    python -m bench.search_perf --sizes 10000,50000,150000 [--workdir /tmp/journster-search-perf]

For each size it generates a database with ``bench.generate`` (or reuses the one left in the
work dir by an earlier run), then, through the app's own code:

- reindex: ``app.search.service.rebuild_index()``, the path of ``flask search reindex``
  (documents streamed from the database into ``WhooshBackend.rebuild``); posts/s and MB;
- similar: ``WhooshBackend.similar`` on real question titles (as typed in the ask form) and on
  whole posts (title + body, as the thread page asks);
- search: ``WhooshBackend.search`` on a query mix built from the corpus (1-3 words from real
  titles, phrases, a [tag] filter, is:question, sort=votes, misspellings). Cold is the first
  query of a freshly opened backend; warm is the same backend afterwards. "search page" adds
  what ``service.search_posts`` does per request (database re-check and highlighted snippets).

As an in-run reference, the same documents go into an SQLite FTS5 table (porter stemming, bm25
with title weighted x2) and the same queries run there: the page of 20 plus a count(*) for the
total, as the app shows one; similar as an OR of the same key terms. Prints medians and p95;
no asserts (SPEC §5 targets are printed beside the 150k row).
"""

import argparse
import os
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

from whoosh.analysis import STOP_WORDS

from app.extensions import db
from app.search import service
from app.search import whoosh_schema as ws
from app.search.indexer import all_public_documents
from app.search.query import parse_query
from app.search.whoosh_backend import SIMILAR_TITLE_TOKENS, WhooshBackend
from app.search.whoosh_store import IndexStore
from app.search.whoosh_terms import KEY_TERMS, TITLE_KEY_TERMS, key_terms
from bench.common import PROJECT_ROOT, bench_app

TARGETS = {"search_p95": 50.0, "similar_p95": 20.0, "reindex": 2000}  # SPEC §5, at ~150k
WORD_RE = re.compile(r"[a-z]{3,20}")


def ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def summary(values: list[float]) -> str:
    return f"{statistics.median(values):7.1f} /{pct(values, 0.95):7.1f}"


def ensure_db(workdir: Path, size: int) -> str:
    path = workdir / f"bench-{size}.db"
    url = f"sqlite:///{path}"
    if not path.exists() or (workdir / f"bench-{size}.partial").exists():
        (workdir / f"bench-{size}.partial").touch()
        path.unlink(missing_ok=True)
        started = time.perf_counter()
        command = [sys.executable, "-m", "bench.generate", "--db", url, "--posts", str(size)]
        subprocess.run(  # noqa: S603  (our own module)
            command,
            check=True,
            cwd=PROJECT_ROOT,
            stdout=subprocess.DEVNULL,
        )
        (workdir / f"bench-{size}.partial").unlink()
        print(f"  generated {path} in {time.perf_counter() - started:.1f} s")
    else:
        print(f"  reusing {path}")
    return url


def uptime() -> str:
    return subprocess.run(
        ["uptime"],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()


def loadavg() -> str:
    return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def dir_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


# -- query material ----------------------------------------------------------------------
def title_words(title: str) -> list[str]:
    return [w for w in WORD_RE.findall(title.lower()) if w not in STOP_WORDS]


def misspell(rng: random.Random, word: str) -> str:
    i = rng.randrange(1, len(word) - 1)
    if rng.random() < 0.5:  # swap two neighbours
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[:i] + word[i + 1 :]  # drop one letter


def make_queries(rng: random.Random, docs, count: int) -> list[tuple[str, str, dict]]:
    """(kind, text, parse_query kwargs): words as users type them, from real titles."""
    titles = [d.title for d in docs if d.type == "question"]
    tags = [t for d in docs if d.type == "question" for t in d.tags]  # by frequency
    mix = (
        ["1 word"] * 25
        + ["2 words"] * 20
        + ["3 words"] * 15
        + ["phrase"] * 10
        + ["[tag] word"] * 10
        + ["is:question"] * 8
        + ["sort=votes"] * 7
        + ["misspelt"] * 5
    )
    queries = []
    while len(queries) < count:
        kind = rng.choice(mix)
        words = title_words(rng.choice(titles))
        if len(words) < 3:
            continue
        kwargs = {}
        if kind.endswith("words") or kind == "1 word":
            n = int(kind[0])
            text = " ".join(rng.sample(words, n))
        elif kind == "phrase":
            i = rng.randrange(len(words) - 1)
            text = f'"{words[i]} {words[i + 1]}"'
        elif kind == "[tag] word":
            text = f"[{rng.choice(tags)}] {rng.choice(words)}"
        elif kind == "is:question":
            text = "is:question " + " ".join(rng.sample(words, 2))
        elif kind == "sort=votes":
            text, kwargs = " ".join(rng.sample(words, 2)), {"sort": "votes"}
        else:
            long = [w for w in words if len(w) >= 6]
            if not long:
                continue
            text = misspell(rng, rng.choice(long))
        queries.append((kind, text, kwargs))
    return queries


# -- SQLite FTS5 reference ---------------------------------------------------------------
def fts_build(path: Path, docs) -> tuple[sqlite3.Connection, float]:
    path.unlink(missing_ok=True)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(
        "CREATE VIRTUAL TABLE posts USING fts5(title, body, doc_id UNINDEXED,"
        " type UNINDEXED, tags UNINDEXED, score UNINDEXED, created UNINDEXED,"
        " tokenize='porter unicode61')"
    )
    started = time.perf_counter()
    with conn:
        conn.executemany(
            "INSERT INTO posts VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                (
                    d.title,
                    d.body,
                    d.doc_id,
                    d.type,
                    " " + " ".join(t.lower() for t in d.tags) + " ",
                    d.score,
                    d.created_at.isoformat(),
                )
                for d in docs
            ),
        )
    return conn, time.perf_counter() - started


def fts_quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def fts_search(conn: sqlite3.Connection, text: str, sort: str = "relevance") -> int:
    """The page of 20 and the total, like the app; returns the total."""
    query = parse_query(text, sort=sort)
    parts = [fts_quote(w) for w in query.words] + [fts_quote(p) for p in query.phrases]
    where, args = ["posts MATCH ?"], [" AND ".join(parts)]
    if not parts:
        return 0
    if query.types:
        where.append("type = ?")
        args.append(query.types[0])
    for tag in query.tags:
        where.append("instr(tags, ?) > 0")
        args.append(f" {tag} ")
    order = "score DESC, created DESC" if query.sort == "votes" else "bm25(posts, 2.0, 1.0)"
    sql_where = " AND ".join(where)
    conn.execute(
        f"SELECT doc_id, title FROM posts WHERE {sql_where}"  # noqa: S608
        f" ORDER BY {order} LIMIT 20",
        args,
    ).fetchall()
    return conn.execute(f"SELECT count(*) FROM posts WHERE {sql_where}", args).fetchone()[0]  # noqa: S608


def fts_similar(conn: sqlite3.Connection, terms: list[str], title_only: bool) -> None:
    match = " OR ".join(fts_quote(t) for t in terms)
    if title_only:
        match = "title : (" + match + ")"
    conn.execute(
        "SELECT doc_id FROM posts WHERE posts MATCH ? AND type = 'question'"
        " ORDER BY bm25(posts, 2.0, 1.0) LIMIT 6",
        (match,),
    ).fetchall()


def similar_terms(backend: WhooshBackend, text: str) -> tuple[list[str], bool]:
    """The key terms WhooshBackend.similar picks for text (to give FTS5 the same query)."""
    tokens = ws.analyse(backend._analyzer, text[:5000])
    searcher = backend._fresh()
    if len(tokens) <= SIMILAR_TITLE_TOKENS:
        return key_terms(searcher, tokens, ("title",), TITLE_KEY_TERMS), True
    return key_terms(searcher, tokens, ("title", "body"), KEY_TERMS), False


# -- one corpus size ---------------------------------------------------------------------
def run_size(size: int, args) -> dict:
    print(f"\n== {size:,} posts (load average {loadavg()})")
    url = ensure_db(args.workdir, size)
    # Writable: the reindex stores post vectors in the database, as `flask search reindex`.
    app = bench_app(url)
    index_dir = args.workdir / f"index-{size}"
    shutil.rmtree(index_dir, ignore_errors=True)
    app.config["SEARCH_INDEX_DIR"] = str(index_dir)
    row: dict = {"size": size}
    rng = random.Random(args.seed)
    with app.app_context():
        service._backends.clear()
        started = time.perf_counter()
        count = service.rebuild_index()  # what `flask search reindex` runs
        elapsed = time.perf_counter() - started
        live = index_dir / IndexStore(index_dir).current_name()
        row.update(posts=count, reindex=count / elapsed, reindex_s=elapsed, index_mb=dir_mb(live))
        print(
            f"  reindex: {count:,} posts in {elapsed:.1f} s = {count / elapsed:,.0f} posts/s,"
            f" index {row['index_mb']:.1f} MB"
        )
        started = time.perf_counter()
        docs = list(all_public_documents())
        row["docs_only"] = len(docs) / (time.perf_counter() - started)
        print(f"  documents from the database alone: {row['docs_only']:,.0f} posts/s")
        conn, fts_s = fts_build(args.workdir / f"fts-{size}.db", docs)
        row["fts_reindex"] = len(docs) / fts_s
        print(f"  FTS5 insert: {len(docs) / fts_s:,.0f} posts/s")

        questions = [d for d in docs if d.type == "question"]
        picked = rng.sample(questions, min(args.similar, len(questions)))
        queries = make_queries(rng, docs, args.queries + args.cold)
        del docs

        # Cold: a fresh backend (new process's view), first query only.
        cold, opens = [], []
        for _kind, text, kwargs in queries[: args.cold]:
            started = time.perf_counter()
            fresh = WhooshBackend(index_dir)
            opens.append(ms(started))
            started = time.perf_counter()
            fresh.search(parse_query(text, **kwargs))
            cold.append(ms(started))
            fresh.close()
        row.update(search_cold=cold, open=opens)

        backend = WhooshBackend(index_dir)
        for _kind, text, kwargs in queries[:20]:  # warm-up
            backend.search(parse_query(text, **kwargs))
        warm, by_kind, totals = [], {}, []
        for kind, text, kwargs in queries[args.cold :]:
            started = time.perf_counter()
            results = backend.search(parse_query(text, **kwargs))
            warm.append(ms(started))
            by_kind.setdefault(kind, []).append(warm[-1])
            totals.append(results.total)
        row.update(search_warm=warm, by_kind=by_kind)

        page = []
        for _kind, text, kwargs in queries[args.cold : args.cold + args.queries // 2]:
            started = time.perf_counter()
            service.search_posts(text, **kwargs)
            page.append(ms(started))
            # search_posts() rolls nothing back itself: keep the session from growing.
            db.session.rollback()
        row["search_page"] = page

        fts_times = []
        for _kind, text, kwargs in queries[args.cold :]:
            started = time.perf_counter()
            fts_search(conn, text, kwargs.get("sort", "relevance"))
            fts_times.append(ms(started))
        row["fts_search"] = fts_times

        sim_title, sim_post, fts_title, fts_post = [], [], [], []
        for doc in picked:
            body = doc.body[:2000]
            for text, out, fts_out in (
                (doc.title, sim_title, fts_title),
                (f"{doc.title} {body}", sim_post, fts_post),
            ):
                started = time.perf_counter()
                backend.similar(text, limit=5, exclude_doc_ids=[doc.doc_id])
                out.append(ms(started))
                terms, title_only = similar_terms(backend, text)
                started = time.perf_counter()
                if terms:
                    fts_similar(conn, terms, title_only)
                fts_out.append(ms(started))
        row.update(
            similar_title=sim_title,
            similar_post=sim_post,
            fts_similar_title=fts_title,
            fts_similar_post=fts_post,
        )
        backend.close()
        conn.close()
        service._backends.clear()
        print(
            f"  median hits total {statistics.median(totals):,.0f};"
            f" search warm by kind (p50 / p95 ms):"
        )
        for kind, values in sorted(by_kind.items()):
            print(f"    {kind:<12} n={len(values):>3} {summary(values)}")
        print(f"  open a backend {summary(opens)}")
    print(f"  load average after: {loadavg()}")
    if not args.keep:
        shutil.rmtree(index_dir, ignore_errors=True)
        (args.workdir / f"fts-{size}.db").unlink(missing_ok=True)
        for suffix in ("-wal", "-shm"):
            (args.workdir / f"fts-{size}.db{suffix}").unlink(missing_ok=True)
    return row


def report(rows: list[dict]) -> None:
    print("\nmedian / p95 in ms; rates in posts/s")
    cols = [f"{r['size'] // 1000}k" for r in rows]
    print(f"{'':<30}" + "".join(f"{c:>18}" for c in cols))

    def line(label, fn):
        print(f"{label:<30}" + "".join(f"{fn(r):>18}" for r in rows))

    line("public posts indexed", lambda r: f"{r['posts']:,}")
    line("reindex posts/s (Whoosh)", lambda r: f"{r['reindex']:,.0f}")
    line("  documents alone posts/s", lambda r: f"{r['docs_only']:,.0f}")
    line("  FTS5 insert posts/s", lambda r: f"{r['fts_reindex']:,.0f}")
    line("index MB", lambda r: f"{r['index_mb']:.1f}")
    line("similar, title", lambda r: summary(r["similar_title"]))
    line("similar, whole post", lambda r: summary(r["similar_post"]))
    line("  FTS5 similar, title", lambda r: summary(r["fts_similar_title"]))
    line("  FTS5 similar, whole post", lambda r: summary(r["fts_similar_post"]))
    line("search cold (1st query)", lambda r: summary(r["search_cold"]))
    line("search warm", lambda r: summary(r["search_warm"]))
    line("  FTS5 search (+count)", lambda r: summary(r["fts_search"]))
    line(
        "  ratio Whoosh/FTS5 p50, p95",
        lambda r: "{:.1f}x, {:.1f}x".format(
            statistics.median(r["search_warm"]) / statistics.median(r["fts_search"]),
            pct(r["search_warm"], 0.95) / pct(r["fts_search"], 0.95),
        ),
    )
    line(
        "  ratio similar post p50,p95",
        lambda r: "{:.1f}x, {:.1f}x".format(
            statistics.median(r["similar_post"]) / statistics.median(r["fts_similar_post"]),
            pct(r["similar_post"], 0.95) / pct(r["fts_similar_post"], 0.95),
        ),
    )
    line("search page (search_posts)", lambda r: summary(r["search_page"]))
    print(
        f"SPEC §5 at ~150k: search p95 <= {TARGETS['search_p95']:.0f} ms, similar p95 <="
        f" {TARGETS['similar_p95']:.0f} ms, reindex >= {TARGETS['reindex']:,} posts/s"
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", default="10000,50000,150000", help="comma-separated corpus sizes (posts)"
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=Path("/tmp/journster-search-perf"),  # noqa: S108
        help="databases are generated here once and reused",
    )
    parser.add_argument("--queries", type=int, default=300, help="timed warm searches")
    parser.add_argument("--cold", type=int, default=20, help="cold first queries")
    parser.add_argument("--similar", type=int, default=150, help="posts for similar()")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the indexes and FTS5 files")
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    print(
        f"cores {os.cpu_count()}, Python {sys.version.split()[0]}, SQLite"
        f" {sqlite3.sqlite_version}; uptime: {uptime()}"
    )
    rows = [run_size(size, args) for size in sizes]
    report(rows)
    print(f"uptime at the end: {uptime()}")


if __name__ == "__main__":
    main()

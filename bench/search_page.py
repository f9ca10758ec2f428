"""Server time of the search page (`/search?q=`) and the similar API on a generated corpus.

    python -m bench.search_page --db sqlite:///instance/bench.db [--requests 200] [--profile KIND]

Queries are adjacent word pairs from real titles of the corpus (as the Askbot comparison
picks them, `../shared/peers/compare`), so every query finds its own thread at least. Each
URL kind is warmed on other queries, then timed around the WSGI call (rendering included,
like bench.pages) twice: queries new to the process, then the same ones again (answered
from the per-process result cache while the index is unchanged).
The search index must exist (SEARCH_INDEX_DIR; build it with `flask search reindex`).
"""

import argparse
import cProfile
import os
import pstats
import statistics
import time
from random import Random
from urllib.parse import urlencode

from sqlalchemy import text

from app.extensions import db
from bench.common import bench_app
from bench.pages import Meter, p95


def word_pairs(rng: Random, count: int) -> list[str]:
    """Adjacent lowercase word pairs from random public question titles."""
    with db.engine.connect() as conn:
        titles = conn.scalars(text("SELECT title FROM questions ORDER BY id")).all()
    pairs = []
    while len(pairs) < count:
        words = [w for w in rng.choice(titles).lower().split() if w.isalpha()]
        if len(words) >= 2:
            start = rng.randrange(len(words) - 1)
            pairs.append(" ".join(words[start : start + 2]))
    return pairs


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="database URL made by bench.generate")
    parser.add_argument(
        "--requests",
        type=int,
        default=200,
        help="timed requests per kind and pass (distinct queries)",
    )
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--profile",
        metavar="KIND",
        help='cProfile one of "search page, first",'
        ' "search page, repeat", "similar API, first", "similar API, repeat"',
    )
    args = parser.parse_args(argv)
    app = bench_app(args.db, read_only=True)
    meter = Meter(app)
    with app.app_context():
        pairs = word_pairs(Random(args.seed), args.requests)
        warm = word_pairs(Random(args.seed + 1), args.warmup)
    kinds = {
        "search page": lambda q: "/search?" + urlencode({"q": q}),
        "similar API": lambda q: "/api/v1/similar?" + urlencode({"text": q}),
    }
    print("load average before: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    client = app.test_client()
    for name, url_for in kinds.items():
        urls = [url_for(pairs[i % len(pairs)]) for i in range(args.requests)]
        for url in [url_for(q) for q in warm]:
            client.get(url)  # other queries: the code is warm, these results are not
        # First pass: each query new to this process; second: the same again, index unchanged.
        for label in ("first", "repeat"):
            profiler = cProfile.Profile() if args.profile == f"{name}, {label}" else None
            times = []
            if profiler:
                profiler.enable()
            started = time.perf_counter()
            for url in urls:
                response = client.get(url)
                if response.status_code != 200:
                    raise SystemExit(f"{url} answered {response.status_code}")
                times.append(meter.elapsed * 1000)
            wall = time.perf_counter() - started
            if profiler:
                profiler.disable()
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
            print(
                f"{name + ', ' + label:<22} median {statistics.median(times):6.1f} ms"
                f"  p95 {p95(times):6.1f} ms  {len(times) / wall:6.0f} req/s (sequential)"
            )
    print("load average after: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()

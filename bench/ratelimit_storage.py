"""Cost of one rate-limit check per storage: the SQLite file (default) against memory.

    .venv/bin/python -m bench.ratelimit_storage [--hits 2000] [--runs 5]

Each step is what Flask-Limiter does for one limit on one request (hit, then the window
stats for the X-RateLimit headers). Memory is the in-run reference: per-process counters,
the cheapest possible and wrong with several workers. Prints medians in microseconds.
"""

import argparse
import statistics
import tempfile
import time

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from app.ratelimit_storage import SCHEME


def measure(uri: str, hits: int, runs: int) -> float:
    limiter = FixedWindowRateLimiter(storage_from_string(uri))
    item = parse("1000000 per minute")
    per_hit = []
    for _ in range(runs):
        start = time.perf_counter()
        for i in range(hits):
            key = f"10.0.0.{i % 50}"
            limiter.hit(item, "posting", key)
            limiter.get_window_stats(item, "posting", key)
        per_hit.append((time.perf_counter() - start) / hits * 1e6)
    return statistics.median(per_hit)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hits", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for label, uri in (
            ("memory (reference)", "memory://"),
            ("sqlite file", f"{SCHEME}:///{folder}/ratelimits.db"),
        ):
            median = measure(uri, args.hits, args.runs)
            print(f"{label:20s} {median:8.1f} µs per limit check (median of {args.runs} runs)")


if __name__ == "__main__":
    main()

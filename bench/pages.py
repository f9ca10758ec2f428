"""Server time of the main pages on a generated corpus, with the Flask test client.

    python -m bench.pages --db sqlite:///instance/bench.db [--requests 300] [--profile NAME]

Anonymous GETs only; the database is opened read-only (SQLite ``query_only``, PostgreSQL
``default_transaction_read_only``), so a page that tried to write would fail loudly.
"""

import argparse
import cProfile
import os
import platform
import pstats
import statistics
import time
from datetime import UTC, datetime
from random import Random

from sqlalchemy import event, text

from app.extensions import db
from bench.common import bench_app

QUESTION_TARGET_MS = 15.0  # SPEC §5: question page p50 at ~150,000 posts
MANY_ANSWERS, FEW_ANSWERS = 6, 1


class Meter:
    """Times each request inside the WSGI call and counts its SQL statements."""

    def __init__(self, app) -> None:
        self.wsgi_app, self.elapsed = app.wsgi_app, 0.0
        self.statements, self.sql_seconds, self._sql_start = 0, 0.0, 0.0
        app.wsgi_app = self

    def __call__(self, environ, start_response):
        self.statements, self.sql_seconds = 0, 0.0
        started = time.perf_counter()
        try:
            # Flask renders the body and tears the request down before returning.
            return self.wsgi_app(environ, start_response)
        finally:
            self.elapsed = time.perf_counter() - started

    def before(self, *_args) -> None:
        self.statements += 1
        self._sql_start = time.perf_counter()

    def after(self, *_args) -> None:
        self.sql_seconds += time.perf_counter() - self._sql_start


def choose_urls(rng: Random, count: int) -> dict[str, list[str]]:
    """Each page type's URLs: random existing ids of the right kind, popular and rare tags."""
    visible = (
        "FROM questions q LEFT JOIN goals g ON g.id = q.goal_id "
        "WHERE (q.goal_id IS NULL OR g.visibility = 'open')"
    )
    with db.engine.connect() as conn:
        rows = conn.execute(text(f"SELECT q.id, q.answer_count {visible}")).all()
        tags = conn.execute(
            text(
                "SELECT t.name, count(*) AS n FROM question_tags qt "
                "JOIN tags t ON t.id = qt.tag_id "
                "GROUP BY t.name ORDER BY n DESC, t.name"
            )
        ).all()
        goals = conn.scalars(text("SELECT id FROM goals WHERE visibility = 'open'")).all()
        busiest = conn.scalar(
            text(
                "SELECT u.username FROM answers a JOIN users u ON u.id = a.owner_id "
                "GROUP BY u.username ORDER BY count(*) DESC, u.username LIMIT 1"
            )
        )
    if not rows or not goals:
        raise SystemExit("no questions or goals: run python -m bench.generate first")
    many = [i for i, n in rows if n >= MANY_ANSWERS] or [rows[0][0]]
    few = [i for i, n in rows if n <= FEW_ANSWERS] or [rows[0][0]]

    def pick(ids):
        return [rng.choice(ids) for _ in range(count)]

    popular, rare = tags[0], tags[-1]
    print(
        f"corpus: {len(rows):,} visible questions ({len(many):,} with ≥{MANY_ANSWERS} answers,"
        f" {len(few):,} with ≤{FEW_ANSWERS}); popular tag {popular[0]!r} ({popular[1]:,}"
        f" questions), rare tag {rare[0]!r} ({rare[1]:,})"
    )
    return {
        "question (random)": [f"/questions/{i}" for i in pick([i for i, _ in rows])],
        f"question (≥{MANY_ANSWERS} answers)": [f"/questions/{i}" for i in pick(many)],
        f"question (≤{FEW_ANSWERS} answer)": [f"/questions/{i}" for i in pick(few)],
        "home /": ["/"] * count,
        "home ?page=50": ["/?page=50"] * count,
        f"tag popular ({popular[0]})": [f"/tags/{popular[0]}"] * count,
        f"tag rare ({rare[0]})": [f"/tags/{rare[0]}"] * count,
        "goal page": [f"/goals/{i}" for i in pick(goals)],
        "/questions?sort=votes": ["/questions?sort=votes"] * count,
        # Not in the brief's list, but main pages that showed problems at 150k posts.
        "/questions?sort=active": ["/questions?sort=active"] * count,
        "profile (busiest user)": [f"/users/{busiest}"] * count,
    }


def measure(client, meter: Meter, urls: list[str], warmup: int) -> dict:
    """Warm up on the first URLs, time the rest; per-request milliseconds and SQL counts."""
    for url in urls[:warmup]:
        client.get(url)
    times, statements, sql = [], [], []
    for url in urls[warmup:]:
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
        times.append(meter.elapsed * 1000)
        statements.append(meter.statements)
        sql.append(meter.sql_seconds * 1000)
    return {"times": times, "statements": statements, "sql": sql}


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def report(results: dict[str, dict]) -> None:
    print(f"\n{'page':<28}{'median ms':>10}{'p95 ms':>9}{'req/s':>8}{'SQL/req':>9}{'SQL ms':>8}")
    for name, r in results.items():
        median = statistics.median(r["times"])
        flag = ""
        if name.startswith("question"):
            flag = "  ok" if median <= QUESTION_TARGET_MS else "  MISSES the p50 target"
        print(
            f"{name:<28}{median:>10.1f}{p95(r['times']):>9.1f}"
            f"{len(r['times']) / (sum(r['times']) / 1000):>8.0f}"
            f"{statistics.median(r['statements']):>9.0f}{statistics.median(r['sql']):>8.1f}{flag}"
        )
    print(
        "SQL/req counts cursor executions (on SQLite including the app's explicit BEGIN);"
        " SQL ms is time inside execute (on SQLite only up to the first row)."
    )
    for name, r in results.items():
        if name.startswith("question"):
            print(
                f"SQL statements per {name}: median {statistics.median(r['statements']):.0f},"
                f" min {min(r['statements'])}, max {max(r['statements'])}"
            )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="database URL made by bench.generate")
    parser.add_argument("--requests", type=int, default=300, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=30, help="untimed requests per page")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--profile",
        metavar="TEXT",
        help="cProfile the pages whose name contains TEXT; print the top",
    )
    args = parser.parse_args(argv)
    app = bench_app(args.db, read_only=True)
    meter = Meter(app)
    with app.app_context():
        engine = db.engine
        event.listen(engine, "before_cursor_execute", meter.before)
        event.listen(engine, "after_cursor_execute", meter.after)
        urls = choose_urls(Random(args.seed), args.requests + args.warmup)
    print(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.python_implementation()}"
        f" {platform.python_version()}, {os.cpu_count()} CPUs,"
        f" {engine.url.render_as_string(hide_password=True)}"
    )
    # Other work on the machine inflates every number: the load average says how much.
    print("load average before: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    client = app.test_client()
    results = {}
    for name, page_urls in urls.items():
        profiler = cProfile.Profile() if args.profile and args.profile in name else None
        if profiler:
            profiler.enable()
        results[name] = measure(client, meter, page_urls, args.warmup)
        if profiler:
            profiler.disable()
            print(f"\n--- profile: {name}")
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
    report(results)
    print("load average after: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()

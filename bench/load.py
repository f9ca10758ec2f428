"""Load test: a mixed read/write workload against `make serve` on a generated corpus.

    .venv/bin/python -m bench.load [--posts 150000] [--duration 120] [--clients 12]
                                   [--db PATH] [--workdir DIR] [--json FILE]

Steps: generate a SQLite corpus with bench.generate (or reuse ``--db`` when the file exists),
`flask search reindex`, `make serve` with WEB_CONCURRENCY=3 on a free 127.0.0.1 port (rate
limits off, no demo data), ``--users`` accounts with API tokens, a short read-only warm-up,
then ``--clients`` closed-loop clients for ``--duration`` seconds: 80% reads (question, home,
tag, goal and profile pages, /search and /api/v1/search, real URLs and words sampled from the
database), 15% answers and votes and 5% new questions through the API with bearer tokens.
Every written question and answer carries a unique marker word; afterwards each one must be
readable through the API and found by /api/v1/search within ``--search-deadline`` seconds.
It reports requests, req/s, p50/p95/p99 per kind, errors (any non-2xx/3xx or connection
error), the RSS of every gunicorn worker and the load average, and always stops the server's
whole process group. Exit status 0 only with zero errors and every written post verified.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import re
import resource
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench.search_latency import Api, free_port, marker_word, percentile

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "load-test-password-123"  # noqa: S105  (throwaway accounts on a scratch database)
WORKER_RSS_BUDGET_MB = 200  # SPEC §5
# Share of requests per kind (percent): 80 reads, 15 answers and votes, 5 new questions.
MIX = {
    "question page": 30,
    "home": 8,
    "tag page": 8,
    "goal page": 9,
    "profile": 9,
    "search page": 8,
    "search api": 8,
    "answer": 7.5,
    "vote": 7.5,
    "new question": 5,
}
READS = ("question page", "home", "tag page", "goal page", "profile", "search page", "search api")
WRITES = ("answer", "vote", "new question")
STOPWORDS = frozenset(
    (
        "about",
        "after",
        "again",
        "also",
        "because",
        "been",
        "before",
        "being",
        "between",
        "could",
        "does",
        "doing",
        "during",
        "each",
        "from",
        "have",
        "having",
        "here",
        "into",
        "itself",
        "just",
        "more",
        "most",
        "only",
        "other",
        "over",
        "same",
        "should",
        "some",
        "such",
        "than",
        "that",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "under",
        "until",
        "very",
        "what",
        "when",
        "where",
        "which",
        "while",
        "whom",
        "will",
        "with",
        "would",
        "your",
    )
)
LOG_PROBLEMS = (
    "Traceback",
    "database is locked",
    "WORKER TIMEOUT",
    "round failed",
    "exited with code",
    "OperationalError",
)


# -- the corpus ------------------------------------------------------------------------------
@dataclass
class Sample:
    """Real ids, names, words and texts from the database, for URLs and request bodies."""

    questions: list[int]
    answers: list[int]
    goals: list[int]
    users: list[str]
    tags: list[str]
    queries: list[str]
    titles: list[str]
    paragraphs: list[str]


def sample_corpus(db_path: Path, rng: random.Random, size: int = 2000) -> Sample:
    """Read a sample of what an anonymous reader can see (open goals, nothing hidden)."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:

        def column(sql: str) -> list:
            return [row[0] for row in conn.execute(sql, {"n": size})]

        # Visible to anyone: not hidden, not private-marked, not anonymous, no closed goal.
        questions = column(
            "SELECT q.id FROM questions q LEFT JOIN goals g ON g.id = q.goal_id"
            " WHERE q.hidden_at IS NULL AND q.mentorship_id IS NULL AND NOT q.anonymous"
            " AND (q.goal_id IS NULL OR (g.visibility = 'open' AND g.hidden_at IS NULL))"
            " ORDER BY random() LIMIT :n"
        )
        answers = column(
            "SELECT a.id FROM answers a JOIN questions q ON q.id = a.question_id"
            " LEFT JOIN goals g ON g.id = q.goal_id"
            " WHERE a.hidden_at IS NULL AND a.mentorship_id IS NULL"
            " AND q.hidden_at IS NULL AND q.mentorship_id IS NULL AND NOT q.anonymous"
            " AND (q.goal_id IS NULL OR (g.visibility = 'open' AND g.hidden_at IS NULL))"
            " ORDER BY random() LIMIT :n"
        )
        goals = column(
            "SELECT id FROM goals WHERE visibility = 'open' AND hidden_at IS NULL"
            " ORDER BY random() LIMIT :n"
        )
        # Half the profiles are authors of random answers: busy users get visited more.
        users = column(
            "SELECT username FROM users WHERE deleted_at IS NULL"
            " AND suspended_at IS NULL ORDER BY random() LIMIT :n / 2"
        )
        users += column(
            "SELECT u.username FROM answers a JOIN users u ON u.id = a.owner_id"
            " WHERE u.deleted_at IS NULL AND u.suspended_at IS NULL"
            " ORDER BY random() LIMIT :n / 2"
        )
        # One row per use, so tags are drawn by their real frequency.
        tags = column(
            "SELECT t.name FROM question_tags qt JOIN tags t ON t.id = qt.tag_id"
            " ORDER BY random() LIMIT :n"
        )
        titles = [
            t
            for t in column("SELECT title FROM questions ORDER BY random() LIMIT :n")
            if 15 <= len(t) <= 140
        ]
        paragraphs = [
            p.strip()
            for body in column("SELECT body FROM answers ORDER BY random() LIMIT :n / 4")
            for p in body.split("\n\n")
            if 40 <= len(p.strip()) <= 600
            and not p.lstrip().startswith(("    ", "```", ">", "-", "*", "1."))
        ]
    finally:
        conn.close()
    return Sample(
        questions,
        answers,
        goals,
        users,
        tags,
        search_queries(titles, tags, rng),
        titles,
        paragraphs or ["A plain answer paragraph for the load test."],
    )


def search_queries(titles: list[str], tags: list[str], rng: random.Random) -> list[str]:
    """Queries as readers type them: 1–2 real title words, sometimes scoped to a tag."""
    queries = []
    for title in titles:
        words = [w for w in re.findall(r"[a-z]{4,}", title.lower()) if w not in STOPWORDS]
        if not words:
            continue
        query = " ".join(rng.sample(words, min(len(words), rng.choice((1, 1, 2)))))
        if tags and rng.random() < 0.1:
            query = f"[{rng.choice(tags)}] {query}"
        queries.append(query)
    return queries or ["question"]


def run_checked(argv: list[str], env: dict[str, str], what: str, timeout: float) -> str:
    """Run a step to completion; raise with its output when it fails."""
    done = subprocess.run(  # noqa: S603
        argv,
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"{what} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
    return done.stdout


# -- the server ------------------------------------------------------------------------------
@dataclass
class Server:
    """`make serve` in its own session (process group), stopped as a whole."""

    env: dict[str, str]
    log_path: Path
    workers: int
    proc: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.env['PORT']}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def start(self, ready_timeout: float = 60.0) -> None:
        for attempt in range(3):
            self.env["PORT"] = str(free_port())
            with self.log_path.open("wb") as out:
                self.proc = subprocess.Popen(
                    ["make", "--no-print-directory", "serve"],  # noqa: S607
                    cwd=PROJECT_ROOT,
                    env=self.env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,
                )
            try:
                self.wait_ready(ready_timeout)
                return
            except RuntimeError:
                # free_port() cannot reserve the port: someone may have taken it meanwhile.
                self.stop()
                if attempt == 2 or "already in use" not in self.log():
                    raise

    def wait_ready(self, timeout: float) -> None:
        """Until every web worker has booted and the app answers."""
        api, deadline = Api(self.base_url, timeout=2), time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"make serve exited with {self.proc.returncode}:\n{self.log()[-3000:]}"
                )
            try:
                status, _ = api.call("GET", "/api/v1/openapi.json")
            except OSError:
                status = 0
            if status == 200 and self.log().count("Booting worker") >= self.workers:
                return
            time.sleep(0.2)
        raise RuntimeError(f"make serve not ready after {timeout} s:\n{self.log()[-3000:]}")

    def processes(self) -> dict[str, list[int]]:
        """Pids of the gunicorn master, its workers and the search indexer (by /proc)."""
        if self.proc is None or self.proc.poll() is not None:
            return {"master": [], "workers": [], "indexer": []}
        group = self.proc.pid
        info = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            with contextlib.suppress(OSError):
                stat = Path(f"/proc/{entry}/stat").read_text()
                fields = stat[stat.rindex(")") + 2 :].split()
                if int(fields[2]) != group:  # fields[2] is the process group id
                    continue
                argv = (
                    Path(f"/proc/{entry}/cmdline")
                    .read_bytes()
                    .rstrip(b"\0")
                    .decode(errors="replace")
                    .split("\0")
                )
                info[int(entry)] = (int(fields[1]), argv)

        # By the program path in argv[0] or argv[1] (`python .venv/bin/gunicorn`): the
        # recipe's `sh -c` carries the whole recipe text, program names included.
        def runs(argv: list[str], program: str) -> bool:
            return any(arg.rsplit("/", 1)[-1] == program for arg in argv[:2])

        gunicorns = {pid for pid, (_, argv) in info.items() if runs(argv, "gunicorn")}
        masters = [pid for pid in gunicorns if info[pid][0] not in gunicorns]
        return {
            "master": masters,
            "workers": sorted(pid for pid in gunicorns if info[pid][0] in masters),
            "indexer": [
                pid
                for pid, (_, argv) in info.items()
                if runs(argv, "flask") and argv[-2:] == ["search", "worker"]
            ],
        }

    def stop(self, grace: float = 20.0) -> None:
        """TERM to the whole group (make, its shell, gunicorn, indexer, mail loop), then KILL."""
        proc = self.proc
        if proc is None:
            return
        if proc.poll() is None:  # never signal a reaped pid: the group id may be reused
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(grace)
        # make may exit before its children: the group outlives it, so end it by its id.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
            deadline = time.monotonic() + grace
            while time.monotonic() < deadline and _group_alive(proc.pid):
                time.sleep(0.1)
            os.killpg(proc.pid, signal.SIGKILL)
        if proc.poll() is None:
            proc.wait()


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def rss_mb(pid: int) -> float | None:
    """VmRSS of a process in MB, None when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process, None when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()  # from field 3 (state) on
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def loadavg() -> tuple[float, float, float]:
    one, five, fifteen = Path("/proc/loadavg").read_text().split()[:3]
    return float(one), float(five), float(fifteen)


class Monitor(threading.Thread):
    """Samples worker RSS, server CPU time and the load average every ``interval`` seconds."""

    def __init__(self, server: Server, interval: float = 2.0) -> None:
        super().__init__(daemon=True)
        self.server, self.interval = server, interval
        self.max_rss: dict[int, float] = {}
        # CPU seconds per pid at its first and latest sample, by role (workers, indexer).
        self.cpu: dict[str, dict[int, list[float]]] = {"workers": {}, "indexer": {}}
        self.loads: list[float] = []
        self.stopped = threading.Event()

    def sample(self) -> None:
        pids = self.server.processes()
        for pid in pids["workers"]:
            rss = rss_mb(pid)
            if rss is not None:
                self.max_rss[pid] = max(rss, self.max_rss.get(pid, 0.0))
        for role, seen in self.cpu.items():
            for pid in pids[role]:
                cpu = cpu_seconds(pid)
                if cpu is not None:
                    seen.setdefault(pid, [cpu, cpu])[1] = cpu
        self.loads.append(loadavg()[0])

    def cpu_used(self, role: str) -> float:
        """CPU seconds the role's processes used between their first and latest sample."""
        return sum(last - first for first, last in self.cpu[role].values())

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            self.sample()


# -- the clients -----------------------------------------------------------------------------
@dataclass
class Written:
    """A question or answer posted during the run, with its unique marker word."""

    type: str
    id: int
    marker: str


@dataclass
class Shared:
    """What the clients share: the sample, the tokens and the posts written so far."""

    sample: Sample
    tokens: list[str]
    written: list[Written] = field(default_factory=list)
    new_questions: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass
class Result:
    """One request: kind, seconds, status (0: connection error) and what went wrong."""

    kind: str
    seconds: float
    status: int
    error: str = ""


class Client:
    """One connection per request (gunicorn's sync workers close every connection)."""

    def __init__(self, host: str, port: int, timeout: float = 60.0) -> None:
        self.host, self.port, self.timeout = host, port, timeout

    def request(
        self, method: str, path: str, body: dict | None = None, token: str | None = None
    ) -> tuple[int, bytes, float]:
        """(status, body, seconds); status 0 and the exception text on a connection error."""
        headers = {"Accept": "application/json" if path.startswith("/api/") else "text/html"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        started = time.perf_counter()
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            raw = response.read()
            return response.status, raw, time.perf_counter() - started
        except (OSError, http.client.HTTPException) as error:
            return 0, f"{type(error).__name__}: {error}".encode(), time.perf_counter() - started
        finally:
            conn.close()


def marker_text(rng: random.Random, sample: Sample, marker: str) -> str:
    """One or two real paragraphs and a sentence with the marker word."""
    paragraphs = rng.sample(sample.paragraphs, min(len(sample.paragraphs), rng.choice((1, 2))))
    return "\n\n".join([*paragraphs, f"Load test marker {marker} for the search check."])


def do_request(kind: str, client: Client, shared: Shared, rng: random.Random) -> Result:
    """Send one request of this kind; a write records what it wrote."""
    sample = shared.sample
    quote = urllib.parse.quote
    body, token, expect = None, None, None
    method, written = "GET", None
    if kind == "question page":
        fresh = shared.new_questions
        question = (
            rng.choice(fresh) if fresh and rng.random() < 0.15 else rng.choice(sample.questions)
        )
        path = f"/questions/{question}"
    elif kind == "home":
        path = "/" if rng.random() < 0.8 else f"/?page={rng.randint(2, 20)}"
    elif kind == "tag page":
        path = f"/tags/{quote(rng.choice(sample.tags), safe='')}"
    elif kind == "goal page":
        path = f"/goals/{rng.choice(sample.goals)}"
    elif kind == "profile":
        path = f"/users/{quote(rng.choice(sample.users), safe='')}"
    elif kind == "search page":
        path = f"/search?{urllib.parse.urlencode({'q': rng.choice(sample.queries)})}"
    elif kind == "search api":
        path = f"/api/v1/search?{urllib.parse.urlencode({'q': rng.choice(sample.queries)})}"
    elif kind == "answer":
        fresh = shared.new_questions
        question = (
            rng.choice(fresh) if fresh and rng.random() < 0.3 else rng.choice(sample.questions)
        )
        marker = marker_word()
        method, path, expect = "POST", f"/api/v1/questions/{question}/answers", 201
        body, written = {"body": marker_text(rng, sample, marker)}, ("answer", marker)
    elif kind == "vote":
        # Only posts of the generated users: nobody votes on their own post (403).
        target = (
            ("questions", sample.questions) if rng.random() < 0.5 else ("answers", sample.answers)
        )
        method, path, expect = "POST", f"/api/v1/{target[0]}/{rng.choice(target[1])}/votes", 200
        body = {"value": rng.choice((1, 1, 1, -1))}
    elif kind == "new question":
        marker = marker_word()
        method, path, expect = "POST", "/api/v1/questions", 201
        tags = sorted(set(rng.sample(sample.tags, min(len(sample.tags), rng.randint(1, 3)))))
        body = {
            "title": rng.choice(sample.titles),
            "tags": tags,
            "body": marker_text(rng, sample, marker),
        }
        written = ("question", marker)
    else:
        raise ValueError(kind)
    if method == "POST":
        token = rng.choice(shared.tokens)
    status, raw, seconds = client.request(method, path, body, token)
    if status == 0 or status >= 400 or (expect is not None and status != expect):
        return Result(kind, seconds, status, f"{method} {path} → {status}: {raw[:300]!r}")
    if written:
        post_id = json.loads(raw)["id"]
        with shared.lock:
            shared.written.append(Written(written[0], post_id, written[1]))
            if written[0] == "question":
                shared.new_questions.append(post_id)
    return Result(kind, seconds, status)


def run_clients(
    client: Client, shared: Shared, mix: dict[str, float], clients: int, duration: float, seed: int
) -> tuple[list[Result], float]:
    """``clients`` closed-loop threads (no think time) until ``duration`` passes."""
    kinds, weights = list(mix), list(mix.values())
    deadline = time.monotonic() + duration
    per_thread: list[list[Result]] = [[] for _ in range(clients)]

    def loop(n: int) -> None:
        rng = random.Random(seed * 1000 + n)
        results = per_thread[n]
        while time.monotonic() < deadline:
            kind = rng.choices(kinds, weights)[0]
            try:
                results.append(do_request(kind, client, shared, rng))
            except Exception as error:  # a client bug must show up as an error, not a hang
                results.append(Result(kind, 0.0, 0, f"client: {type(error).__name__}: {error}"))

    started = time.perf_counter()
    threads = [threading.Thread(target=loop, args=(n,), daemon=True) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [r for results in per_thread for r in results], time.perf_counter() - started


# -- verification and report -----------------------------------------------------------------
def verify(api: Api, written: list[Written], deadline_s: float, parallel: int = 4) -> dict:
    """Every written post readable through the API, then found by its marker in search."""

    def present(post: Written) -> str | None:
        status, body = api.call("GET", f"/api/v1/{post.type}s/{post.id}")
        if status != 200 or post.marker not in (body or {}).get("body", ""):
            return f"{post.type} {post.id}: GET → {status}"
        return None

    with ThreadPoolExecutor(parallel) as pool:
        absent = [p for p in pool.map(present, written) if p]

    def found(post: Written) -> bool:
        status, body = api.search(post.marker, per_page=10)
        return status == 200 and any(
            (item["type"], item["id"]) == (post.type, post.id) for item in body["items"]
        )

    started, pending = time.monotonic(), list(written)
    while pending:
        with ThreadPoolExecutor(parallel) as pool:
            pending = [p for p, ok in zip(pending, pool.map(found, pending), strict=True) if not ok]
        if not pending or time.monotonic() - started > deadline_s:
            break
        time.sleep(0.2)
    return {
        "written": len(written),
        "questions": sum(p.type == "question" for p in written),
        "answers": sum(p.type == "answer" for p in written),
        "present": len(written) - len(absent),
        "searchable": len(written) - len(pending),
        "all_searchable_after_s": None if pending else round(time.monotonic() - started, 2),
        "not_present": absent[:20],
        "not_searchable": [f"{p.type} {p.id} ({p.marker})" for p in pending[:20]],
    }


def stats(results: list[Result], elapsed: float) -> dict:
    ms = [r.seconds * 1000 for r in results if not r.error]
    errors = [r for r in results if r.error]
    row = {"requests": len(results), "rps": round(len(results) / elapsed, 2), "errors": len(errors)}
    if ms:
        row.update(
            {
                "p50_ms": round(percentile(ms, 50), 1),
                "p95_ms": round(percentile(ms, 95), 1),
                "p99_ms": round(percentile(ms, 99), 1),
                "max_ms": round(max(ms), 1),
            }
        )
    return row


def summarise(results: list[Result], elapsed: float) -> dict:
    groups = {kind: [r for r in results if r.kind == kind] for kind in MIX}
    table = {kind: stats(rows, elapsed) for kind, rows in groups.items() if rows}
    table["all reads"] = stats([r for r in results if r.kind in READS], elapsed)
    table["all writes"] = stats([r for r in results if r.kind in WRITES], elapsed)
    table["overall"] = stats(results, elapsed)
    return table


def print_table(table: dict) -> None:
    print(
        f"{'kind':<14} {'requests':>8} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'p99 ms':>8} {'max ms':>8} {'errors':>6}"
    )
    for kind, row in table.items():
        if kind in ("all reads", "overall"):
            print("-" * 74)
        print(
            f"{kind:<14} {row['requests']:>8} {row['rps']:>7.1f} {row.get('p50_ms', 0):>8.1f}"
            f" {row.get('p95_ms', 0):>8.1f} {row.get('p99_ms', 0):>8.1f}"
            f" {row.get('max_ms', 0):>8.1f} {row['errors']:>6}"
        )


def print_report(report: dict, log_path: Path) -> None:
    """The summary table and the lines under it."""
    print()
    print_table(report["kinds"])
    print(f"\nerrors: {report['errors']} {report['error_statuses'] or ''}")
    for error in report["error_samples"][:5]:
        print(f"  {error}")
    load = report["loadavg"]
    print(
        f"load average (1 min) before {load['before'][0]:.2f}, during "
        f"{load['during_1min_min']:.2f}–{load['during_1min_max']:.2f}, after "
        f"{load['after'][0]:.2f}"
    )
    print(
        f"CPU: web workers {report['server_cpu_s']['workers']} s "
        f"({report['worker_cpu_ms_per_request']} ms per request), indexer "
        f"{report['server_cpu_s']['indexer']} s, this client {report['client_cpu_s']} s"
    )
    rss = report["worker_rss_mb"]
    print(
        f"worker RSS MB at the end {sorted(rss['final'].values())}, max during {rss['max']}"
        f" (budget {rss['budget']}: {'met' if rss['within_budget'] else 'EXCEEDED'});"
        f" workers seen: {len(rss['max_during'])}; indexer {report['indexer_rss_mb']}"
    )
    v = report["verification"]
    print(
        f"written: {v['questions']} questions + {v['answers']} answers; present via API "
        f"{v['present']}/{v['written']}; searchable {v['searchable']}/{v['written']}"
        + (
            f" (all within {v['all_searchable_after_s']} s after the load)"
            if v["all_searchable_after_s"] is not None
            else ""
        )
    )
    print("setup: " + ", ".join(f"{k} {v}" for k, v in report["timings"].items()))
    if report["log_problems"]:
        print(f"server log: {report['log_problems']} (see {log_path})")


def log_problems(log: str) -> dict[str, int]:
    return {word: log.count(word) for word in LOG_PROBLEMS if word in log}


# -- main ------------------------------------------------------------------------------------
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--posts", type=int, default=150_000, help="corpus size when one is generated"
    )
    parser.add_argument(
        "--db", type=Path, help="SQLite file: reused when it exists, else generated there and kept"
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=None,
        help="Stack Exchange dumps for bench.generate (default: its own)",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        help="index, logs (and the database without --db); default: a "
        "temporary directory, removed afterwards",
    )
    parser.add_argument(
        "--reuse-index",
        action="store_true",
        help="skip `flask search reindex` when WORKDIR/search-index exists",
    )
    parser.add_argument("--duration", type=float, default=120.0, help="seconds of load")
    parser.add_argument(
        "--warmup", type=float, default=5.0, help="seconds of reads before, not counted"
    )
    parser.add_argument("--clients", type=int, default=12, help="concurrent clients")
    parser.add_argument("--users", type=int, default=20, help="accounts that write")
    parser.add_argument("--workers", type=int, default=3, help="WEB_CONCURRENCY")
    parser.add_argument(
        "--search-deadline",
        type=float,
        default=60.0,
        help="seconds after the load for every written post to be searchable",
    )
    parser.add_argument(
        "--mix",
        default="",
        help='override shares, e.g. "answer=0,vote=0,new question=0" (reads only)',
    )
    parser.add_argument(
        "--setup-only",
        action="store_true",
        help="only generate the database and build the index, then exit",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="also write the results here")
    return parser.parse_args(argv)


def server_env(db_path: Path, index_dir: Path, workers: int) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("FLASK_", "GUNICORN", "MAKE", "MFLAGS"))
    }
    env.update(
        {
            "FLASK_APP": "wsgi.py",
            "DATABASE_URL": f"sqlite:///{db_path}",
            "SEARCH_INDEX_DIR": str(index_dir),
            "SECRET_KEY": secrets.token_hex(32),
            "DEMO_DATA": "0",
            # A handful of clients post far more than the per-IP limits allow (SPEC §4: 0 only
            # for load tests).
            "RATELIMIT_ENABLED": "0",
            "SEARCH_INDEXER_THREAD": "0",
            "HOST": "127.0.0.1",
            "WEB_CONCURRENCY": str(workers),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # A TERM to this script must still stop the server (the finally blocks below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="journster-load-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        return run(args, workdir.resolve())
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)


def run(args: argparse.Namespace, workdir: Path) -> int:
    rng = random.Random(args.seed)
    db_path = (args.db or workdir / "bench.db").resolve()
    index_dir = workdir / "search-index"
    env = server_env(db_path, index_dir, args.workers)
    timings = {}

    started = time.perf_counter()
    if db_path.exists():
        print(f"reusing {db_path}")
    else:
        print(f"generating {args.posts:,} posts into {db_path} …")
        command = [
            sys.executable,
            "-m",
            "bench.generate",
            "--db",
            f"sqlite:///{db_path}",
            "--posts",
            str(args.posts),
            "--seed",
            str(args.seed),
        ]
        if args.data is not None:
            command += ["--data", str(args.data)]
        run_checked(command, env, "bench.generate", timeout=1800)
    timings["generate_s"] = round(time.perf_counter() - started, 1)

    started = time.perf_counter()
    run_checked([sys.executable, "-m", "flask", "db", "upgrade"], env, "flask db upgrade", 600)
    if args.reuse_index and index_dir.exists():
        print(f"reusing the index in {index_dir}")
    else:
        print("flask search reindex …")
        out = run_checked(
            [sys.executable, "-m", "flask", "search", "reindex"],
            env,
            "flask search reindex",
            timeout=3600,
        )
        print(out.strip().splitlines()[-1])
    timings["reindex_s"] = round(time.perf_counter() - started, 1)
    if args.setup_only:
        print(
            f"set up in {timings}; run again with --db {db_path} --workdir {workdir} --reuse-index"
        )
        return 0

    sample = sample_corpus(db_path, rng)
    mix = dict(MIX)
    for item in filter(None, args.mix.split(",")):
        kind, _, share = item.partition("=")
        if kind.strip() not in MIX:
            raise SystemExit(f"--mix: unknown kind {kind!r}; kinds: {', '.join(MIX)}")
        mix[kind.strip()] = float(share)
    mix = {
        kind: share
        for kind, share in mix.items()
        if share > 0 and not (kind == "goal page" and not sample.goals)
    }

    server = Server(env, workdir / "serve.log", args.workers)
    monitor = Monitor(server)
    try:
        started = time.perf_counter()
        server.start()
        timings["serve_ready_s"] = round(time.perf_counter() - started, 1)
        print(
            f"make serve: {server.base_url}, {args.workers} workers "
            f"(pids {server.processes()['workers']})"
        )
        api = Api(server.base_url, timeout=60)
        run_id, started = secrets.token_hex(3), time.perf_counter()
        with ThreadPoolExecutor(4) as pool:
            tokens = list(
                pool.map(
                    lambda n: api.create_user(f"load{run_id}u{n}", PASSWORD), range(args.users)
                )
            )
        timings["users_s"] = round(time.perf_counter() - started, 1)
        shared = Shared(sample, tokens)
        client = Client("127.0.0.1", int(env["PORT"]))

        reads_only = {kind: share for kind, share in mix.items() if kind in READS}
        warmup, _ = run_clients(
            client, shared, reads_only, args.clients, args.warmup, args.seed + 1
        )
        monitor.sample()
        monitor.start()
        load_before = loadavg()
        print(
            f"load: {args.clients} clients for {args.duration:.0f} s; load average before "
            f"{load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}"
        )
        load_started_at = datetime.now(UTC).isoformat(timespec="seconds")
        cpu_before = resource.getrusage(resource.RUSAGE_SELF)
        results, elapsed = run_clients(client, shared, mix, args.clients, args.duration, args.seed)
        cpu_after = resource.getrusage(resource.RUSAGE_SELF)
        monitor.stopped.set()
        monitor.join()
        monitor.sample()
        load_after = loadavg()
        pids = server.processes()
        final_rss = {pid: rss_mb(pid) for pid in pids["workers"]}
        indexer_rss = [rss_mb(pid) for pid in pids["indexer"]]

        print(f"verifying {len(shared.written)} written posts …")
        verification = verify(api, shared.written, args.search_deadline)
        problems = log_problems(server.log())
    finally:
        monitor.stopped.set()
        server.stop()

    table = summarise(results, elapsed)
    errors = [r.error for r in results if r.error]
    status_counts: dict[str, int] = {}
    for r in results:
        if r.error:
            status_counts[str(r.status)] = status_counts.get(str(r.status), 0) + 1
    worker_max = max(monitor.max_rss.values(), default=0.0)
    report = {
        "load_started_at": load_started_at,
        "config": {
            "posts": args.posts if not args.db else None,
            "db": str(db_path),
            "duration_s": args.duration,
            "elapsed_s": round(elapsed, 2),
            "clients": args.clients,
            "users": args.users,
            "workers": args.workers,
            "mix_percent": mix,
            "seed": args.seed,
        },
        "timings": timings,
        "loadavg": {
            "before": load_before,
            "after": load_after,
            "during_1min_min": min(monitor.loads, default=None),
            "during_1min_max": max(monitor.loads, default=None),
        },
        "server_cpu_s": {
            "workers": round(monitor.cpu_used("workers"), 1),
            "indexer": round(monitor.cpu_used("indexer"), 1),
        },
        "worker_cpu_ms_per_request": round(
            1000 * monitor.cpu_used("workers") / max(1, len(results)), 1
        ),
        "client_cpu_s": round(
            cpu_after.ru_utime + cpu_after.ru_stime - cpu_before.ru_utime - cpu_before.ru_stime, 1
        ),
        "kinds": table,
        "errors": len(errors),
        "error_statuses": status_counts,
        "error_samples": errors[:20],
        "warmup": {
            "requests": len(warmup),
            "errors": sum(1 for r in warmup if r.error),
            "error_samples": [r.error for r in warmup if r.error][:5],
        },
        "worker_rss_mb": {
            "final": {str(pid): round(mb, 1) for pid, mb in final_rss.items() if mb},
            "max_during": {str(pid): round(mb, 1) for pid, mb in monitor.max_rss.items()},
            "max": round(worker_max, 1),
            "budget": WORKER_RSS_BUDGET_MB,
            "within_budget": worker_max <= WORKER_RSS_BUDGET_MB,
        },
        "indexer_rss_mb": [round(mb, 1) for mb in indexer_rss if mb],
        "verification": verification,
        "log_problems": problems,
    }
    report["ok"] = (
        not errors
        and not report["warmup"]["errors"]
        and not problems
        and verification["present"] == verification["written"]
        and verification["searchable"] == verification["written"]
    )

    print_report(report, server.log_path)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    print("OK" if report["ok"] else "FAILED")
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())

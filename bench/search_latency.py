"""Time until searchable: how long after a POST returns until search finds the post.

    .venv/bin/python -m bench.search_latency [--posts 200] [--rate 5] [--db URL]

It runs the production shape: `flask db upgrade` on a fresh database (a temporary SQLite
file, or a new database created on the PostgreSQL server named by ``--db``, dropped
afterwards), gunicorn with gunicorn.conf.py and WEB_CONCURRENCY=3, and one
`flask search worker`. Questions are posted one at a time (at most ``--rate`` per second),
each with a unique marker word in its body; after each POST returns, GET /api/v1/search?q=<marker>
is polled every ``--poll`` seconds until the question is found. It prints p50/p95/max of
(found − POST response) and of (found − POST sent).

``Stack`` (the servers) and ``Api`` (a small stdlib HTTP client) are also used by
tests/test_search_gunicorn.py.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.config import normalise_database_url

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def marker_word(prefix: str = "") -> str:
    """A word no text contains, stable under the stemmer: 'zq' + letters + 'x'."""
    letters = "".join(chr(ord("a") + b % 26) for b in secrets.token_bytes(10))
    return f"zq{prefix}{letters}x"


class Api:
    """JSON over urllib: every call returns (status, body); HTTP errors are not raised."""

    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        self.base_url = base_url
        self.timeout = timeout

    def call(
        self,
        method: str,
        path: str,
        body: dict | None = None,
        *,
        token: str | None = None,
        basic: tuple[str, str] | None = None,
    ) -> tuple[int, dict | None]:
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if basic:
            pair = base64.b64encode(f"{basic[0]}:{basic[1]}".encode()).decode()
            headers["Authorization"] = f"Basic {pair}"
        request = urllib.request.Request(  # noqa: S310  (our own http:// base URL)
            self.base_url + path, data=data, headers=headers, method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, {"raw": raw[:500].decode(errors="replace")}

    def create_user(self, username: str, password: str) -> str:
        """Register through the API and return a bearer token."""
        status, body = self.call(
            "POST",
            "/api/v1/users",
            {"username": username, "email": f"{username}@example.org", "password": password},
        )
        if status != 201:
            raise RuntimeError(f"POST /api/v1/users → {status}: {body}")
        status, body = self.call("POST", "/api/v1/tokens", basic=(username, password))
        if status != 201:
            raise RuntimeError(f"POST /api/v1/tokens → {status}: {body}")
        return body["token"]

    def search(self, q: str, **params) -> tuple[int, dict | None]:
        query = urllib.parse.urlencode({"q": q, **params})
        return self.call("GET", f"/api/v1/search?{query}")


@dataclass
class Stack:
    """gunicorn (gunicorn.conf.py) + one `flask search worker` on a database, in a work dir.

    Every child runs in its own session (process group); stop() ends the groups, TERM first
    and KILL after a grace period. Use it as a context manager.
    """

    database_url: str
    workdir: Path
    workers: int = 3
    env_extra: dict[str, str] = field(default_factory=dict)
    port: int = 0
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "GUNICORN"))}
        env.update(
            {
                "FLASK_APP": "wsgi.py",
                "DATABASE_URL": self.database_url,
                "SEARCH_INDEX_DIR": str(self.workdir / "search-index"),
                "SECRET_KEY": "search-latency-" + uuid.uuid4().hex,
                "DEMO_DATA": "0",
                # One client posts far more than RATELIMIT_POSTING (30/minute per IP) allows.
                "RATELIMIT_ENABLED": "0",
                # Exactly one indexer, the `flask search worker` below (as `make serve` runs it).
                "SEARCH_INDEXER_THREAD": "0",
                "HOST": "127.0.0.1",
                "PORT": str(self.port),
                "WEB_CONCURRENCY": str(self.workers),
                "PYTHONUNBUFFERED": "1",
                **self.env_extra,
            }
        )
        return env

    def log_path(self, name: str) -> Path:
        return self.workdir / f"{name}.log"

    def log(self, name: str) -> str:
        path = self.log_path(name)
        return path.read_text(errors="replace") if path.exists() else ""

    def flask(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run(  # noqa: S603  (fixed argv: this Python, our CLI)
            [sys.executable, "-m", "flask", *args],
            cwd=PROJECT_ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def _spawn(self, name: str, argv: list[str]) -> None:
        with self.log_path(name).open("ab") as out:
            self.procs[name] = subprocess.Popen(  # noqa: S603  (argv built in this module)
                argv,
                cwd=PROJECT_ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def start(self, ready_timeout: float = 30.0) -> Stack:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = self.port or free_port()
        migrated = self.flask("db", "upgrade")
        if migrated.returncode != 0:
            raise RuntimeError(f"flask db upgrade failed:\n{migrated.stdout}\n{migrated.stderr}")
        self._spawn("indexer", [sys.executable, "-m", "flask", "search", "worker"])
        for attempt in range(3):
            self._spawn(
                "gunicorn",
                [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "wsgi:app"],
            )
            try:
                self.wait_ready(ready_timeout)
                return self
            except RuntimeError:
                # free_port() cannot reserve the port: someone may have taken it meanwhile.
                if attempt == 2 or "already in use" not in self.log("gunicorn"):
                    raise
                self.procs.pop("gunicorn").wait()
                self.log_path("gunicorn").unlink()
                self.port = free_port()
        return self

    def wait_ready(self, timeout: float) -> None:
        """Until every web worker has booted and the app answers (and nothing died)."""
        api, deadline = Api(self.base_url, timeout=2), time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited with {proc.returncode}:\n{self.log(name)}")
            booted = self.log("gunicorn").count("Booting worker")
            try:
                status, _ = api.call("GET", "/api/v1/openapi.json")
            except OSError:
                status = 0
            if status == 200 and booted >= self.workers:
                return
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn not ready after {timeout} s:\n{self.log('gunicorn')}")

    def stop(self, grace: float = 10.0) -> None:
        for proc in self.procs.values():
            _signal_group(proc, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for proc in self.procs.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(max(0.1, deadline - time.monotonic()))
            if proc.poll() is None:
                _signal_group(proc, signal.SIGKILL)
                proc.wait()

    def __enter__(self) -> Stack:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *_exc) -> None:
        self.stop()


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    if proc.poll() is None:  # never signal a reaped pid: it may belong to someone else now
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)


# -- PostgreSQL scratch databases (the benchmark's --db) ---------------------------------
def create_scratch_pg(server_url: str) -> str:
    admin = make_url(normalise_database_url(server_url))
    name = f"search_latency_{uuid.uuid4().hex[:10]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return admin.set(database=name).render_as_string(hide_password=False)


def drop_scratch_pg(server_url: str, url: str) -> None:
    name = make_url(url).database
    engine = create_engine(
        make_url(normalise_database_url(server_url)), isolation_level="AUTOCOMMIT"
    )
    with engine.connect() as conn:
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"
            ),
            {"name": name},
        )
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    engine.dispose()


# -- the measurement -----------------------------------------------------------------------
def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))]


def measure(
    api: Api, token: str, posts: int, rate: float, poll: float, give_up: float
) -> tuple[list[float], list[float], list[float]]:
    """(found − response, found − sent, POST duration) per post, in seconds."""
    after_response, after_sent, post_times = [], [], []
    interval = 1.0 / rate
    for n in range(posts):
        started = time.monotonic()
        marker = marker_word()
        sent = time.monotonic()
        status, body = api.call(
            "POST",
            "/api/v1/questions",
            {
                "title": f"Search latency probe number {n}",
                "body": f"How soon is {marker} searchable after posting?",
                "tags": ["bench"],
            },
            token=token,
        )
        responded = time.monotonic()
        if status != 201:
            raise RuntimeError(f"POST /api/v1/questions → {status}: {body}")
        while True:
            status, found = api.search(marker)
            now = time.monotonic()
            if status != 200:
                raise RuntimeError(f"GET /api/v1/search → {status}: {found}")
            if any(item["id"] == body["id"] for item in found["items"]):
                break
            if now - responded > give_up:
                raise RuntimeError(f"question {body['id']} not found after {give_up} s")
            time.sleep(poll)
        after_response.append(now - responded)
        after_sent.append(now - sent)
        post_times.append(responded - sent)
        time.sleep(max(0.0, interval - (time.monotonic() - started)))
    return after_response, after_sent, post_times


def summary(label: str, values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return (
        f"{label:<28} p50 {statistics.median(ms):7.1f} ms   p95 {percentile(ms, 95):7.1f} ms"
        f"   max {max(ms):7.1f} ms"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=200)
    parser.add_argument("--rate", type=float, default=5.0, help="posts per second at most")
    parser.add_argument("--poll", type=float, default=0.02, help="search poll interval, s")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument(
        "--db",
        help="PostgreSQL server URL: a scratch database is made on it "
        "(default: a temporary SQLite file)",
    )
    parser.add_argument(
        "--give-up",
        type=float,
        default=30.0,
        help="fail when one post is not found after this many seconds",
    )
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="search-latency-") as tmp:
        workdir = Path(tmp)
        url = create_scratch_pg(args.db) if args.db else f"sqlite:///{workdir / 'bench.db'}"
        try:
            with Stack(url, workdir, workers=args.workers) as stack:
                api = Api(stack.base_url)
                token = api.create_user(f"bench{uuid.uuid4().hex[:8]}", "bench-password-123")
                backend = make_url(normalise_database_url(url)).get_backend_name()
                print(
                    f"{args.posts} questions, one at a time (≤ {args.rate}/s), search polled "
                    f"every {args.poll * 1000:.0f} ms; gunicorn {args.workers} workers + 1 "
                    f"indexer; {backend}"
                )
                after_response, after_sent, post_times = measure(
                    api, token, args.posts, args.rate, args.poll, args.give_up
                )
                failures = [
                    line for line in stack.log("indexer").splitlines() if "round failed" in line
                ]
        finally:
            if args.db:
                drop_scratch_pg(args.db, url)
    print(summary("found − POST response", after_response))
    print(summary("found − POST sent", after_sent))
    print(summary("POST /api/v1/questions", post_times))
    if failures:
        print(f"indexer rounds failed: {len(failures)}")
    p95 = percentile(after_response, 95)
    print(f"target p95 ≤ 1000 ms: {'met' if p95 <= 1.0 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

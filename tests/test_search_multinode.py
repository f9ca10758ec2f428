"""Two app nodes (`make serve` each, own SEARCH_INDEX_DIR) on one PostgreSQL, search shared.

Node A and node B are separate `make serve` stacks (gunicorn + their own `flask search worker`)
on free ports, with rate limits in Redis and SEARCH_BACKEND=postgres (one index shared by
both: the README's setup for several machines). A post made through one node is found through
the other within 2 s; a goal closed through one node is never served by the other's search,
similar threads or pages from the moment the closing request returns; and a seeded random
sequence of posts, edits, closings and reopenings on both nodes is checked after every step
against what the rules allow. Skipped when PostgreSQL or Redis does not answer.
"""

import contextlib
import itertools
import json
import os
import random
import signal
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis
from sqlalchemy import create_engine, text

from bench.search_latency import Api, free_port, marker_word
from tests.conftest import PROJECT_ROOT, create_pg_database, drop_pg_database, pg_admin_url

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

FOUND_WITHIN = 2.0  # seconds: a public post is searchable on every node by then
REDIS_URL = "redis://127.0.0.1:6379"
PASSWORD = "a long enough password"
STEPS = 18
SEED = 8


def _postgres_answers() -> bool:
    if not pg_admin_url():
        return False
    engine = create_engine(pg_admin_url())
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
    finally:
        engine.dispose()


def _redis_answers() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping())
    except Exception:
        return False


_clients = itertools.count(1)


class ClientApi(Api):
    """The bench client, seen by the nodes as coming from one (proxied) client address."""

    def __init__(self, base_url: str, client: str) -> None:
        super().__init__(base_url, timeout=20)
        self.client = client

    def call(self, method, path, body=None, *, token=None, basic=None):
        if basic:  # only the sign-up helper uses it
            return super().call(method, path, body, token=token, basic=basic)
        headers = {"Accept": "application/json", "X-Forwarded-For": self.client}
        data = None
        if body is not None:
            data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
        if token:
            headers["Authorization"] = f"Bearer {token}"
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
            return status, {"raw": raw[:200].decode(errors="replace")}


@dataclass
class Node:
    """One `make serve` stack in its own process group."""

    name: str
    database_url: str
    workdir: Path
    prefix: str
    port: int = 0
    proc: subprocess.Popen | None = None

    @property
    def api(self) -> Api:
        """The writing client: one address for the whole test (posting limits shared)."""
        return ClientApi(f"http://127.0.0.1:{self.port}", "10.0.0.1")

    def reader(self) -> Api:
        """A reading client from a new address: the checks read far more than 120/minute
        (the search limit, counted in Redis across both nodes)."""
        n = next(_clients)
        return ClientApi(f"http://127.0.0.1:{self.port}", f"10.1.{n // 250}.{n % 250 + 1}")

    def start(self, timeout: float = 90.0) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "GUNICORN"))}
        env.update(
            {
                "DATABASE_URL": self.database_url,
                "SEARCH_BACKEND": "postgres",
                "SEARCH_INDEX_DIR": str(self.workdir / "search-index"),
                "SECRET_KEY": "multinode-" + self.prefix,
                "DEMO_DATA": "0",
                "RATELIMIT_STORAGE_URI": REDIS_URL,
                "RATELIMIT_KEY_PREFIX": self.prefix,
                "HOST": "127.0.0.1",
                "PORT": str(self.port),
                "WEB_CONCURRENCY": "2",
                "PYTHONUNBUFFERED": "1",
                "TRUSTED_PROXY_COUNT": "1",
            }
        )
        with (self.workdir / "serve.log").open("ab") as log:
            self.proc = subprocess.Popen(
                ["make", "serve"],
                cwd=PROJECT_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"node {self.name} exited:\n{self.log()}")
            with contextlib.suppress(OSError):
                if Api(self.api.base_url, timeout=2).call("GET", "/api/v1/openapi.json")[0] == 200:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"node {self.name} not ready:\n{self.log()}")

    def log(self) -> str:
        path = self.workdir / "serve.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


@pytest.fixture
def nodes(tmp_path):
    if not _postgres_answers():
        pytest.skip("no PostgreSQL answers (TEST_DATABASE_URL)")
    if not _redis_answers():
        pytest.skip(f"no Redis answers on {REDIS_URL}")
    url = create_pg_database("journster_multinode")
    prefix = "multinode-" + uuid.uuid4().hex[:8]
    made = [Node(name, url, tmp_path / name.lower(), prefix) for name in ("A", "B")]
    try:
        for node in made:  # one after the other: both run `flask db upgrade` first
            node.start()
        yield made
    finally:
        for node in made:
            node.stop()
        drop_pg_database(url)
        with contextlib.suppress(Exception):
            client = redis.Redis.from_url(REDIS_URL)
            for key in client.scan_iter(f"{prefix}*"):
                client.delete(key)


@dataclass
class World:
    """What the rules allow an anonymous reader to see, tracked beside the real site."""

    goal_id: int = 0
    goal_open: bool = True
    # question id -> [current marker, goal id or None, posted while the goal was closed]
    questions: dict[int, list] = field(default_factory=dict)
    stale: set[str] = field(default_factory=set)  # markers replaced by an edit

    def visible(self, question_id: int) -> bool:
        _marker, goal_id, private_phase = self.questions[question_id]
        return goal_id is None or (self.goal_open and not private_phase)


def ok(response, *expected):
    status, body = response
    assert status in (expected or (200,)), f"{status}: {body}"
    return body


def search_ids(api: Api, word: str) -> set[int]:
    body = ok(api.search(word, per_page=20))
    return {item["id"] for item in body["items"] if item["type"] == "question"}


def similar_ids(api: Api, title: str) -> set[int]:
    query = urllib.parse.urlencode({"text": title, "limit": 20})
    body = ok(api.call("GET", f"/api/v1/similar?{query}"))
    return {item["id"] for item in body["items"]}


def check(nodes: list[Node], world: World, title_words: str) -> None:
    """What each node serves equals what the rules allow (new public posts: within 2 s)."""
    hidden = {q for q in world.questions if not world.visible(q)}
    for node in nodes:
        api = node.reader()
        # Private: never, not even for a moment, on any surface.
        for question_id in hidden:
            marker = world.questions[question_id][0]
            assert question_id not in search_ids(api, marker), (node.name, question_id)
            assert api.call("GET", f"/api/v1/questions/{question_id}")[0] == 404
            assert api.call("GET", f"/questions/{question_id}")[0] == 404
        assert not hidden & similar_ids(api, title_words), node.name
        # Public: found by its current words within 2 s, and no longer by replaced ones.
        deadline = time.monotonic() + FOUND_WITHIN
        pending = {q for q in world.questions if q not in hidden}
        while pending:
            pending = {q for q in pending if q not in search_ids(api, world.questions[q][0])}
            if pending and time.monotonic() > deadline:
                raise AssertionError(f"node {node.name}: {pending} not found within 2 s")
            if pending:
                time.sleep(0.1)
        for question_id in world.questions:
            if world.visible(question_id):
                assert api.call("GET", f"/api/v1/questions/{question_id}")[0] == 200
        deadline = time.monotonic() + FOUND_WITHIN
        while any(search_ids(api, marker) for marker in world.stale):
            assert time.monotonic() < deadline, f"node {node.name}: an edited post is stale"
            time.sleep(0.1)


def test_two_nodes_share_search_and_never_serve_a_closed_goal(nodes):
    a, b = nodes
    owner = a.api.create_user("owner", PASSWORD)
    mentor = b.api.create_user("mentor", PASSWORD)
    asker = a.api.create_user("asker", PASSWORD)
    world = World()
    title_words = "Glassblowing kiln temperature"
    goal = ok(
        a.api.call(
            "POST",
            "/api/v1/goals",
            {
                "title": "Learn glassblowing this year",
                "description": "Kiln practice every week.",
                "tags": ["glass"],
            },
            token=owner,
        ),
        201,
    )
    world.goal_id = goal["id"]

    def post(node: Node, token: str, under_goal: bool) -> None:
        marker = marker_word()
        body = {
            "title": f"{title_words} question {len(world.questions) + 1}",
            "body": f"How hot for {marker}?",
            "tags": ["glass"],
        }
        if under_goal:
            body["goal_id"] = world.goal_id
        created = ok(node.api.call("POST", "/api/v1/questions", body, token=token), 201)
        world.questions[created["id"]] = [
            marker,
            world.goal_id if under_goal else None,
            under_goal and not world.goal_open,
        ]

    def edit(node: Node) -> None:
        # A goal's public-phase posts are frozen while it is in a closed mentorship.
        question_id = rng.choice(
            sorted(
                q
                for q, (_m, goal_id, private) in world.questions.items()
                if goal_id is None or world.goal_open or private
            )
        )
        marker = marker_word()
        token = owner if world.questions[question_id][1] else asker
        ok(
            node.api.call(
                "PATCH",
                f"/api/v1/questions/{question_id}",
                {"body": f"Edited: how hot for {marker}?"},
                token=token,
            )
        )
        world.stale.add(world.questions[question_id][0])
        world.questions[question_id][0] = marker

    def close(node: Node, other: Node) -> None:
        invite = ok(
            node.api.call(
                "POST",
                f"/api/v1/goals/{world.goal_id}/mentorship-requests",
                {"mentor": "mentor", "message": "Please?"},
                token=owner,
            ),
            201,
        )
        ok(
            other.api.call(
                "POST", f"/api/v1/mentorship-requests/{invite['id']}/accept", token=mentor
            )
        )
        world.goal_open = False  # from the moment the accept returns

    def reopen(node: Node) -> None:
        ok(node.api.call("POST", f"/api/v1/goals/{world.goal_id}/reopen", token=owner))
        world.goal_open = True

    # A post made through node A is found through node B within 2 s.
    post(a, owner, under_goal=True)
    started = time.monotonic()
    marker = next(iter(world.questions.values()))[0]
    while not search_ids(b.reader(), marker):
        assert time.monotonic() - started < FOUND_WITHIN, b.log()
        time.sleep(0.05)
    post(b, asker, under_goal=False)
    check(nodes, world, title_words)

    # The goal closes through node A (accepted there): node B never serves it afterwards.
    close(b, a)
    check([b, a], world, title_words)
    reopen(a)
    check(nodes, world, title_words)

    rng = random.Random(SEED)
    for step in range(STEPS):
        node, other = rng.sample(nodes, 2)
        action = rng.choice(["post goal", "post free", "edit", "edit", "toggle"])
        if action == "post goal":
            post(node, owner, under_goal=True)
        elif action == "post free":
            post(node, asker, under_goal=False)
        elif action == "edit":
            edit(node)
        elif world.goal_open:
            close(node, other)
        else:
            reopen(node)
        try:
            check([other, node], world, title_words)
        except AssertionError as error:
            raise AssertionError(
                f"step {step} ({action} on {node.name}): {error}\nA:\n{a.log()}\nB:\n{b.log()}"
            ) from error

"""The real production shape under concurrent writes: gunicorn (3 workers) + one indexer.

Six client threads post questions, answers and edits at once through the JSON API; every
request must succeed, every post must then become findable through GET /api/v1/search on the
gunicorn server within a bounded time (exactly once; an edited post by its new word only), and
`flask search check --no-repair` must report no drift. Runs on SQLite, and on PostgreSQL when
TEST_DATABASE_URL is set. The servers are started and stopped by bench.search_latency.Stack
(own process groups, always killed).
"""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest

from bench.search_latency import Api, Stack, marker_word
from tests.conftest import drop_pg_database, new_database_url

pytestmark = [pytest.mark.slow, pytest.mark.timeout(150)]

USERS = 3
THREADS = 6
QUESTIONS_PER_THREAD = 10
ANSWER_AFTER = {2, 5, 8}  # after posting question i, answer question i - 1
SEARCHABLE_WITHIN = 20.0  # seconds after the last write
PASSWORD = "a long enough password"


@dataclass
class Expected:
    live: dict[str, tuple[str, int]] = field(default_factory=dict)  # marker → (type, id)
    stale: dict[str, tuple[str, int]] = field(default_factory=dict)  # replaced by an edit
    failures: list[str] = field(default_factory=list)
    requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, what: str, status: int, body, ok: tuple[int, ...]) -> bool:
        with self.lock:
            self.requests += 1
            if status not in ok:
                self.failures.append(f"{what} → {status}: {body}")
                return False
            return True


@pytest.fixture
def stack(backend, tmp_path):
    url = new_database_url(backend, tmp_path, "search_gunicorn")
    stack = Stack(url, tmp_path / "stack", workers=3)
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()
        if backend == "postgresql":
            drop_pg_database(url)


def writer(
    api: Api,
    asker: str,
    answerer: str,
    thread_no: int,
    start: threading.Barrier,
    expected: Expected,
) -> None:
    """One client: 10 questions, 3 answers (by another user), one question and one answer edit."""
    questions: list[tuple[int, str]] = []
    answers: list[tuple[int, str]] = []
    start.wait()
    for i in range(QUESTIONS_PER_THREAD):
        marker = marker_word()
        status, body = api.call(
            "POST",
            "/api/v1/questions",
            {
                "title": f"Concurrent indexing question {thread_no}-{i}",
                "body": f"Does the index keep {marker} when six clients write at once?",
                "tags": ["concurrency", f"thread{thread_no}"],
            },
            token=asker,
        )
        if expected.record(f"POST question {thread_no}-{i}", status, body, (201,)):
            questions.append((body["id"], marker))
            with expected.lock:
                expected.live[marker] = ("question", body["id"])
        if i in ANSWER_AFTER and len(questions) >= 2:
            question_id = questions[-2][0]
            marker = marker_word()
            status, body = api.call(
                "POST",
                f"/api/v1/questions/{question_id}/answers",
                {"body": f"Answer from thread {thread_no}: try {marker} and measure it."},
                token=answerer,
            )
            if expected.record(f"POST answer on {question_id}", status, body, (201,)):
                answers.append((body["id"], marker))
                with expected.lock:
                    expected.live[marker] = ("answer", body["id"])
        if i == 4 and questions:
            edit(api, asker, "question", *questions[0], expected, thread_no)
    if answers:
        edit(api, answerer, "answer", *answers[0], expected, thread_no)


def edit(
    api: Api, token: str, kind: str, post_id: int, old: str, expected: Expected, thread_no: int
) -> None:
    new = marker_word()
    path = f"/api/v1/{kind}s/{post_id}"
    text = (
        f"Does the index keep {new} when six clients write at once?"
        if kind == "question"
        else f"Edited answer from thread {thread_no}: try {new} instead."
    )
    status, body = api.call("PATCH", path, {"body": text}, token=token)
    if expected.record(f"PATCH {path}", status, body, (200,)):
        with expected.lock:
            expected.stale[old] = expected.live.pop(old)
            expected.live[new] = (kind, post_id)


def search_result(stack: Stack, api: Api, marker: str) -> tuple[int, list[tuple[str, int]]]:
    status, body = api.search(marker, per_page=10)
    assert status == 200, (
        f"GET /api/v1/search?q={marker} → {status}: {body}\n"
        f"gunicorn log:\n{errors_in(stack.log('gunicorn'))}"
    )
    return body["total"], [(item["type"], item["id"]) for item in body["items"]]


def errors_in(log: str, limit: int = 6000) -> str:
    """The log without access-log lines (tracebacks and warnings), last ``limit`` chars."""
    lines = [
        line
        for line in log.splitlines()
        if '"GET /' not in line and '"POST /' not in line and '"PATCH /' not in line
    ]
    return "\n".join(lines)[-limit:]


def test_concurrent_writes_become_searchable_under_gunicorn(stack):
    api = Api(stack.base_url)
    tokens = [api.create_user(f"writer{n}", PASSWORD) for n in range(USERS)]
    expected = Expected()
    start = threading.Barrier(THREADS)
    with ThreadPoolExecutor(THREADS) as pool:
        futures = [
            pool.submit(writer, api, tokens[t % USERS], tokens[(t + 1) % USERS], t, start, expected)
            for t in range(THREADS)
        ]
        for future in futures:
            future.result()
    written = time.monotonic()
    assert not expected.failures, "\n".join(expected.failures)
    assert expected.requests == THREADS * (QUESTIONS_PER_THREAD + len(ANSWER_AFTER) + 2)
    assert len(expected.live) == THREADS * (QUESTIONS_PER_THREAD + len(ANSWER_AFTER))
    assert len(expected.stale) == THREADS * 2

    # Bounded wait until every live marker finds its post and no stale marker finds anything.
    pending = {
        **{m: [post] for m, post in expected.live.items()},
        **{m: [] for m in expected.stale},
    }
    while pending and time.monotonic() - written < SEARCHABLE_WITHIN:
        for marker, want in list(pending.items()):
            if search_result(stack, api, marker) == (len(want), want):
                del pending[marker]
        time.sleep(0.1)
    waited = time.monotonic() - written
    assert not pending, (
        f"{len(pending)} markers not (or still) searchable {SEARCHABLE_WITHIN} s after the "
        f"last write, e.g. {list(pending.items())[:5]}\nindexer log:\n"
        f"{stack.log('indexer')[-3000:]}"
    )

    # Every gunicorn worker answers the same: ask twice more per marker (requests spread out).
    for _ in range(2):
        for marker, post in expected.live.items():
            assert search_result(stack, api, marker) == (1, [post]), marker
        for marker in expected.stale:
            assert search_result(stack, api, marker) == (0, []), f"old word {marker} still found"

    check = stack.flask("search", "check", "--no-repair")
    assert check.returncode == 0, check.stderr
    assert "Drift: 0 missing from the index, 0 extra in it." in check.stdout, check.stdout

    for name in ("gunicorn", "indexer"):
        log = stack.log(name)
        for bad in ("Traceback", "database is locked", "LockError", "round failed"):
            assert bad not in log, f"{bad!r} in the {name} log:\n{errors_in(log)}"
    assert waited < SEARCHABLE_WITHIN

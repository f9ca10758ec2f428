"""Rate limits hold on the `make serve` shape: 3 real gunicorn workers, no Redis (SPEC §3.1).

With per-process memory counters each worker counted alone (60 rapid posts against 30/minute:
all 60 succeeded here, with RATELIMIT_STORAGE_URI=memory://). The default storage is a SQLite
file that all workers share (app/ratelimit_storage.py), so exactly the documented number
succeeds.
Clients are told apart by X-Forwarded-For (TRUSTED_PROXY_COUNT=1), one address per phase.
"""

import base64
import json
import socket
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from bench.search_latency import Stack
from tests.conftest import drop_pg_database, new_database_url

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

PASSWORD = "a long enough password"
PORTS = range(9500, 9600)  # this test's own port range on shared machines


def free_port() -> int:
    for port in PORTS:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 9500-9599")


class Client:
    """JSON calls from one client address (X-Forwarded-For), returning (status, body)."""

    def __init__(self, base_url: str, address: str) -> None:
        self.base_url, self.address = base_url, address

    def call(self, method: str, path: str, body=None, *, token=None, basic=None):
        headers = {"Accept": "application/json", "X-Forwarded-For": self.address}
        data = json.dumps(body).encode() if body is not None else None
        if data is not None:
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if basic:
            headers["Authorization"] = (
                "Basic " + base64.b64encode(":".join(basic).encode()).decode()
            )
        request = urllib.request.Request(  # noqa: S310  (our own http:// server)
            self.base_url + path, data=data, headers=headers, method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                return response.status, json.loads(response.read() or b"null"), response.headers
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null"), error.headers

    def user(self, name: str) -> str:
        status, body, _ = self.call(
            "POST",
            "/api/v1/users",
            {"username": name, "email": f"{name}@example.org", "password": PASSWORD},
        )
        assert status == 201, body
        status, body, _ = self.call("POST", "/api/v1/tokens", basic=(name, PASSWORD))
        assert status == 201, body
        return body["token"]


@pytest.fixture
def stack(backend, tmp_path):
    url = new_database_url(backend, tmp_path, "ratelimit_workers")
    stack = Stack(
        url,
        tmp_path / "stack",
        workers=3,
        port=free_port(),
        env_extra={
            "RATELIMIT_ENABLED": "1",
            # What the factory defaults to (instance/ratelimits.db), in this test's own folder.
            "RATELIMIT_STORAGE_URI": f"sqlite:///{tmp_path / 'ratelimits.db'}",
            "TRUSTED_PROXY_COUNT": "1",
        },
    )
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()
        if backend == "postgresql":
            drop_pg_database(url)


def burst(calls: int, send) -> list[tuple[int, object]]:
    """Send ``calls`` requests from 6 threads at once (spread over the workers)."""
    with ThreadPoolExecutor(max_workers=6) as pool:
        return list(pool.map(send, range(calls)))


def test_limits_hold_across_three_gunicorn_workers(stack):
    setup = Client(stack.base_url, "10.9.0.1")
    owner, mentor, asker = setup.user("owner"), setup.user("mentor"), setup.user("asker")
    status, goal, _ = setup.call(
        "POST",
        "/api/v1/goals",
        {"title": "Learn to rate limit well", "description": "", "tags": ["ops"]},
        token=owner,
    )
    assert status == 201, goal
    status, invite, _ = setup.call(
        "POST",
        f"/api/v1/goals/{goal['id']}/mentorship-requests",
        {"mentor": "mentor", "message": "Please?"},
        token=owner,
    )
    assert status == 201, invite
    status, _, _ = setup.call(
        "POST", f"/api/v1/mentorship-requests/{invite['id']}/accept", token=mentor
    )
    assert status == 200

    poster = Client(stack.base_url, "10.9.0.2")
    results = burst(
        60,
        lambda i: poster.call(
            "POST",
            "/api/v1/questions",
            {
                "title": f"Rapid question number {i} from one client",
                "body": "Does it hold?",
                "tags": ["limits"],
            },
            token=asker,
        ),
    )
    statuses = [status for status, _, _ in results]
    assert statuses.count(201) == 30 and statuses.count(429) == 30, statuses
    refused = next(headers for status, _, headers in results if status == 429)
    assert int(refused["Retry-After"]) > 0

    talker = Client(stack.base_url, "10.9.0.3")
    results = burst(
        100,
        lambda i: talker.call(
            "POST", f"/api/v1/goals/{goal['id']}/messages", {"body": f"Message {i}"}, token=owner
        ),
    )
    statuses = [status for status, _, _ in results]
    assert statuses.count(201) == 60 and statuses.count(429) == 40, statuses
    status, page, _ = talker.call(
        "GET", f"/api/v1/goals/{goal['id']}/messages?per_page=100", token=mentor
    )
    assert status == 200 and page["total"] == 60

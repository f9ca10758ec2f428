"""With RATELIMIT_STORAGE_URI pointing at Redis, separate worker processes share one count."""

import os
import subprocess
import sys
import uuid

import pytest
import redis

from tests.conftest import PROJECT_ROOT

WORKER_SCRIPT = """
import sys
from tests.conftest import login, make_app
db_url, instance_dir, storage, account, ip, attempts = sys.argv[1:7]
app = make_app(db_url, instance_dir, RATELIMIT_STORAGE_URI=storage)
with app.app_context():
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ip
    codes = [login(client, account, "wrong password").status_code for _ in range(int(attempts))]
    print(",".join(map(str, codes)))
"""


@pytest.fixture
def redis_url():
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        redis.Redis.from_url(url, socket_timeout=0.5).ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {url}")
    return url


def worker_process(database_url, tmp_path, storage, account, ip, attempts) -> list[int]:
    """Run sign-in attempts in a separate Python process, like a second gunicorn worker."""
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            WORKER_SCRIPT,
            database_url,
            str(tmp_path),
            storage,
            account,
            ip,
            str(attempts),
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return [int(code) for code in result.stdout.strip().splitlines()[-1].split(",")]


def test_worker_processes_share_signin_counts_through_redis(
    app, make_user, database_url, tmp_path, redis_url
):
    account = f"r{uuid.uuid4().hex[:12]}"  # fresh keys in the shared Redis every run
    make_user(account)
    ip = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.7"
    first = worker_process(database_url, tmp_path, redis_url, account, ip, 6)
    second = worker_process(database_url, tmp_path, redis_url, account, ip, 5)
    assert first == [422] * 6
    # The second process starts with the first one's 6 attempts counted: 4 more, then 429.
    assert second == [422] * 4 + [429]


def test_memory_storage_is_per_process(app, make_user, database_url, tmp_path):
    account = f"m{uuid.uuid4().hex[:12]}"
    make_user(account)
    first = worker_process(database_url, tmp_path, "memory://", account, "10.1.1.1", 6)
    second = worker_process(database_url, tmp_path, "memory://", account, "10.1.1.1", 6)
    assert first == second == [422] * 6

"""The SQLite-file rate-limit storage: fixed windows, expiry, and the factory default."""

import multiprocessing
import time

import pytest
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from app import create_app
from app.config import Config
from app.ratelimit_storage import SQLiteStorage, path_from_uri


@pytest.fixture
def storage(tmp_path):
    return storage_from_string(f"sqlite:///{tmp_path / 'limits.db'}")


def test_uri_selects_the_sqlite_storage(storage, tmp_path):
    assert isinstance(storage, SQLiteStorage) and storage.check()
    assert path_from_uri(f"sqlite:///{tmp_path}/x.db") == f"{tmp_path}/x.db"
    with pytest.raises(ValueError):
        path_from_uri("sqlite://")


def test_counts_within_a_window_and_restarts_after_it(storage, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(time, "time", lambda: clock[0])
    assert [storage.incr("k", 60) for _ in range(3)] == [1, 2, 3]
    assert storage.incr("k", 60, amount=2) == 5 and storage.get("k") == 5
    assert storage.get_expiry("k") == 1060.0 and storage.get("other") == 0
    clock[0] = 1059.9
    assert storage.incr("k", 60) == 6
    clock[0] = 1060.0  # the window ended: a new one starts at this hit
    assert storage.get("k") == 0 and storage.incr("k", 60) == 1
    assert storage.get_expiry("k") == 1120.0
    storage.clear("k")
    assert storage.get("k") == 0
    storage.incr("a", 60)
    storage.incr("b", 60)
    assert storage.reset() == 2


def test_fixed_window_limiter_refuses_past_the_limit(storage):
    limiter = FixedWindowRateLimiter(storage)
    item = parse("3 per minute")
    assert [limiter.hit(item, "posting", "10.0.0.1") for _ in range(5)] == [
        True,
        True,
        True,
        False,
        False,
    ]
    assert limiter.hit(item, "posting", "10.0.0.2")
    reset_at, remaining = limiter.get_window_stats(item, "posting", "10.0.0.1")
    assert remaining == 0 and reset_at > time.time()


def _hammer(uri: str, hits: int, results) -> None:
    limiter = FixedWindowRateLimiter(storage_from_string(uri))
    item = parse("50 per minute")
    results.put(sum(limiter.hit(item, "shared", "client") for _ in range(hits)))


def test_processes_share_one_count(tmp_path):
    uri = f"sqlite:///{tmp_path / 'limits.db'}"
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    workers = [context.Process(target=_hammer, args=(uri, 40, results)) for _ in range(3)]
    for worker in workers:
        worker.start()
    allowed = sum(results.get(timeout=60) for _ in workers)
    for worker in workers:
        worker.join(timeout=30)
    assert allowed == 50  # 120 hits from 3 processes against 50/minute


def _config(tmp_path) -> Config:
    config = Config()
    config.SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'app.db'}"
    config.SEARCH_INDEX_DIR = str(tmp_path / "index")
    config.SECRET_KEY = "x" * 32
    return config


def test_factory_defaults_to_a_file_under_instance(monkeypatch, tmp_path):
    monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    app = create_app(_config(tmp_path))
    uri = app.config["RATELIMIT_STORAGE_URI"]
    assert uri == f"sqlite:///{app.instance_path}/ratelimits.db"
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    assert create_app(_config(tmp_path)).config["RATELIMIT_STORAGE_URI"].startswith("redis://")

"""GET /healthz: 200 when the database and the search index answer, 503 naming what failed."""

import os
import shutil
from pathlib import Path

from tests.conftest import make_app


def assert_not_cached(response):
    assert response.headers["Cache-Control"] == "no-store"
    assert response.mimetype == "application/json"


def test_healthy(app, client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "search": "ok"}
    assert_not_cached(response)


def test_needs_no_account_and_is_never_rate_limited(app, client):
    app.config["RATELIMIT_SEARCH"] = "1 per minute"
    app.config["RATELIMIT_POSTING"] = "1 per minute"
    codes = {
        client.get("/healthz", environ_base={"REMOTE_ADDR": "10.9.9.9"}).status_code
        for _ in range(150)
    }
    assert codes == {200}


def test_broken_database_url_is_503_database(tmp_path, backend):
    url = (
        "sqlite:////nonexistent-dir/journster/broken.db"
        if backend == "sqlite"
        else "postgresql+psycopg://postgres@127.0.0.1:1/nothing_listens_here"
    )
    broken = make_app(url, tmp_path / "instance")
    with broken.app_context():
        response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "fail", "database": "fail", "search": "ok"}
    assert_not_cached(response)


def test_index_dir_that_is_a_file_is_503_search(database_url, tmp_path):
    path = tmp_path / "not-a-dir"
    path.write_text("oops")
    broken = make_app(database_url, tmp_path / "instance", SEARCH_INDEX_DIR=str(path))
    with broken.app_context():
        response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "fail", "database": "ok", "search": "fail"}


def test_corrupt_index_is_503_search(database_url, tmp_path):
    index_dir = tmp_path / "index"
    healthy = make_app(database_url, tmp_path / "one", SEARCH_INDEX_DIR=str(index_dir))
    with healthy.app_context():
        assert healthy.test_client().get("/healthz").status_code == 200
    # A copy whose live index files are all garbage (a failed disk, a bad restore); a copy,
    # so the healthy app's open files are left alone.
    copy = tmp_path / "copy"
    shutil.copytree(index_dir, copy)
    live = copy / (copy / "CURRENT").read_text().strip()
    for entry in live.iterdir():
        entry.write_bytes(b"\x00garbage")
    broken = make_app(database_url, tmp_path / "two", SEARCH_INDEX_DIR=str(copy))
    with broken.app_context():
        response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["search"] == "fail"


def test_read_only_index_dir_is_503_search(database_url, tmp_path, monkeypatch):
    index_dir = tmp_path / "index"
    index_dir.mkdir()
    app = make_app(database_url, tmp_path / "instance", SEARCH_INDEX_DIR=str(index_dir))
    with app.app_context():
        assert app.test_client().get("/healthz").status_code == 200
        # The directory as a non-root worker sees it after chmod 0o500 (root may write to
        # any directory, so a real chmod would prove nothing when the tests run as root).
        real_access = os.access

        def read_only(path, mode, *args, **kwargs):
            if Path(path) == index_dir and mode & os.W_OK:
                return False
            return real_access(path, mode, *args, **kwargs)

        monkeypatch.setattr(os, "access", read_only)
        response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["search"] == "fail"

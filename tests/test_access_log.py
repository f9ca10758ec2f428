"""The gunicorn access log keeps no secrets: link tokens and similar-lookup text (SPEC §3.1)."""

import contextlib
import os
import runpy
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import timedelta
from types import SimpleNamespace

import pytest
from gunicorn.config import Config

from tests.conftest import PROJECT_ROOT

SECRETS = ("tok3nSecret", "my private draft")
PATHS = [
    "/unsubscribe/tok3nSecret.abc-def",
    "/password/reset/tok3nSecret.xyz",
    "/verify-email/tok3nSecret.xyz",
    "/api/v1/password-resets/tok3nSecret.xyz",
    "/api/v1/similar?limit=5&text=my+private+draft",
    "/api/v1/similar?text=my%20private%20draft&limit=5",
]


@pytest.fixture(scope="module")
def settings():
    return runpy.run_path(str(PROJECT_ROOT / "gunicorn.conf.py"))


def test_config_uses_the_redacting_logger(settings):
    config = Config()
    config.set("logger_class", settings["logger_class"])
    assert config.logger_class is settings["RedactingLogger"]


@pytest.mark.parametrize("path", PATHS)
def test_every_logged_value_is_redacted(settings, path):
    logger = settings["RedactingLogger"](Config())
    raw, _, query = path.partition("?")
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": path,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "PATH_INFO": raw,
        "QUERY_STRING": query,
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_REFERER": f"http://example.org{path}",
        "HTTP_USER_AGENT": "test",
    }
    response = SimpleNamespace(status="200 OK", headers=[], sent=10)
    request = SimpleNamespace(headers=[("REFERER", f"http://example.org{path}")])
    atoms = logger.atoms(response, request, environ, timedelta(milliseconds=5))
    logged = " ".join(str(value) for value in atoms.values())
    for secret in (*SECRETS, "my+private+draft", "my%20private%20draft"):
        assert secret not in logged
    assert "[redacted]" in atoms["r"] and "[redacted]" in atoms["f"]
    assert atoms["r"].startswith("GET /")


def test_other_paths_are_logged_as_they_are(settings):
    redact = settings["RedactingLogger"].redact
    for path in ("/questions/12?sort=votes", "/search?q=marathon+shoes", "/users/alice"):
        assert redact(path) == path


def _free_port() -> int:
    for port in range(9400, 9500):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 9400-9499")


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_real_gunicorn_access_log_has_no_tokens(database_url, backend, tmp_path):
    if backend != "sqlite":
        pytest.skip("the log does not depend on the database")
    port, log_file = _free_port(), tmp_path / "access.log"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "access-log-test",
        "SEARCH_INDEX_DIR": str(tmp_path / "index"),
        "WEB_CONCURRENCY": "1",
        "ACCOUNT_MAIL_THREAD": "0",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            "gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
            "--access-logfile",
            str(log_file),
            "wsgi:app",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                urllib.request.urlopen(base + "/login", timeout=30)  # noqa: S310
                break
            except OSError:  # not listening yet
                time.sleep(0.1)
        for path in PATHS:
            request = urllib.request.Request(  # noqa: S310  (http to our own server)
                base + path, headers={"Referer": base + path}
            )
            # Invalid tokens answer 400: only the log line matters here.
            with contextlib.suppress(urllib.error.HTTPError):
                urllib.request.urlopen(request, timeout=60)  # noqa: S310
    finally:
        server.terminate()
        server.wait(timeout=30)
    text = log_file.read_text()
    assert text.count("[redacted]") >= len(PATHS)
    for secret in (*SECRETS, "my+private+draft", "my%20private%20draft"):
        assert secret not in text


def test_worker_recycling_is_rare_and_configurable(monkeypatch):
    """Fast workers recycled every few thousand requests restart every few seconds."""
    defaults = runpy.run_path(str(PROJECT_ROOT / "gunicorn.conf.py"))
    assert defaults["max_requests"] >= 50_000
    monkeypatch.setenv("GUNICORN_MAX_REQUESTS", "2000")
    chosen = runpy.run_path(str(PROJECT_ROOT / "gunicorn.conf.py"))
    assert (chosen["max_requests"], chosen["max_requests_jitter"]) == (2000, 200)

"""Browser tests: Playwright driving Debian's Chromium against a real `make serve`.

One server per session (gunicorn with 2 workers, the search worker, the mail loop) on a free
port, with its own temporary SQLite database, search index and secret key. It is started in its
own process group and the whole group is killed at the end. Never `playwright install`: the
browser is /usr/bin/chromium (skipped with a reason when it is missing).
"""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
E2E_DIR = Path(__file__).resolve().parent
CHROMIUM = Path("/usr/bin/chromium")
AXE_JS = E2E_DIR / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
# The few small screenshots the README shows (committed; rewritten by each e2e run).
DOCS_SCREENSHOTS = ROOT / "docs" / "screenshots"
DEMO_PASSWORD = "journster-demo"
PASSWORD = "a long enough password"
START_TIMEOUT = 90.0

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}
VIEWPORTS = {"desktop": DESKTOP, "360px": PHONE}


def pytest_collection_modifyitems(config, items):
    """Every browser test is skipped, with the reason, when Debian's Chromium is missing."""
    if CHROMIUM.exists():
        return
    for item in items:
        if E2E_DIR in Path(str(item.fspath)).parents:
            item.add_marker(
                pytest.mark.skip(
                    reason=f"{CHROMIUM} is missing: install Debian's chromium "
                    "(apt-get install chromium) to run the browser tests"
                )
            )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


@dataclass
class Server:
    url: str
    log: Path

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def api(
        self,
        method: str,
        path: str,
        body: dict | None = None,
        token: str | None = None,
        basic: tuple[str, str] | None = None,
    ) -> dict:
        """Call the JSON API; raise with the server's answer on anything but 2xx."""
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if basic:
            headers["Authorization"] = (
                "Basic " + base64.b64encode(":".join(basic).encode()).decode()
            )
        request = urllib.request.Request(  # noqa: S310
            self.url + path,
            data=data,
            headers=headers,
            method=method,
        )
        try:
            with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310
                raw = response.read()
        except urllib.error.HTTPError as error:
            raise AssertionError(
                f"{method} {path} → {error.code}: {error.read()[:500]!r}"
            ) from None
        return json.loads(raw) if raw else {}

    def new_user(self, prefix: str) -> tuple[str, str]:
        """Create an account through the API; return (username, token)."""
        username = unique(prefix)
        self.api(
            "POST",
            "/api/v1/users",
            {"username": username, "email": f"{username}@example.org", "password": PASSWORD},
        )
        token = self.api("POST", "/api/v1/tokens", basic=(username, PASSWORD))["token"]
        return username, token


def _serve(work: Path, demo: bool):
    """`make serve` on a free port with a throwaway database and index; stopped at the end.

    With ``demo``, `flask demo load` fills the database first: a living site as a newcomer's
    `make run` shows it (real threads, demo accounts and their goals, through the services).
    """
    port = _free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST", "FLASK_RUN"))
    }
    env.update(
        {
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "DATABASE_URL": f"sqlite:///{work / 'journster.db'}",
            "SEARCH_INDEX_DIR": str(work / "index"),
            "SECRET_KEY": uuid.uuid4().hex + uuid.uuid4().hex,
            "DEMO_DATA": "0",
            "WEB_CONCURRENCY": "2",
            "RATELIMIT_ENABLED": "0",
            "ADMIN_EMAILS": "",
            "SMTP_URL": "",
            "BASE_URL": f"http://127.0.0.1:{port}",
        }
    )
    log = work / "serve.log"
    flask = ROOT / ".venv" / "bin" / "flask"
    with log.open("wb") as out:
        # After the demo, the index and every similar list, as the search worker leaves them
        # a few seconds after `make run` starts (a newcomer's screenshots show them).
        steps = (
            ["db", "upgrade"],
            ["demo", "load"],
            ["search", "reindex"],
            ["search", "lists", "--all"],
        )
        for step in steps if demo else ():
            done = subprocess.run(
                [str(flask), *step],
                env={**env, "FLASK_APP": "wsgi.py"},
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                timeout=300,
                check=False,
            )
            if done.returncode:
                pytest.fail(
                    f"flask {' '.join(step)} failed:\n" + log.read_text(errors="replace")[-3000:]
                )
    with log.open("ab") as out:
        process = subprocess.Popen(
            ["make", "--no-print-directory", "-C", str(ROOT), "serve"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    srv = Server(url=f"http://127.0.0.1:{port}", log=log)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"make serve exited with {process.returncode}:\n{srv.log_tail()}")
            try:
                with urllib.request.urlopen(srv.url + "/", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"make serve did not answer within {START_TIMEOUT:.0f} s:\n{srv.log_tail()}"
                )
            time.sleep(0.25)
        yield srv
    finally:
        _stop(process)


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Server:
    """An empty site: each test module writes what it needs through the API."""
    yield from _serve(tmp_path_factory.mktemp("e2e-server"), demo=False)


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory) -> Server:
    """The demo site a newcomer gets from `make run` (test_newcomer.py)."""
    yield from _serve(tmp_path_factory.mktemp("e2e-demo-server"), demo=True)


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM the whole process group (make's trap stops the worker), then SIGKILL."""
    try:
        pgid = os.getpgid(process.pid)
    except ProcessLookupError:
        return
    for sig, grace in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            continue
        # make is gone; give its children (gunicorn, worker) a moment to follow.
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            try:
                os.killpg(pgid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)


@pytest.fixture(scope="session")
def seeded(server: Server) -> dict:
    """A few public threads so similar threads and search have something to find."""
    username, token = server.new_user("seed")
    titles = [
        "How do I practise public speaking without an audience?",
        "Public speaking nerves before a conference talk",
        "Learning Spanish verbs quickly for a trip",
        "How to structure a first marathon training plan",
    ]
    ids = []
    for title in titles:
        q = server.api(
            "POST",
            "/api/v1/questions",
            {
                "title": title,
                "body": f"{title} I have tried a few things and would like advice from people "
                "who did it before.",
                "tags": ["public-speaking" if "speaking" in title else "learning"],
            },
            token=token,
        )
        ids.append(q["id"])
    # The search worker indexes within about a second: wait until the seeds are searchable.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = server.api("GET", "/api/v1/similar?limit=5&text=public+speaking+nerves")
        if len(found.get("items", [])) >= 2:
            break
        time.sleep(0.2)
    else:
        pytest.fail("the seeded threads never became searchable:\n" + server.log_tail())
    return {"username": username, "token": token, "question_ids": ids, "titles": titles}


@pytest.fixture(scope="session")
def playwright_instance():
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed (make install)"
    )
    with sync_api.sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_instance):
    browser = playwright_instance.chromium.launch(
        executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"]
    )
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE_JS.exists():
        pytest.skip(
            f"{AXE_JS.relative_to(ROOT)} is missing: run `npm ci` in tests/e2e (make test-e2e does)"
        )
    return AXE_JS.read_text()


def screenshot(page, name: str, width_name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}-{width_name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def docs_screenshot(page, name: str, width_name: str, height: int) -> Path:
    """A small PNG for the README: the top ``height`` CSS pixels, reduced to 128 colours."""
    from PIL import Image  # only the browser tests need Pillow

    DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = DOCS_SCREENSHOTS / f"{name}-{width_name}.png"
    width = page.viewport_size["width"]
    full = page.evaluate("() => document.documentElement.scrollHeight")
    page.screenshot(
        path=str(path),
        full_page=True,
        animations="disabled",
        caret="hide",
        clip={"x": 0, "y": 0, "width": width, "height": min(height, full)},
    )
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(
            colors=128, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
        )
    small.save(path, optimize=True)
    return path


def horizontal_overflow(page) -> dict | None:
    """None when the page does not scroll sideways; else the widths and the widest elements."""
    return page.evaluate("""() => {
        const doc = document.scrollingElement;
        if (doc.scrollWidth <= window.innerWidth) return null;
        const wide = [];
        for (const el of document.querySelectorAll('body *')) {
            const r = el.getBoundingClientRect();
            if (r.right > window.innerWidth + 0.5) {
                wide.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
                          (el.className && typeof el.className === 'string'
                              ? '.' + el.className.trim().split(/\\s+/).join('.') : '') +
                          ' right=' + Math.round(r.right));
            }
        }
        return {scrollWidth: doc.scrollWidth, innerWidth: window.innerWidth,
                offenders: wide.slice(0, 10)};
    }""")


def sign_in(page, base_url: str, username: str, password: str = PASSWORD) -> None:
    page.goto(base_url + "/login")
    form = page.locator("main form")
    form.get_by_label("Username or email").fill(username)
    form.get_by_label("Password").fill(password)
    form.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("button", name="Sign out").wait_for()

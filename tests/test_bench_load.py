"""Smoke run of the load test (bench/load.py) on a tiny corpus: zero errors, every post found."""

import json
import random
import subprocess
import sys
from pathlib import Path
from xml.sax.saxutils import quoteattr

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED_DUMPS = PROJECT_ROOT.parent / "shared" / "data" / "stackexchange"
WORDS = [
    "python",
    "flask",
    "deploy",
    "mentor",
    "goal",
    "habit",
    "schedule",
    "database",
    "index",
    "query",
    "cache",
    "worker",
    "review",
    "feedback",
    "career",
    "interview",
    "practice",
    "reading",
    "writing",
    "design",
    "test",
    "release",
    "budget",
    "network",
    "security",
    "memory",
    "profile",
    "speech",
    "marathon",
    "garden",
    "language",
]


def mini_dump(folder: Path) -> Path:
    """A small Stack Exchange dump (when the shared ones are not beside this checkout)."""
    rng = random.Random(7)
    rows = []
    for n in range(1, 121):
        words = " ".join(rng.choice(WORDS) for _ in range(12))
        if n % 2:
            title = "How do I " + " ".join(rng.choice(WORDS) for _ in range(5)) + "?"
            tags = "".join(f"<{t}>" for t in rng.sample(WORDS[:10], 2))
            rows.append(
                f'<row Id="{n}" PostTypeId="1" Title={quoteattr(title)} '
                f"Tags={quoteattr(tags)} Body={quoteattr(f'<p>{words}.</p>')} />"
            )
        else:
            rows.append(
                f'<row Id="{n}" PostTypeId="2" ParentId="{n - 1}" '
                f"Body={quoteattr(f'<p>{words}.</p>')} />"
            )
    site = folder / "mini.stackexchange.com"
    site.mkdir(parents=True)
    (site / "Posts.xml").write_text(
        "<posts>\n" + "\n".join(rows) + "\n</posts>\n", encoding="utf-8"
    )
    return folder


def test_load_smoke_run_has_no_errors_and_finds_every_written_post(tmp_path):
    out = tmp_path / "load.json"
    dumps = SHARED_DUMPS if any(SHARED_DUMPS.glob("*/Posts.xml")) else mini_dump(tmp_path / "dumps")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.load",
            "--posts",
            "300",
            "--duration",
            "10",
            "--warmup",
            "2",
            "--clients",
            "4",
            "--users",
            "4",
            "--search-deadline",
            "30",
            "--data",
            str(dumps),
            "--workdir",
            str(tmp_path / "work"),
            "--json",
            str(out),
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=170,
        check=False,
    )
    log = tmp_path / "work" / "serve.log"
    context = (
        f"stdout:\n{done.stdout[-4000:]}\nstderr:\n{done.stderr[-4000:]}\nserve.log:\n"
        f"{log.read_text(errors='replace')[-3000:] if log.exists() else '-'}"
    )
    assert out.exists(), context
    result = json.loads(out.read_text())

    assert result["errors"] == 0, (result["error_samples"], context)
    assert result["warmup"]["errors"] == 0, result["warmup"]
    kinds = result["kinds"]
    assert kinds["overall"]["requests"] > 20, kinds
    for kind in ("question page", "search api", "answer", "vote"):
        assert kinds.get(kind, {}).get("requests", 0) > 0, (kind, kinds)

    verification = result["verification"]
    assert verification["written"] > 0, verification
    assert verification["present"] == verification["written"], verification
    assert verification["searchable"] == verification["written"], verification
    assert len(result["worker_rss_mb"]["final"]) == 3, result["worker_rss_mb"]
    assert not result["log_problems"], (result["log_problems"], context)
    assert result["ok"] and done.returncode == 0, context

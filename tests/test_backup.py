"""`flask backup create|verify|restore`: a restored deployment equals the original, row by row."""

import json
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, func, inspect, select, text
from sqlalchemy.engine import make_url

from app.extensions import db
from app.models import Tag
from app.models.base import utcnow
from app.search.service import search_posts
from app.services import blocks, follows, goals, helpful, mentorship, private_space, questions
from app.services.accounts import register_user
from app.services.votes import cast_vote
from tests.builders import build_answer, build_goal, build_question
from tests.conftest import drop_pg_database, make_app, new_database_url, pg_admin_url


def run(app, *args):
    """Invoke a CLI command inside app's own context (never the test body's app)."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args))


def build_rich_dataset(make_user) -> dict:
    """Every kind of row, through the services, as real use would create it."""
    ada, bob, cy, dee = (make_user(n) for n in ("ada", "bob", "cyd", "dee"))
    goal = build_goal(ada, title="Run a half marathon in spring", tags=("running", "health"))
    goals.add_milestone(ada, goal, {"title": "Run 10 km without stopping"})
    goals.add_milestone(ada, goal, {"title": "Sign up for a race", "done": True})
    goals.add_journal_entry(ada, goal, "Week 1: three easy runs, *knees fine*.")
    question = build_question(
        ada,
        title="Which shoes for a first half marathon?",
        body="Budget shoes or **expensive** ones?",
        goal=goal,
        tags=("running",),
    )
    questions.edit_question(ada, question, {"body": "Budget or expensive shoes? Flat feet."})
    answer = build_answer(bob, question, "Get fitted at a running shop; try three pairs.")
    other = build_answer(cy, question, "Any neutral shoe works for most people at first.")
    questions.add_comment(cy, question=question, body="What distance do you run now?")
    questions.add_comment(ada, answer=answer, body="Thanks, which shop?")
    cast_vote(cy, question, 1)
    cast_vote(ada, answer, 1)
    cast_vote(bob, other, -1)
    helpful.mark_helpful(ada, answer)
    helpful.set_outcome(ada, question, "I got fitted; no more blisters after two weeks.")
    anonymous = questions.ask_question(
        dee,
        {
            "title": "How do I tell my manager I am burnt out?",
            "body": "Asking for me.",
            "tags": ["career"],
            "anonymous": True,
        },
    )
    build_answer(bob, anonymous, "Book a one-to-one and describe the workload in facts.")
    public = build_question(cy, title="How to keep a running streak in winter?", tags=("running",))
    follows.follow(dee, "tag", "running")
    follows.follow(dee, "question", str(public.id))
    follows.follow(cy, "goal", goal.id)
    blocks.block(dee, "cyd")
    request = mentorship.invite(ada, goal, "bob", "Would you mentor me to race day?")
    mentorship.accept(bob, request)
    private_space.send_message(ada, goal, "Hi Bob, long run on Sunday?")
    private_space.send_message(bob, goal, "Yes: 14 km, slow pace.")
    private_space.set_agreement(
        ada,
        goal,
        {
            "modes": ["video", "message"],
            "cadence": "Every Monday",
            "response_hours": 48,
            "success_criteria": "Finish under 2 hours",
        },
    )
    checkin = private_space.add_checkin(
        ada,
        goal,
        {"scheduled_at": (utcnow() + timedelta(days=3)).isoformat(), "agenda": "Review runs"},
    )
    private_space.update_checkin(bob, goal, checkin, {"notes": "Add hills."})
    db.session.commit()
    return {"question": question, "goal": goal}


# Derived from the posts like the search index: restore rebuilds them, so they are compared
# by what they must hold afterwards, not row by row.
DERIVED = {"post_vectors", "similar_lists"}


def primary(tables: dict) -> dict:
    """The tables a backup must reproduce exactly (everything but the derived ones)."""
    return {name: rows for name, rows in tables.items() if name not in DERIVED}


def table_rows(engine) -> dict[str, list]:
    """Every app table's rows, ordered by primary key."""
    with engine.connect() as conn:
        return {
            table.name: [
                tuple(row)
                for row in conn.execute(select(table).order_by(*table.primary_key.columns))
            ]
            for table in db.metadata.sorted_tables
        }


def revision_of(engine) -> str | None:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def state_of(url: str) -> tuple:
    """What a target database holds: its tables and their row counts (for "unchanged")."""
    engine = create_engine(make_url(url))
    try:
        with engine.connect() as conn:
            names = sorted(inspect(conn).get_table_names())
            counts = {
                n: conn.execute(text(f'SELECT count(*) FROM "{n}"')).scalar()  # noqa: S608
                for n in names
            }
    finally:
        engine.dispose()
    return names, counts


@pytest.fixture
def target(backend, tmp_path):
    """Builder: an empty deployment (fresh database, own index dir) of a kind; dropped after."""
    made = []

    def build(kind: str | None = None, migrate: bool = False):
        kind = kind or backend
        if kind == "postgresql" and not pg_admin_url():
            pytest.skip("TEST_DATABASE_URL is not set")
        url = new_database_url(kind, tmp_path / f"t{len(made)}", "journster_restore")
        (tmp_path / f"t{len(made)}").mkdir(exist_ok=True)
        made.append((kind, url))
        restored = make_app(url, tmp_path / f"instance{len(made)}")
        if migrate:
            assert run(restored, "db", "upgrade", "--directory", "migrations").exit_code == 0
        return restored, url

    yield build
    for kind, url in made:
        if kind == "postgresql":
            drop_pg_database(url)


@pytest.mark.slow
@pytest.mark.parametrize("migrated_target", [False, True], ids=["blank", "migrated"])
def test_restore_reproduces_every_table_row_by_row(
    app, make_user, target, tmp_path, migrated_target
):
    data = build_rich_dataset(make_user)
    original = table_rows(db.engine)
    # The dataset really covers every kind of content the brief names.
    for name in (
        "users",
        "goals",
        "milestones",
        "journal_entries",
        "questions",
        "answers",
        "comments",
        "votes",
        "revisions",
        "mentorship_requests",
        "mentorships",
        "messages",
        "agreements",
        "checkins",
        "notifications",
        "follows",
        "blocks",
    ):
        assert original[name], f"no {name} in the dataset"
    started = time.monotonic()
    created = run(app, "backup", "create", str(tmp_path / "backup"))
    assert created.exit_code == 0, created.output
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert manifest["tables"] == {name: len(rows) for name, rows in original.items()}
    assert manifest["alembic_revision"] == revision_of(db.engine)
    assert "rebuilt" in manifest["search_index"]
    assert "flask search reindex" in (tmp_path / "backup" / "README.txt").read_text()

    restored, _url = target(migrate=migrated_target)
    result = run(restored, "backup", "restore", str(tmp_path / "backup"))
    assert result.exit_code == 0, result.output
    elapsed = time.monotonic() - started
    with restored.app_context():
        restored_rows = table_rows(db.engine)
        assert primary(restored_rows) == primary(original)
        # Vectors were rebuilt with the index: one per public question and goal.
        public = search_posts("streak winter")[0].items[0]["id"]
        assert ("question", public) in {row[2:4] for row in restored_rows["post_vectors"]}
        assert revision_of(db.engine) == manifest["alembic_revision"]
        # The search index was rebuilt: public posts are found, the closed goal's are not.
        hits, _ = search_posts("streak winter")
        assert [item["title"] for item in hits.items] == ["How to keep a running streak in winter?"]
        assert search_posts("shoes fitted")[0].total == 0  # under the now-closed goal
        # Sequences and autoincrement counters came along: new rows do not collide.
        newcomer = register_user("newcomer", "newcomer@example.org", "long password 1")
        assert newcomer.id > max(row[0] for row in original["users"])
        db.session.commit()
        db.engine.dispose()
    assert elapsed < 60
    assert data["question"].id in {row[0] for row in original["questions"]}


@pytest.mark.slow
def test_backup_while_writers_run_is_one_consistent_snapshot(app, database_url, target, tmp_path):
    writer_engine = create_engine(make_url(database_url))
    stop, written = threading.Event(), [0]

    def write():
        # Another "worker" adding rows the whole time the backup runs.
        while not stop.is_set():
            with writer_engine.begin() as conn:
                conn.execute(
                    Tag.__table__.insert(), [{"name": f"t{written[0]}-{i}"} for i in range(20)]
                )
            written[0] += 1

    thread = threading.Thread(target=write)
    thread.start()
    try:
        while written[0] < 5:
            time.sleep(0.01)
        created = run(app, "backup", "create", str(tmp_path / "live"))
        time.sleep(0.2)
    finally:
        stop.set()
        thread.join()
        writer_engine.dispose()
    assert created.exit_code == 0, created.output
    snapshot = json.loads((tmp_path / "live" / "manifest.json").read_text())["tables"]["tags"]
    assert 100 <= snapshot < written[0] * 20  # taken mid-stream, writes carried on after it
    # verify re-counts the dump's rows against the manifest: one point in time.
    assert run(app, "backup", "verify", str(tmp_path / "live")).exit_code == 0
    restored, _url = target()
    assert run(restored, "backup", "restore", str(tmp_path / "live")).exit_code == 0
    with restored.app_context():
        assert db.session.scalar(select(func.count()).select_from(Tag)) == snapshot
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def small_backup(app, make_user, tmp_path):
    """A backup of a little data (one user, one public question)."""
    build_question(make_user("ada"))
    db.session.commit()
    result = run(app, "backup", "create", str(tmp_path / "small"))
    assert result.exit_code == 0, result.output
    return tmp_path / "small"


def refused(restored, url, path, *fragments):
    """Restore fails with a message naming the problem, and the target is unchanged."""
    before = state_of(url)
    result = run(restored, "backup", "restore", str(path))
    assert result.exit_code != 0
    for fragment in fragments:
        assert fragment in result.output, result.output
    assert state_of(url) == before
    return result


def test_verify_accepts_a_good_backup(app, small_backup):
    result = run(app, "backup", "verify", str(small_backup))
    assert result.exit_code == 0 and "OK" in result.output, result.output


def test_create_never_overwrites(app, small_backup):
    result = run(app, "backup", "create", str(small_backup))
    assert result.exit_code != 0 and "already exists" in result.output


def test_refuses_a_non_empty_target(app, small_backup, database_url):
    refused(app, database_url, small_backup, "not empty", "users (1)")


def test_refuses_a_corrupt_dump(app, small_backup, target):
    dump = next(small_backup.glob("database.*"))
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dump.write_bytes(bytes(data))
    restored, url = target(migrate=True)
    refused(restored, url, small_backup, "damaged", "SHA-256")
    assert run(restored, "backup", "verify", str(small_backup)).exit_code != 0


def test_refuses_a_truncated_dump(app, small_backup, target):
    dump = next(small_backup.glob("database.*"))
    dump.write_bytes(dump.read_bytes()[: dump.stat().st_size // 2])
    restored, url = target()
    refused(restored, url, small_backup, "truncated")


def test_refuses_a_damaged_manifest(app, small_backup, target):
    restored, url = target()
    manifest = small_backup / "manifest.json"
    manifest.write_text(manifest.read_text()[:100])
    refused(restored, url, small_backup, "manifest.json is damaged")


def test_refuses_a_manifest_that_disagrees_with_its_dump(app, small_backup, target):
    # Checksums still match (only the manifest was edited), but the dump's rows do not.
    restored, url = target()
    manifest = small_backup / "manifest.json"
    raw = json.loads(manifest.read_text())
    raw["tables"]["users"] = 5
    manifest.write_text(json.dumps(raw))
    refused(restored, url, small_backup, "does not match")


def test_refuses_a_missing_backup_or_dump(app, small_backup, target, tmp_path):
    restored, url = target()
    refused(restored, url, tmp_path / "no-such-backup", "No backup at")
    next(small_backup.glob("database.*")).unlink()
    refused(restored, url, small_backup, "missing")


def test_refuses_a_backup_of_the_other_database_kind(app, backend, small_backup, target):
    other = "sqlite" if backend == "postgresql" else "postgresql"
    restored, url = target(kind=other, migrate=True)
    refused(restored, url, small_backup, f"This is a {backend} backup", f"points at {other}")


def test_a_restored_small_backup_can_be_backed_up_again(app, small_backup, target, tmp_path):
    restored, _url = target()
    assert run(restored, "backup", "restore", str(small_backup)).exit_code == 0
    again = run(restored, "backup", "create", str(tmp_path / "again"))
    assert again.exit_code == 0, again.output
    first = json.loads((small_backup / "manifest.json").read_text())
    second = json.loads((tmp_path / "again" / "manifest.json").read_text())
    assert primary(first["tables"]) == primary(second["tables"])
    assert second["tables"]["post_vectors"] >= first["tables"]["post_vectors"]
    with restored.app_context():
        db.engine.dispose()

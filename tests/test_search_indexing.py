"""Outbox → indexer → Whoosh index, reindex and drift check, on both databases."""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Goal, SearchOutbox
from app.search.indexer import drain, pending_count
from app.search.query import parse_query
from app.search.service import check_index, get_backend
from app.services import questions
from tests.builders import build_answer, build_goal, build_question
from tests.search.backends import search_kind  # noqa: F401  (fixture)

# Every test here runs on each search backend (PostgreSQL search on the PostgreSQL run).
pytestmark = pytest.mark.usefixtures("search_kind")


def found(text: str) -> set[str]:
    backend = get_backend()
    backend.refresh()
    return {hit.doc_id for hit in backend.search(parse_query(text), per_page=100).hits}


def test_posts_become_searchable_after_the_worker_drains(app, make_user):
    asker = make_user("asker")
    question = build_question(asker, title="Zeppelin maintenance schedule advice")
    answer = build_answer(make_user("mentor"), question, "Inspect the zeppelin envelope weekly.")
    assert found("zeppelin") == set()
    assert drain(get_backend()) >= 2 and pending_count() == 0
    assert found("zeppelin") == {f"question:{question.id}", f"answer:{answer.id}"}
    questions.edit_question(asker, question, {"title": "Airship maintenance schedule advice"})
    drain(get_backend())
    assert found("airship") == {f"question:{question.id}", f"answer:{answer.id}"}


def test_closing_a_goal_removes_everything_under_it(app, make_user):
    asker = make_user("asker")
    goal = build_goal(asker, title="Learn glassblowing this year")
    question = build_question(asker, title="Glassblowing kiln temperature question", goal=goal)
    drain(get_backend())
    assert f"question:{question.id}" in found("glassblowing")
    row = db.session.get(Goal, goal.id)
    row.visibility, row.mentor_id = "closed", make_user("mentor").id
    db.session.commit()
    drain(get_backend())
    assert found("glassblowing") == set()  # inspected in the index itself


def test_a_failed_index_write_is_retried_from_the_outbox(app, make_user, monkeypatch):
    question = build_question(make_user("asker"), title="Quokka photography lighting tips")
    backend = get_backend()

    def crash(*_args, **_kwargs):
        raise OSError("disk full after the database commit")

    monkeypatch.setattr(backend, "apply", crash)
    with pytest.raises(OSError):
        drain(backend)
    monkeypatch.undo()
    assert pending_count() > 0  # nothing was lost
    drain(backend)
    assert found("quokka") == {f"question:{question.id}"}


def test_check_reports_and_repairs_drift(app, make_user):
    question = build_question(make_user("asker"), title="Narwhal tusk anatomy question")
    db.session.execute(SearchOutbox.__table__.delete())  # simulate a lost outbox row
    db.session.commit()
    missing, extra = check_index(repair=True)
    assert missing == {f"question:{question.id}"} and extra == set()
    drain(get_backend())
    assert check_index(repair=False) == (set(), set())


def test_cli_reindex_worker_and_check(app, make_user):
    build_question(make_user("asker"), title="Axolotl aquarium water question")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0 and "Indexed 1 public posts" in result.output
    assert found("axolotl")
    result = runner.invoke(args=["search", "worker", "--once"])
    assert result.exit_code == 0 and "Applied" in result.output
    result = runner.invoke(args=["search", "check", "--no-repair"])
    assert result.exit_code == 0 and "0 missing" in result.output and "0 extra" in result.output
    db.session.commit()
    assert db.session.scalar(select(db.func.count(SearchOutbox.id))) == 0

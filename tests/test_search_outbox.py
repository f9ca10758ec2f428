"""Every change to a goal, question or answer queues an index update in its transaction."""

from sqlalchemy import delete, select

from app.core.transaction import write_transaction
from app.extensions import db
from app.models import Goal, SearchOutbox
from app.services import goals, questions, votes
from tests.builders import build_answer, build_goal, build_question


def queued() -> set[tuple[str, int]]:
    db.session.commit()
    return set(db.session.execute(select(SearchOutbox.doc_type, SearchOutbox.doc_id)))


def clear() -> None:
    db.session.execute(delete(SearchOutbox))
    db.session.commit()


def test_creates_and_edits_are_queued(app, make_user):
    asker, mentor = make_user("asker"), make_user("mentor")
    clear()
    goal = build_goal(asker)
    question = build_question(asker, goal=goal)
    answer = build_answer(mentor, question)
    assert queued() == {("goal", goal.id), ("question", question.id), ("answer", answer.id)}
    clear()
    questions.edit_question(asker, question, {"title": "A much better title"})
    # Answers carry their question's title, so they are queued too.
    assert queued() == {("question", question.id), ("answer", answer.id)}
    clear()
    votes.cast_vote(asker, answer, 1)
    assert queued() == {("answer", answer.id)}
    clear()
    goals.add_journal_entry(asker, goal, "Progress!")
    assert queued() == set()  # nothing searchable changed


def test_visibility_change_queues_everything_under_the_goal(app, make_user):
    asker, mentor = make_user("asker"), make_user("mentor")
    goal = build_goal(asker)
    question = build_question(asker, goal=goal)
    answer = build_answer(mentor, question)
    unrelated = build_question(mentor, title="Unrelated question here")
    clear()
    row = db.session.get(Goal, goal.id)
    row.visibility = "closed"
    db.session.commit()
    assert queued() == {("goal", goal.id), ("question", question.id), ("answer", answer.id)}
    assert ("question", unrelated.id) not in queued()


def test_rolled_back_changes_queue_nothing(app, make_user):
    asker = make_user("asker")
    clear()
    try:
        with write_transaction() as session:
            session.add(Goal(owner_id=asker.id, title="Never committed goal"))
            session.flush()  # the hook has queued a row inside the transaction...
            raise RuntimeError("crash before commit")
    except RuntimeError:
        pass
    assert queued() == set()  # ...and it rolled back with the goal


def test_a_change_is_queued_once_however_many_apps_are_built(app, other_app, make_user):
    other_app()  # create_app() again in this process: the flush listener is not added twice
    asker = make_user("asker")
    clear()
    goal = build_goal(asker)
    db.session.commit()
    rows = db.session.scalars(select(SearchOutbox.doc_id).where(SearchOutbox.doc_type == "goal"))
    assert list(rows) == [goal.id]

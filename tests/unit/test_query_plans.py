"""SQLite query plans of the busiest lists: one page read from an index, never a full sort.

At 150k posts a list that sorts every visible question by hand costs ~250 ms instead of
~2 ms; the plan shows it long before the numbers do, so these tests read the plan.
"""

import pytest
from sqlalchemy import select, text

from app.core.visible_queries import visible_comment_filter, visible_questions
from app.extensions import db
from app.models import Comment, Question


def plan(query) -> str:
    sql = str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))
    return "\n".join(row[3] for row in db.session.execute(text("EXPLAIN QUERY PLAN " + sql)))


@pytest.fixture
def sqlite_only(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's planner")


@pytest.mark.parametrize("signed_in", [False, True])
def test_newest_questions_walk_the_created_at_index(sqlite_only, make_user, signed_in):
    viewer = make_user("reader") if signed_in else None
    query = (
        visible_questions(viewer).order_by(Question.created_at.desc(), Question.id.desc()).limit(21)
    )
    shown = plan(query)
    assert "ix_questions_created_at" in shown, shown
    assert "TEMP B-TREE" not in shown and "MULTI-INDEX OR" not in shown, shown


def test_active_questions_walk_the_updated_at_index(sqlite_only):
    query = (
        visible_questions(None).order_by(Question.updated_at.desc(), Question.id.desc()).limit(21)
    )
    shown = plan(query)
    assert "ix_questions_updated_at" in shown and "TEMP B-TREE" not in shown, shown


@pytest.mark.parametrize("signed_in", [False, True])
def test_thread_comments_are_read_through_the_thread_indexes(sqlite_only, make_user, signed_in):
    """Not through ix_comments_mentorship_id: nearly every comment is public, so that
    index walks all of them (16 ms a question page at 150k posts)."""
    viewer = make_user("reader") if signed_in else None
    query = select(Comment).where(
        (Comment.question_id == 7) | Comment.answer_id.in_([8, 9]),
        visible_comment_filter(viewer, None),
    )
    shown = plan(query)
    assert "ix_comments_question_id" in shown and "ix_comments_answer_id" in shown, shown
    assert "ix_comments_mentorship_id" not in shown, shown

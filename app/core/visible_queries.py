"""The privacy gate as SQL: base queries every list starts from (rules 1–3 of visibility.py).

They state the same rules as the object checks in app/core/visibility.py, for many rows at
once; base queries leave posts hidden by moderators out for everyone (thread pages keep
their hidden replies for admins and authors, with a banner).
"""

from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select

from app.core.visibility import Viewer, viewer_id, viewer_is_admin
from app.extensions import db
from app.models import (
    Answer,
    Comment,
    Goal,
    JournalEntry,
    Mentorship,
    Milestone,
    Question,
    User,
)
from app.models.goals import VISIBILITY_OPEN


def _mark_clause(model: Any, viewer: int | None) -> ColumnElement[bool]:
    """SQL for rule 2 (the goal is already joined): unmarked, or marked for this viewer."""
    if viewer is None:
        return model.mentorship_id.is_(None)
    mine = select(Mentorship.id).where(Mentorship.mentor_id == viewer).scalar_subquery()
    return or_(
        model.mentorship_id.is_(None), model.mentorship_id.in_(mine), Goal.owner_id == viewer
    )


def _goal_clause(viewer: int | None) -> ColumnElement[bool]:
    """SQL for rule 1 (the goal is already joined)."""
    if viewer is None:
        return Goal.visibility == VISIBILITY_OPEN
    return or_(
        Goal.visibility == VISIBILITY_OPEN, Goal.owner_id == viewer, Goal.mentor_id == viewer
    )


def _thread_hidden_clause(
    model: Any, author_column: Any, user: Viewer | None
) -> ColumnElement[bool]:
    """Rule 3 on a thread page: hidden replies only for admins and their authors."""
    if viewer_is_admin(user):
        return model.id.isnot(None)
    viewer = viewer_id(user)
    if viewer is None:
        return model.hidden_at.is_(None)
    return or_(model.hidden_at.is_(None), author_column == viewer)


def _goalless(model: Any) -> ColumnElement[bool]:
    """SQL "no goal", written so no index can serve it (goal ids start at 1).

    A bare ``goal_id IS NULL OR (…mentorship_id IS NULL…)`` lets SQLite answer the OR from
    two indexes and then sort every visible question by hand (home page at 150k posts:
    ~250 ms); wrapped, it walks the created_at index and stops after one page (~1 ms).
    """
    return func.coalesce(model.goal_id, 0) == 0


def visible_goals(user: Viewer | None) -> Select:
    """Base query of the goals this user may see: every goal list starts here."""
    return select(Goal).where(_goal_clause(viewer_id(user)), Goal.hidden_at.is_(None))


def visible_questions(user: Viewer | None) -> Select:
    """Base query of the questions this user may see: every question list starts here."""
    viewer = viewer_id(user)
    return (
        select(Question)
        .outerjoin(Goal, Question.goal_id == Goal.id)
        .where(
            Question.hidden_at.is_(None),
            or_(
                _goalless(Question),
                and_(
                    _goal_clause(viewer), _mark_clause(Question, viewer), Goal.hidden_at.is_(None)
                ),
            ),
        )
    )


def _answers_query(viewer: int | None, answer_hidden: ColumnElement[bool]) -> Select:
    # A join, not IN (every visible question id): the database starts from the answers'
    # own filter (one author's answers) and checks only their questions.
    return (
        select(Answer)
        .join(Question, Answer.question_id == Question.id)
        .outerjoin(Goal, Question.goal_id == Goal.id)
        .where(
            answer_hidden,
            or_(
                _goalless(Question),
                and_(
                    _goal_clause(viewer),
                    _mark_clause(Question, viewer),
                    _mark_clause(Answer, viewer),
                ),
            ),
        )
    )


def visible_answers(user: Viewer | None) -> Select:
    """Base query of the answers this user may see (through their question's goal)."""
    return _answers_query(viewer_id(user), Answer.hidden_at.is_(None)).where(
        Question.hidden_at.is_(None), or_(Goal.id.is_(None), Goal.hidden_at.is_(None))
    )


def thread_answers(user: Viewer | None, question: Question) -> Select:
    """The answers on the page of a question the caller checked the user may see.

    Unlike the base query this keeps hidden answers for admins and their authors (shown
    with a banner); the question's own hidden state was settled by the caller's check.
    """
    return _answers_query(
        viewer_id(user), _thread_hidden_clause(Answer, Answer.owner_id, user)
    ).where(Answer.question_id == question.id)


def visible_goal_items(
    user: Viewer | None, model: type[Milestone] | type[JournalEntry], goal: Goal
) -> Select:
    """Milestones or journal entries of a goal the user can see (the caller checked it)."""
    return (
        select(model)
        .join(Goal, model.goal_id == Goal.id)
        .where(model.goal_id == goal.id, _mark_clause(model, viewer_id(user)))
    )


def visible_comment_filter(user: Viewer | None, goal: Goal | None) -> ColumnElement[bool]:
    """Extra WHERE for a visible thread's comments: rules 2 and 3 on each comment."""
    hidden = _thread_hidden_clause(Comment, Comment.author_id, user)
    # "Not private", written so no index serves it: a bare IS NULL let SQLite read every
    # public comment through ix_comments_mentorship_id instead of the thread's own
    # (16 ms of a 24 ms question page at 150k posts without ANALYZE statistics).
    public = func.coalesce(Comment.mentorship_id, 0) == 0
    if goal is None:
        return and_(public, hidden)
    viewer = viewer_id(user)
    if viewer is not None and viewer == goal.owner_id:
        return hidden
    if viewer is None:
        return and_(public, hidden)
    mine = select(Mentorship.id).where(Mentorship.mentor_id == viewer).scalar_subquery()
    return and_(or_(public, Comment.mentorship_id.in_(mine)), hidden)


def hidden_public_answer_count(user: Viewer | None, author: User) -> int:
    """The author's public-phase answers under goals now closed to this viewer.

    SPEC §1 mentorship rule 6: profiles count them without titles or text; answers written
    in a private phase are not counted at all (their existence is private too).
    """
    viewer = viewer_id(user)
    query = (
        select(func.count(Answer.id))
        .join(Question, Answer.question_id == Question.id)
        .join(Goal, Question.goal_id == Goal.id)
        .where(
            Answer.owner_id == author.id,
            Goal.visibility != VISIBILITY_OPEN,
            Answer.mentorship_id.is_(None),
            Question.mentorship_id.is_(None),
            # Hidden by moderators: not counted either (rule 3).
            Answer.hidden_at.is_(None),
            Question.hidden_at.is_(None),
            Goal.hidden_at.is_(None),
        )
    )
    if viewer is not None:
        query = query.where(
            Goal.owner_id != viewer, or_(Goal.mentor_id.is_(None), Goal.mentor_id != viewer)
        )
    return db.session.scalar(query) or 0

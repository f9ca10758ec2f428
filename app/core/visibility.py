"""The one privacy gate: who may see a goal and everything under it.

Every page, list, feed, search hit and API response asks this module. Three rules:

1. A goal is visible to everyone while it is open; a closed goal only to its owner and its
   current mentor. Questions, answers, comments, milestones and journal entries inherit their
   goal's visibility (questions without a goal are public).
2. Content created while the goal was closed carries a private mark (``mentorship_id``): it
   stays visible only to the goal's owner and that mentorship's mentor, forever, even after
   the goal reopens or a later mentor takes over.
3. A post hidden by moderators (``hidden_at``), and everything under it (a goal's questions,
   answers, comments, milestones and journal; a question's answers and comments; an answer's
   comments), is visible only to admins and the hidden post's author, on top of rules 1 and 2
   (admins never see private content through it). Base queries (lists, feeds, profiles,
   counts, search, similar threads) leave hidden posts out for everyone; only the thread
   page of a post the viewer may open shows its hidden replies, with a banner.

Hidden things answer 404, never 403. The object checks here (``can_view_*``) and the base
queries in visible_queries.py (``visible_*``) state the same rules; every list starts from a
base query there. Who may see who asked an anonymous question is asker.py; which check applies
to which post type is the post registry (posts.py).
"""

from typing import Protocol, cast

from sqlalchemy import select

from app.core.errors import NotFound
from app.core.validation import parse_id
from app.extensions import db
from app.models import Answer, Comment, Goal, JournalEntry, Mentorship, Milestone, Question
from app.models.goals import VISIBILITY_OPEN


class Viewer(Protocol):
    """Who is looking: a User, Flask-Login's anonymous user or a stand-in reader (None: nobody).

    Every rule here takes one (typed ``Viewer | None``), so passing an id or a post where the
    viewer belongs is a type error, not a silently wrong answer.
    """

    @property
    def is_authenticated(self) -> bool: ...


class _SignedIn(Viewer, Protocol):
    """A viewer whose ``is_authenticated`` is true: only then is ``id`` read."""

    id: int


Post = Goal | Question | Answer | Comment
Marked = Question | Answer | Comment | Milestone | JournalEntry  # carry a private mark (rule 2)


def viewer_id(user: Viewer | None) -> int | None:
    """The signed-in viewer's id, or None for nobody / an anonymous reader."""
    if user is not None and getattr(user, "is_authenticated", False):
        return cast(_SignedIn, user).id
    return None


# -- objects --------------------------------------------------------------------------------


def viewer_is_admin(user: Viewer | None) -> bool:
    """Whether the (signed-in) viewer holds the admin role."""
    return viewer_id(user) is not None and bool(getattr(user, "is_admin", False))


def _hidden_allows(user: Viewer | None, item: Post, author_id: int) -> bool:
    """Rule 3: a post hidden by moderators only for admins and its author."""
    if item.hidden_at is None:
        return True
    viewer = viewer_id(user)
    return viewer is not None and (viewer == author_id or viewer_is_admin(user))


def can_view_goal(user: Viewer | None, goal: Goal | None) -> bool:
    """Whether the user (None or anonymous allowed) may see this goal."""
    if goal is None:
        return False
    if goal.visibility != VISIBILITY_OPEN:
        viewer = viewer_id(user)
        if viewer is None or viewer not in (goal.owner_id, goal.mentor_id):
            return False
    return _hidden_allows(user, goal, goal.owner_id)


def _mark_allows(user: Viewer | None, item: Marked, goal: Goal) -> bool:
    """Rule 2: a private-marked item only for the goal's owner and that phase's mentor."""
    if item.mentorship_id is None:
        return True
    viewer = viewer_id(user)
    # private_to is set whenever mentorship_id is (a foreign key); None only to the checker.
    mentor_id = item.private_to.mentor_id if item.private_to is not None else None
    return viewer is not None and viewer in (goal.owner_id, mentor_id)


def can_view_question(user: Viewer | None, question: Question | None) -> bool:
    """Questions inherit their goal's visibility; goal-less questions are public."""
    if question is None:
        return False
    if not _hidden_allows(user, question, question.owner_id):
        return False
    if question.goal_id is None:
        return True
    goal = question.goal
    return goal is not None and can_view_goal(user, goal) and _mark_allows(user, question, goal)


def can_view_answer(user: Viewer | None, answer: Answer | None) -> bool:
    """An answer needs its question visible, and its own mark allowing the viewer."""
    if answer is None or not _hidden_allows(user, answer, answer.owner_id):
        return False
    if not can_view_question(user, answer.question):
        return False
    goal = answer.question.goal
    return goal is None or _mark_allows(user, answer, goal)


def can_view_comment(user: Viewer | None, comment: Comment | None) -> bool:
    """A comment needs its post visible, and its own mark allowing the viewer."""
    if comment is None or not _hidden_allows(user, comment, comment.author_id):
        return False
    if comment.answer_id is not None:
        answer = db.session.get(Answer, comment.answer_id)
        if answer is None or not can_view_answer(user, answer):
            return False
        goal = answer.question.goal
    else:
        question = db.session.get(Question, comment.question_id)
        if question is None or not can_view_question(user, question):
            return False
        goal = question.goal
    return goal is None or _mark_allows(user, comment, goal)


def can_view_goal_item(user: Viewer | None, item: Milestone | JournalEntry | None) -> bool:
    """Milestones and journal entries: their goal visible and their mark allowing."""
    return (
        item is not None and can_view_goal(user, item.goal) and _mark_allows(user, item, item.goal)
    )


def is_participant(user: Viewer | None, goal: Goal) -> bool:
    """Owner or current mentor of a closed goal (who may use its private space)."""
    viewer = viewer_id(user)
    return (
        goal.visibility != VISIBILITY_OPEN
        and viewer is not None
        and viewer in (goal.owner_id, goal.mentor_id)
    )


# -- fetch one, or 404 ------------------------------------------------------------------------


def valid_id(value: object) -> bool:
    """Whether a caller-supplied id can name a row at all (an int within the column)."""
    return isinstance(value, int) and parse_id(value) is not None


def get_goal(user: Viewer | None, goal_id: object) -> Goal:
    """The goal if the user may see it, else NotFound."""
    goal = db.session.get(Goal, goal_id) if valid_id(goal_id) else None
    if goal is None or not can_view_goal(user, goal):
        raise NotFound("No such goal.")
    return goal


def mentored(user: Viewer | None, goal: Goal) -> bool:
    """Whether the user was (or is) the mentor of one of this goal's mentorships."""
    viewer = viewer_id(user)
    return (
        viewer is not None
        and db.session.scalar(
            select(Mentorship.id)
            .where(Mentorship.goal_id == goal.id, Mentorship.mentor_id == viewer)
            .limit(1)
        )
        is not None
    )


def get_space_goal(user: Viewer | None, goal_id: object) -> Goal:
    """A goal whose private space (messages, check-ins) the user may read, else NotFound.

    Everyone who may see the goal, and a former mentor even when it is closed to them now:
    they keep their own phase's private content forever (SPEC §3.1).
    """
    goal = db.session.get(Goal, goal_id) if valid_id(goal_id) else None
    if goal is None or not (can_view_goal(user, goal) or mentored(user, goal)):
        raise NotFound("No such goal.")
    return goal


def get_question(user: Viewer | None, question_id: object) -> Question:
    """The question if the user may see it, else NotFound."""
    question = db.session.get(Question, question_id) if valid_id(question_id) else None
    if question is None or not can_view_question(user, question):
        raise NotFound("No such question.")
    return question


def get_answer(user: Viewer | None, answer_id: object) -> Answer:
    """The answer if the user may see it, else NotFound."""
    answer = db.session.get(Answer, answer_id) if valid_id(answer_id) else None
    if answer is None or not can_view_answer(user, answer):
        raise NotFound("No such answer.")
    return answer


def get_milestone(user: Viewer | None, milestone_id: object) -> Milestone:
    """The milestone if the user may see it, else NotFound."""
    milestone = db.session.get(Milestone, milestone_id) if valid_id(milestone_id) else None
    if milestone is None or not can_view_goal_item(user, milestone):
        raise NotFound("No such milestone.")
    return milestone

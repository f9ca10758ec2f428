"""The one privacy gate: who may see a goal and everything under it.

Every page, list, feed and API response asks this module. A goal is visible to everyone
while it is open; a closed goal only to its owner and its mentor. Questions, answers,
comments and revisions inherit the visibility of their goal (questions without a goal are
public). Hidden things answer 404, never 403.
"""

from sqlalchemy import Select, or_, select

from app.extensions import db
from app.models import Answer, Goal, Milestone, Question
from app.models.goals import VISIBILITY_OPEN
from app.services.errors import NotFound


def _viewer_id(user) -> int | None:
    return user.id if user is not None and getattr(user, "is_authenticated", False) else None


def can_view_goal(user, goal: Goal | None) -> bool:
    """Whether the user (None or anonymous allowed) may see this goal."""
    if goal is None:
        return False
    if goal.visibility == VISIBILITY_OPEN:
        return True
    viewer = _viewer_id(user)
    return viewer is not None and viewer in (goal.owner_id, goal.mentor_id)


def can_view_question(user, question: Question | None) -> bool:
    """Questions inherit their goal's visibility; goal-less questions are public."""
    if question is None:
        return False
    return question.goal_id is None or can_view_goal(user, question.goal)


def can_view_answer(user, answer: Answer | None) -> bool:
    return answer is not None and can_view_question(user, answer.question)


def visible_goals(user) -> Select:
    """Base query of the goals this user may see: every goal list starts here."""
    query = select(Goal)
    viewer = _viewer_id(user)
    if viewer is None:
        return query.where(Goal.visibility == VISIBILITY_OPEN)
    return query.where(or_(Goal.visibility == VISIBILITY_OPEN, Goal.owner_id == viewer,
                           Goal.mentor_id == viewer))


def visible_questions(user) -> Select:
    """Base query of the questions this user may see: every question list starts here."""
    query = select(Question).outerjoin(Goal, Question.goal_id == Goal.id)
    viewer = _viewer_id(user)
    condition = or_(Question.goal_id.is_(None), Goal.visibility == VISIBILITY_OPEN)
    if viewer is not None:
        condition = or_(condition, Goal.owner_id == viewer, Goal.mentor_id == viewer)
    return query.where(condition)


def get_goal(user, goal_id) -> Goal:
    """The goal if the user may see it, else NotFound."""
    goal = db.session.get(Goal, goal_id) if _valid_id(goal_id) else None
    if not can_view_goal(user, goal):
        raise NotFound("No such goal.")
    return goal


def get_question(user, question_id) -> Question:
    """The question if the user may see it, else NotFound."""
    question = db.session.get(Question, question_id) if _valid_id(question_id) else None
    if not can_view_question(user, question):
        raise NotFound("No such question.")
    return question


def get_answer(user, answer_id) -> Answer:
    """The answer if the user may see it, else NotFound."""
    answer = db.session.get(Answer, answer_id) if _valid_id(answer_id) else None
    if not can_view_answer(user, answer):
        raise NotFound("No such answer.")
    return answer


def get_milestone(user, milestone_id) -> Milestone:
    """The milestone if the user may see its goal, else NotFound."""
    milestone = db.session.get(Milestone, milestone_id) if _valid_id(milestone_id) else None
    if milestone is None or not can_view_goal(user, milestone.goal):
        raise NotFound("No such milestone.")
    return milestone


def _valid_id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**31


def visible_answers(user) -> Select:
    """Base query of the answers this user may see (through their question's goal)."""
    # A join, not IN (every visible question id): the database starts from the answers'
    # own filter (one author's answers) and checks only their questions.
    query = (select(Answer).join(Question, Answer.question_id == Question.id)
             .outerjoin(Goal, Question.goal_id == Goal.id))
    viewer = _viewer_id(user)
    condition = or_(Question.goal_id.is_(None), Goal.visibility == VISIBILITY_OPEN)
    if viewer is not None:
        condition = or_(condition, Goal.owner_id == viewer, Goal.mentor_id == viewer)
    return query.where(condition)

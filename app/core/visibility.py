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

Hidden things answer 404, never 403. The object checks (``can_view_*``) and the base queries
(``visible_*``) state the same rules; every list starts from a base query here.
"""

from sqlalchemy import Select, and_, func, or_, select

from app.core.errors import NotFound
from app.core.validation import parse_id
from app.extensions import db
from app.models import Answer, Comment, Goal, JournalEntry, Mentorship, Milestone, Question
from app.models.goals import VISIBILITY_OPEN


def _viewer_id(user) -> int | None:
    return user.id if user is not None and getattr(user, "is_authenticated", False) else None


# -- objects --------------------------------------------------------------------------------


def viewer_is_admin(user) -> bool:
    """Whether the (signed-in) viewer holds the admin role."""
    return _viewer_id(user) is not None and bool(getattr(user, "is_admin", False))


def _hidden_allows(user, item, author_id: int) -> bool:
    """Rule 3: a post hidden by moderators only for admins and its author."""
    if item.hidden_at is None:
        return True
    viewer = _viewer_id(user)
    return viewer is not None and (viewer == author_id or viewer_is_admin(user))


def can_view_goal(user, goal: Goal | None) -> bool:
    """Whether the user (None or anonymous allowed) may see this goal."""
    if goal is None:
        return False
    if goal.visibility != VISIBILITY_OPEN:
        viewer = _viewer_id(user)
        if viewer is None or viewer not in (goal.owner_id, goal.mentor_id):
            return False
    return _hidden_allows(user, goal, goal.owner_id)


def _mark_allows(user, item, goal: Goal) -> bool:
    """Rule 2: a private-marked item only for the goal's owner and that phase's mentor."""
    if item.mentorship_id is None:
        return True
    viewer = _viewer_id(user)
    return viewer is not None and viewer in (goal.owner_id, item.private_to.mentor_id)


def can_view_question(user, question: Question | None) -> bool:
    """Questions inherit their goal's visibility; goal-less questions are public."""
    if question is None:
        return False
    if not _hidden_allows(user, question, question.owner_id):
        return False
    if question.goal_id is None:
        return True
    goal = question.goal
    return can_view_goal(user, goal) and _mark_allows(user, question, goal)


def can_view_answer(user, answer: Answer | None) -> bool:
    """An answer needs its question visible, and its own mark allowing the viewer."""
    if answer is None or not _hidden_allows(user, answer, answer.owner_id):
        return False
    if not can_view_question(user, answer.question):
        return False
    goal = answer.question.goal
    return goal is None or _mark_allows(user, answer, goal)


def can_view_comment(user, comment: Comment | None) -> bool:
    """A comment needs its post visible, and its own mark allowing the viewer."""
    if comment is None or not _hidden_allows(user, comment, comment.author_id):
        return False
    if comment.answer_id is not None:
        answer = db.session.get(Answer, comment.answer_id)
        if not can_view_answer(user, answer):
            return False
        goal = answer.question.goal
    else:
        question = db.session.get(Question, comment.question_id)
        if not can_view_question(user, question):
            return False
        goal = question.goal
    return goal is None or _mark_allows(user, comment, goal)


def can_view_goal_item(user, item: Milestone | JournalEntry | None) -> bool:
    """Milestones and journal entries: their goal visible and their mark allowing."""
    return (
        item is not None and can_view_goal(user, item.goal) and _mark_allows(user, item, item.goal)
    )


class _PublicReader:
    """A reader who sees what an anonymous reader would, were nothing hidden by moderators.

    Rule 3 lets admins past a moderator's hiding, never past rules 1 and 2; id 0 belongs
    to no account, so this reader is neither an owner, a mentor nor an author.
    """

    id = 0
    is_authenticated = True
    is_admin = True


def can_view_post(user, item) -> bool:
    """The object check for a goal, question, answer or comment, whichever item is."""
    check = {
        Goal: can_view_goal,
        Question: can_view_question,
        Answer: can_view_answer,
        Comment: can_view_comment,
    }.get(type(item))
    return check is not None and check(user, item)


def is_public_post(item) -> bool:
    """Whether an anonymous reader could see this goal/question/answer/comment, were it not
    hidden by moderators: only such posts can be flagged and hidden (private mentorship
    content stays out of moderators' sight)."""
    return can_view_post(_PublicReader(), item)


def parent_of(comment: Comment) -> Question | Answer | None:
    """The question or answer a comment sits under."""
    if comment.answer_id is not None:
        return db.session.get(Answer, comment.answer_id)
    return db.session.get(Question, comment.question_id)


def thread_of(post) -> Question | None:
    """The question a question, answer or comment belongs to (None for anything else)."""
    if isinstance(post, Comment):
        post = parent_of(post)
    if isinstance(post, Answer):
        return post.question
    return post if isinstance(post, Question) else None


def hidden_by_moderators(item) -> bool:
    """Whether this post, or a post it sits under, is hidden by moderators (rule 3)."""
    while item is not None:
        if item.hidden_at is not None:
            return True
        if isinstance(item, Comment):
            item = parent_of(item)
        elif isinstance(item, Answer):
            item = item.question
        elif isinstance(item, Question):
            item = item.goal
        else:
            return False
    return False


ANONYMOUS_ASKER = "anonymous protégé"


def can_see_asker(user, question: Question | None) -> bool:
    """Who may see who asked: everyone, unless the question was asked anonymously.

    Then only the asker and admins. Every page, list, feed, search document, API object,
    revision and notification that would name the asker (or an edit/answer/comment that
    gives them away) asks this one rule.
    """
    if question is None or not question.anonymous:
        return True
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return user.id == question.owner_id or bool(getattr(user, "is_admin", False))


def reveals_asker(user, question: Question | None, author_id: int | None) -> bool:
    """Whether showing author_id on this question's thread would name a hidden asker."""
    return (
        question is not None
        and author_id is not None
        and author_id == question.owner_id
        and not can_see_asker(user, question)
    )


def asker_view(user, question: Question) -> str:
    """How a page shows the asker: "public" (named), "self" or "admin" (an anonymous
    question, shown with a note to the asker / an admin) or "hidden" (anonymous protégé)."""
    if not question.anonymous:
        return "public"
    if not can_see_asker(user, question):
        return "hidden"
    return "self" if user.id == question.owner_id else "admin"


def anonymous_clause(user):
    """SQL for lists that name authors: anonymous questions only for their asker/admins."""
    if user is not None and getattr(user, "is_admin", False):
        return Question.id.isnot(None)
    viewer = _viewer_id(user)
    if viewer is None:
        return Question.anonymous.is_(False)
    return or_(Question.anonymous.is_(False), Question.owner_id == viewer)


def is_participant(user, goal: Goal) -> bool:
    """Owner or current mentor of a closed goal (who may use its private space)."""
    viewer = _viewer_id(user)
    return (
        goal.visibility != VISIBILITY_OPEN
        and viewer is not None
        and viewer in (goal.owner_id, goal.mentor_id)
    )


# -- base queries ---------------------------------------------------------------------------


def _mark_clause(model, viewer: int | None):
    """SQL for rule 2 (the goal is already joined): unmarked, or marked for this viewer."""
    if viewer is None:
        return model.mentorship_id.is_(None)
    mine = select(Mentorship.id).where(Mentorship.mentor_id == viewer).scalar_subquery()
    return or_(
        model.mentorship_id.is_(None), model.mentorship_id.in_(mine), Goal.owner_id == viewer
    )


def _goal_clause(viewer: int | None):
    """SQL for rule 1 (the goal is already joined)."""
    if viewer is None:
        return Goal.visibility == VISIBILITY_OPEN
    return or_(
        Goal.visibility == VISIBILITY_OPEN, Goal.owner_id == viewer, Goal.mentor_id == viewer
    )


def _thread_hidden_clause(model, author_column, user):
    """Rule 3 on a thread page: hidden replies only for admins and their authors."""
    if viewer_is_admin(user):
        return model.id.isnot(None)
    viewer = _viewer_id(user)
    if viewer is None:
        return model.hidden_at.is_(None)
    return or_(model.hidden_at.is_(None), author_column == viewer)


def _goalless(model):
    """SQL "no goal", written so no index can serve it (goal ids start at 1).

    A bare ``goal_id IS NULL OR (…mentorship_id IS NULL…)`` lets SQLite answer the OR from
    two indexes and then sort every visible question by hand (home page at 150k posts:
    ~250 ms); wrapped, it walks the created_at index and stops after one page (~1 ms).
    """
    return func.coalesce(model.goal_id, 0) == 0


def visible_goals(user) -> Select:
    """Base query of the goals this user may see: every goal list starts here."""
    return select(Goal).where(_goal_clause(_viewer_id(user)), Goal.hidden_at.is_(None))


def visible_questions(user) -> Select:
    """Base query of the questions this user may see: every question list starts here."""
    viewer = _viewer_id(user)
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


def _answers_query(viewer: int | None, answer_hidden) -> Select:
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


def visible_answers(user) -> Select:
    """Base query of the answers this user may see (through their question's goal)."""
    return _answers_query(_viewer_id(user), Answer.hidden_at.is_(None)).where(
        Question.hidden_at.is_(None), or_(Goal.id.is_(None), Goal.hidden_at.is_(None))
    )


def thread_answers(user, question: Question) -> Select:
    """The answers on the page of a question the caller checked the user may see.

    Unlike the base query this keeps hidden answers for admins and their authors (shown
    with a banner); the question's own hidden state was settled by the caller's check.
    """
    return _answers_query(
        _viewer_id(user), _thread_hidden_clause(Answer, Answer.owner_id, user)
    ).where(Answer.question_id == question.id)


def visible_goal_items(user, model, goal: Goal) -> Select:
    """Milestones or journal entries of a goal the user can see (the caller checked it)."""
    return (
        select(model)
        .join(Goal, model.goal_id == Goal.id)
        .where(model.goal_id == goal.id, _mark_clause(model, _viewer_id(user)))
    )


def visible_comment_filter(user, goal: Goal | None):
    """Extra WHERE for a visible thread's comments: rules 2 and 3 on each comment."""
    hidden = _thread_hidden_clause(Comment, Comment.author_id, user)
    if goal is None:
        return and_(Comment.mentorship_id.is_(None), hidden)
    viewer = _viewer_id(user)
    if viewer is not None and viewer == goal.owner_id:
        return hidden
    if viewer is None:
        return and_(Comment.mentorship_id.is_(None), hidden)
    mine = select(Mentorship.id).where(Mentorship.mentor_id == viewer).scalar_subquery()
    return and_(or_(Comment.mentorship_id.is_(None), Comment.mentorship_id.in_(mine)), hidden)


def hidden_public_answer_count(user, author) -> int:
    """Rule 6: the author's public-phase answers under goals now closed to this viewer.

    Profiles count them without titles or text; answers written in a private phase are
    not counted at all (their existence is private too).
    """
    viewer = _viewer_id(user)
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


# -- fetch one, or 404 ------------------------------------------------------------------------


def valid_id(value) -> bool:
    """Whether a caller-supplied id can name a row at all (an int within the column)."""
    return isinstance(value, int) and parse_id(value) is not None


def get_goal(user, goal_id) -> Goal:
    """The goal if the user may see it, else NotFound."""
    goal = db.session.get(Goal, goal_id) if valid_id(goal_id) else None
    if not can_view_goal(user, goal):
        raise NotFound("No such goal.")
    return goal


def mentored(user, goal: Goal) -> bool:
    """Whether the user was (or is) the mentor of one of this goal's mentorships."""
    viewer = _viewer_id(user)
    return (
        viewer is not None
        and db.session.scalar(
            select(Mentorship.id)
            .where(Mentorship.goal_id == goal.id, Mentorship.mentor_id == viewer)
            .limit(1)
        )
        is not None
    )


def get_space_goal(user, goal_id) -> Goal:
    """A goal whose private space (messages, check-ins) the user may read, else NotFound.

    Everyone who may see the goal, and a former mentor even when it is closed to them now:
    they keep their own phase's private content forever (SPEC §3.1).
    """
    goal = db.session.get(Goal, goal_id) if valid_id(goal_id) else None
    if goal is None or not (can_view_goal(user, goal) or mentored(user, goal)):
        raise NotFound("No such goal.")
    return goal


def get_question(user, question_id) -> Question:
    """The question if the user may see it, else NotFound."""
    question = db.session.get(Question, question_id) if valid_id(question_id) else None
    if not can_view_question(user, question):
        raise NotFound("No such question.")
    return question


def get_answer(user, answer_id) -> Answer:
    """The answer if the user may see it, else NotFound."""
    answer = db.session.get(Answer, answer_id) if valid_id(answer_id) else None
    if not can_view_answer(user, answer):
        raise NotFound("No such answer.")
    return answer


def get_milestone(user, milestone_id) -> Milestone:
    """The milestone if the user may see it, else NotFound."""
    milestone = db.session.get(Milestone, milestone_id) if valid_id(milestone_id) else None
    if not can_view_goal_item(user, milestone):
        raise NotFound("No such milestone.")
    return milestone

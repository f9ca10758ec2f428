"""Questions, answers and comments: posting, editing, answered-in links, lists."""

from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import contains_eager, selectinload

from app.core import validation as v
from app.core.asker import can_see_asker_clause, reveals_asker
from app.core.errors import Forbidden, ValidationFailed
from app.core.pagination import Page, paginate
from app.core.transaction import write_transaction
from app.core.visibility import can_view_question, get_goal, get_question
from app.core.visible_queries import (
    thread_answers,
    visible_answers,
    visible_comment_filter,
    visible_questions,
)
from app.extensions import db
from app.models import Answer, Comment, Question, User
from app.models.base import utcnow
from app.models.questions import question_tags
from app.rendering import render_markdown
from app.services import notification_events
from app.services.blocks import blocked
from app.services.phases import private_mark_for, require_editable
from app.services.revisions import record_revision
from app.services.tags import get_or_create_tags, tag_filter

QUESTION_FIELDS = ("title", "body", "tags", "goal_id", "anonymous")
SORTS = ("newest", "votes", "unanswered", "active")
# Linking a question to an earlier thread: the owner, or anyone with this much reputation.
ANSWERED_IN_REPUTATION = 500


def _check_question_fields(data: dict, *, partial: bool) -> dict:
    errors = v.FieldErrors()
    for name in set(data) - set(QUESTION_FIELDS):
        errors.add(name, "Unknown field.")
    clean = {}
    checks = {
        "title": (v.check_title, {}),
        "body": (v.check_body, {"label": "Body"}),
        "tags": (v.check_post_tags, {}),
    }
    for name, (func_, kwargs) in checks.items():
        if name in data:
            clean[name] = errors.check(name, func_, data[name], **kwargs)
        elif not partial:
            errors.add(name, "This field is required.")
    goal_id = data.get("goal_id")
    if goal_id is not None and (isinstance(goal_id, bool) or not isinstance(goal_id, int)):
        errors.add("goal_id", "Must be a goal id.")
    anonymous = data.get("anonymous", False)
    if not isinstance(anonymous, bool):
        errors.add("anonymous", "Must be true or false.")
    elif anonymous and goal_id is not None:
        # A goal's questions are shown as its owner's (goal page, mentorship): asking one
        # anonymously would hide nothing, so it is refused rather than pretended.
        errors.add(
            "anonymous", "Questions about a goal cannot be anonymous: the goal names its owner."
        )
    errors.raise_if_any()
    return clean


def ask_question(owner: User, data: dict) -> Question:
    """Post a question (title 10–150, body ≤ 20,000, 1–5 tags), optionally under own goal."""
    clean = _check_question_fields(data, partial=False)
    goal = None
    if data.get("goal_id") is not None:
        goal = get_goal(owner, data["goal_id"])
        if goal.owner_id != owner.id:
            raise Forbidden("You can only ask questions under your own goals.")
    with write_transaction() as session:
        mark = private_mark_for(session, goal.id if goal else None)
        question = Question(
            owner_id=owner.id,
            goal_id=goal.id if goal else None,
            title=clean["title"],
            body=clean["body"],
            body_html=render_markdown(clean["body"], private=mark is not None),
            tags=get_or_create_tags(clean["tags"]),
            mentorship_id=mark,
            anonymous=data.get("anonymous") is True,
        )
        session.add(question)
    return question


def require_author(user: User, owner_id: int, what: str) -> None:
    """Only a post's author may edit it (403 otherwise)."""
    if user is None or user.id != owner_id:
        raise Forbidden(f"Only the author can edit this {what}.")


def edit_question(user: User, question: Question, data: dict) -> Question:
    """Edit title/body/tags of one's own question; the previous text becomes a revision."""
    require_author(user, question.owner_id, "question")
    if "goal_id" in data:
        raise ValidationFailed(
            "A question's goal cannot be changed.", {"goal_id": ["Cannot be changed."]}
        )
    if "anonymous" in data:
        raise ValidationFailed(
            "Whether a question is anonymous is chosen when asking.",
            {"anonymous": ["Cannot be changed."]},
        )
    clean = _check_question_fields(data, partial=True)
    old_tags = [t.name for t in question.tags]
    changed = (
        clean.get("title", question.title) != question.title
        or clean.get("body", question.body) != question.body
        or clean.get("tags", old_tags) != old_tags
    )
    if not changed:
        return question  # an edit that changes nothing leaves no revision
    with write_transaction() as session:
        require_editable(session, question.goal_id, question)
        record_revision(
            "question", question, user, title=question.title, body=question.body, tags=old_tags
        )
        if "title" in clean:
            question.title = clean["title"]
        if "body" in clean:
            question.body = clean["body"]
            question.body_html = render_markdown(
                clean["body"], private=question.mentorship_id is not None
            )
        if "tags" in clean:
            question.tags = get_or_create_tags(clean["tags"])
        question.updated_at = utcnow()
    return question


def _refused_by_block(user: User, thread: Question, author_id: int) -> bool:
    """Whether the post's author blocked the user, as far as the user may learn it.

    An anonymous asker's block is not enforced by a refusal: "the asker has blocked you"
    would tell the user who asked (rule 7). Their replies still post; ``notify`` keeps the
    blocker from hearing of them.
    """
    return not reveals_asker(user, thread, author_id) and blocked(author_id, user.id)


def post_answer(user: User, question: Question, body) -> Answer:
    """Answer a question (20–20,000 characters)."""
    if _refused_by_block(user, question, question.owner_id):
        raise Forbidden("The asker has blocked you: you cannot answer their questions.")
    errors = v.FieldErrors()
    body = errors.check("body", v.check_body, body, min_length=v.ANSWER_MIN, label="Answer")
    errors.raise_if_any()
    with write_transaction() as session:
        mark = private_mark_for(session, question.goal_id)
        answer = Answer(
            question_id=question.id,
            owner_id=user.id,
            body=body,
            body_html=render_markdown(body, private=mark is not None),
            mentorship_id=mark,
        )
        session.add(answer)
        # The count is what the question's readers see: a private answer on a public-phase
        # question is not counted, so the count cannot tell that it exists.
        counted = mark is None or mark == question.mentorship_id
        # Atomic increment: concurrent answers never lose a count. The activity time
        # (sort=active, feeds, API) moves only for what its readers can see (rule 7).
        if counted:
            session.execute(
                update(Question)
                .where(Question.id == question.id)
                .values(answer_count=Question.answer_count + 1, updated_at=utcnow())
            )
        notification_events.answer_posted(session, question, answer)
    return answer


def edit_answer(user: User, answer: Answer, body) -> Answer:
    """Edit one's own answer; the previous text becomes a revision."""
    require_author(user, answer.owner_id, "answer")
    errors = v.FieldErrors()
    body = errors.check("body", v.check_body, body, min_length=v.ANSWER_MIN, label="Answer")
    errors.raise_if_any()
    if body == answer.body:
        return answer  # nothing changed: no revision
    with write_transaction() as session:
        require_editable(session, answer.question.goal_id, answer)
        record_revision("answer", answer, user, body=answer.body)
        answer.body = body
        answer.body_html = render_markdown(body, private=answer.mentorship_id is not None)
        answer.updated_at = utcnow()
    return answer


def add_comment(
    user: User, *, question: Question | None = None, answer: Answer | None = None, body
) -> Comment:
    """A short (≤ 600 characters) clarification on a question or an answer."""
    post: Question | Answer
    if question is not None:
        post, thread = question, question
    elif answer is not None:
        post, thread = answer, answer.question
    else:
        raise TypeError("add_comment needs a question or an answer")
    if _refused_by_block(user, thread, post.owner_id):
        raise Forbidden("This user has blocked you: you cannot comment on their posts.")
    errors = v.FieldErrors()
    body = errors.check("body", v.check_body, body, max_length=v.COMMENT_MAX, label="Comment")
    errors.raise_if_any()
    with write_transaction() as session:
        goal_id = thread.goal_id
        mark = private_mark_for(session, goal_id)
        comment = Comment(
            question_id=question.id if question else None,
            answer_id=answer.id if answer else None,
            author_id=user.id,
            body=body,
            body_html=render_markdown(body, private=mark is not None),
            mentorship_id=mark,
        )
        session.add(comment)
        notification_events.comment_posted(session, comment, post)
    return comment


def set_answered_in(user: User, question: Question, target_id) -> Question:
    """Link to an earlier thread that answers this one (owner, or ≥ 500 reputation)."""
    if user.id != question.owner_id and user.reputation < ANSWERED_IN_REPUTATION:
        raise Forbidden(
            f"Only the asker or users with {ANSWERED_IN_REPUTATION} reputation "
            "can link an answering thread."
        )
    if isinstance(target_id, bool) or not isinstance(target_id, int):
        raise ValidationFailed(
            "Give the id of the earlier question.", {"question_id": ["Must be a question id."]}
        )
    target = get_question(user, target_id)
    if target.id == question.id:
        raise ValidationFailed(
            "A question cannot answer itself.", {"question_id": ["Must be another question."]}
        )
    # Only an *earlier* thread can answer this one, which also rules out link cycles.
    if (target.created_at, target.id) > (question.created_at, question.id):
        raise ValidationFailed(
            "Link to an earlier thread.",
            {"question_id": ["Must be a question asked before this one."]},
        )
    # A link is read by everyone who reads the question: it may not point into a closed
    # goal unless the question is itself private content of that goal (rule 7).
    if not can_view_question(None, target) and not (
        question.mentorship_id is not None and question.goal_id == target.goal_id
    ):
        raise ValidationFailed(
            "Link a thread that everyone who reads this one can read.",
            {"question_id": ["Must be a public question."]},
        )
    with write_transaction() as session:
        # Like an edit: public-phase threads are frozen while their goal is closed.
        require_editable(session, question.goal_id, question)
        question.answered_in_id = target.id
    return question


def clear_answered_in(user: User, question: Question) -> Question:
    """Remove the "answered in" link (same permission as setting it)."""
    if user.id != question.owner_id and user.reputation < ANSWERED_IN_REPUTATION:
        raise Forbidden("You cannot change this link.")
    with write_transaction() as session:
        require_editable(session, question.goal_id, question)
        question.answered_in_id = None
    return question


def list_questions(
    viewer, *, tag=None, sort="newest", owner=None, goal_id=None, page=1, per_page=20, count=True
) -> Page:
    """Questions the viewer may see: newest, by votes, or unanswered (newest first)."""
    if sort not in SORTS:
        raise ValidationFailed("Unknown sort.", {"sort": [f"One of: {', '.join(SORTS)}."]})
    query = visible_questions(viewer)
    if tag:
        query = query.where(tag_filter(question_tags.c.question_id, Question.id, tag))
    if owner is not None:
        # An author's list never shows their anonymous questions to others (nor counts them).
        query = query.where(Question.owner_id == owner.id, can_see_asker_clause(viewer))
    if goal_id is not None:
        query = query.where(Question.goal_id == goal_id)
    order: tuple[Any, ...] = {
        "newest": (Question.created_at.desc(), Question.id.desc()),
        "votes": (Question.score.desc(), Question.created_at.desc()),
        "unanswered": (Question.created_at.desc(), Question.id.desc()),
        "active": (Question.updated_at.desc(), Question.id.desc()),
    }[sort]
    if sort == "unanswered":
        query = query.where(Question.answer_count == 0)
    query = query.options(selectinload(Question.outcome), selectinload(Question.answered_in))
    return paginate(query.order_by(*order), page, per_page, count=count)


def answers_for_page(viewer, question: Question) -> list[Answer]:
    """A thread's answers the viewer may see: helped-me first, then score, then oldest."""
    answers = db.session.scalars(thread_answers(viewer, question)).unique().all()
    return sorted(answers, key=lambda a: (not a.helpful, -a.score, a.created_at, a.id))


def comments_for(viewer, question: Question, answers: list[Answer]) -> dict:
    """Visible comments keyed by ("question", id) / ("answer", id), oldest first."""
    answer_ids = [a.id for a in answers]
    rows = (
        db.session.scalars(
            select(Comment)
            .where(
                (Comment.question_id == question.id) | Comment.answer_id.in_(answer_ids or [-1]),
                visible_comment_filter(viewer, question.goal),
            )
            .order_by(Comment.created_at, Comment.id)
        )
        .unique()
        .all()
    )
    grouped: dict = {}
    for comment in rows:
        key = (
            ("question", comment.question_id)
            if comment.question_id
            else ("answer", comment.answer_id)
        )
        grouped.setdefault(key, []).append(comment)
    return grouped


def list_answers(viewer, *, owner: User, page=1, per_page=20) -> Page:
    """An author's answers that the viewer may see, newest first."""
    # The asker's answers on their own anonymous question would name them: left out too.
    query = (
        visible_answers(viewer)
        .where(
            Answer.owner_id == owner.id,
            or_(can_see_asker_clause(viewer), Question.owner_id != Answer.owner_id),
        )
        .options(contains_eager(Answer.question))
    )
    return paginate(query.order_by(Answer.created_at.desc(), Answer.id.desc()), page, per_page)

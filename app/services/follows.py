"""Following tags, goals and questions, and the "following" feed (SPEC §1 Tags, issue 6).

A user may follow only what they can see (hidden or unknown goals and questions answer 404,
never 403); any well-formed tag name can be followed, so tag existence is no oracle.
Follow and unfollow are idempotent. The feed lists public questions and answers in what
the user follows; it starts from the visibility gate's base queries with an anonymous
viewer, so content of a goal that closes disappears from every follower's feed at once.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, literal, select, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from app.core.errors import NotFound
from app.core.pagination import Page
from app.core.transaction import write_transaction
from app.core.validation import TAG_MAX, TAG_RE, parse_id
from app.core.visibility import can_view_goal, can_view_question, get_goal, get_question
from app.core.visible_queries import visible_answers, visible_questions
from app.extensions import db
from app.models import Answer, Goal, Question, Tag, User
from app.models.questions import question_tags
from app.models.social import FOLLOW_TARGETS, Follow
from app.services.tags import get_or_create_tags


@dataclass
class Followed:
    """One thing a user follows, labelled only when they may still see it."""

    target_type: str
    target_id: int
    key: str  # what goes in URLs: the tag name, or the id
    label: str | None  # tag name or title; None when the target is hidden from the user now
    created_at: datetime

    @property
    def visible(self) -> bool:
        return self.label is not None


def _check_type(target_type) -> str:
    if target_type not in FOLLOW_TARGETS:
        raise NotFound("You can follow a tag, a goal or a question.")
    return target_type


def _parse_id(key) -> int:
    target_id = parse_id(key)
    if target_id is None:
        raise NotFound("No such goal or question.")
    return target_id


def _tag_name(name) -> str:
    name = str(name).strip().lower()
    if not name or len(name) > TAG_MAX or not TAG_RE.fullmatch(name):
        raise NotFound("No such tag.")
    return name


def _tag_by_name(name) -> Tag:
    """Any well-formed tag name can be followed, used yet or not: whether a tag exists may
    tell that it is used on private posts only (rule 7), so the answer never depends on it."""
    name = _tag_name(name)
    tag = db.session.scalar(select(Tag).where(Tag.name == name))
    if tag is None:
        with write_transaction():
            tag = get_or_create_tags([name])[0]
    return tag


def resolve(user, target_type, key) -> int:
    """The id of a target the user may see (404 for unknown or hidden targets)."""
    target_type = _check_type(target_type)
    if target_type == "tag":
        return _tag_by_name(key).id
    if target_type == "goal":
        return get_goal(user, _parse_id(key)).id
    return get_question(user, _parse_id(key)).id


def follow(user: User, target_type, key) -> int:
    """Follow a visible tag, goal or question (idempotent); returns the target id."""
    target_id = resolve(user, target_type, key)
    if not is_following(user, target_type, target_id):
        try:
            with write_transaction() as session:
                session.add(Follow(user_id=user.id, target_type=target_type, target_id=target_id))
        except IntegrityError:
            db.session.rollback()  # a double click at the same moment: already following
    return target_id


def unfollow(user: User, target_type, key) -> None:
    """Stop following (idempotent). Works for targets that became hidden since."""
    target_type = _check_type(target_type)
    if target_type == "tag":
        tag_id = db.session.scalar(select(Tag.id).where(Tag.name == _tag_name(key)))
        if tag_id is None:
            return  # never followed: nothing to do, whether or not the tag exists
        target_id = tag_id
    else:
        target_id = _parse_id(key)
        if not is_following(user, target_type, target_id):
            resolve(user, target_type, target_id)  # 404 for what the user cannot know
    with write_transaction() as session:
        session.execute(
            delete(Follow).where(
                Follow.user_id == user.id,
                Follow.target_type == target_type,
                Follow.target_id == target_id,
            )
        )


def is_following(user, target_type: str, target_id: int) -> bool:
    """Whether the user follows this target."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return db.session.get(Follow, (user.id, target_type, target_id)) is not None


def follow_state(user, target_type: str, key) -> bool | None:
    """For the follow button: True/False, or None when there is nothing to follow."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if target_type == "tag":
        tag_id = db.session.scalar(select(Tag.id).where(Tag.name == str(key).lower()))
        return False if tag_id is None else is_following(user, "tag", tag_id)
    try:
        return is_following(user, target_type, _parse_id(key))
    except NotFound:
        return None


def list_follows(user: User, page: int = 1, per_page: int = 100) -> Page:
    """What the user follows, newest first; hidden goals/questions carry no label."""
    query = select(Follow).where(Follow.user_id == user.id)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.session.scalars(
        query.order_by(Follow.created_at.desc(), Follow.target_type, Follow.target_id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    items = []
    for row in rows:
        key: str | None = str(row.target_id)
        label: str | None = None
        if row.target_type == "tag":
            tag = db.session.get(Tag, row.target_id)
            key = label = tag.name if tag else None
        elif row.target_type == "goal":
            goal = db.session.get(Goal, row.target_id)
            label = goal.title if goal is not None and can_view_goal(user, goal) else None
        else:
            question = db.session.get(Question, row.target_id)
            label = (
                question.title
                if question is not None and can_view_question(user, question)
                else None
            )
        if key is not None:
            items.append(Followed(row.target_type, row.target_id, key, label, row.created_at))
    return Page(items=items, page=page, per_page=per_page, total=total)


@dataclass
class FeedItem:
    kind: str  # "question" or "answer"
    post: Question | Answer
    created_at: datetime


def _followed_ids(user: User, target_type: str):
    return select(Follow.target_id).where(
        Follow.user_id == user.id, Follow.target_type == target_type
    )


def following_feed(user: User, page: int = 1, per_page: int = 20) -> Page:
    """Public questions and answers in the user's followed tags, goals and questions.

    Both halves start from the gate's base queries for an anonymous viewer (public content
    only); one UNION ALL orders and pages them in the database, newest first.
    """
    tags, goals, questions = (_followed_ids(user, t) for t in FOLLOW_TARGETS)
    tagged = select(question_tags.c.question_id).where(question_tags.c.tag_id.in_(tags))
    question_rows = (
        visible_questions(None)
        .with_only_columns(
            literal("question").label("kind"),
            Question.id.label("id"),
            Question.created_at.label("created_at"),
        )
        .where(Question.id.in_(questions) | Question.goal_id.in_(goals) | Question.id.in_(tagged))
    )
    answer_rows = (
        visible_answers(None)
        .with_only_columns(
            literal("answer").label("kind"),
            Answer.id.label("id"),
            Answer.created_at.label("created_at"),
        )
        .where(
            Answer.question_id.in_(questions)
            | Question.goal_id.in_(goals)
            | Answer.question_id.in_(tagged)
        )
    )
    feed = union_all(question_rows, answer_rows).subquery()
    rows = db.session.execute(
        select(feed.c.kind, feed.c.id, feed.c.created_at)
        .order_by(feed.c.created_at.desc(), feed.c.kind, feed.c.id.desc())
        .limit(per_page + 1)
        .offset((page - 1) * per_page)
    ).all()
    more = len(rows) > per_page
    rows = rows[:per_page]
    question_ids = [r.id for r in rows if r.kind == "question"]
    answer_ids = [r.id for r in rows if r.kind == "answer"]
    loaded = {
        ("question", q.id): q
        for q in db.session.scalars(
            visible_questions(None).where(Question.id.in_(question_ids or [-1]))
        ).unique()
    }
    loaded.update(
        {
            ("answer", a.id): a
            for a in db.session.scalars(
                visible_answers(None)
                .where(Answer.id.in_(answer_ids or [-1]))
                .options(contains_eager(Answer.question))
            ).unique()
        }
    )
    items = [
        FeedItem(r.kind, loaded[(r.kind, r.id)], r.created_at)
        for r in rows
        if (r.kind, r.id) in loaded
    ]
    return Page(items=items, page=page, per_page=per_page, total=None, more=more)

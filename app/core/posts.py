"""The post types (goal, question, answer, comment): what each one is, in one place.

Per type: its model, its search ``doc_type``, where it sits (``parent`` / ``thread_of``), its
page ``url``, its author column, its gate check (``can_view``, the rules of visibility.py),
and whether it is indexed, flaggable and votable. Code that handles "any post" asks this
registry instead of branching on the type; a new post type is added here first.

The search documents of indexed types are built in the search layer (``BUILDERS`` in
app/search/indexer.py, keyed by these names), which this core module cannot import.
URLs are plain paths: the same strings the routes serve, built without a request context so
the indexer, the mailer and the CLI can use them too.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from app.core.visibility import (
    can_view_answer,
    can_view_comment,
    can_view_goal,
    can_view_question,
)
from app.core.visible_queries import visible_answers, visible_goals, visible_questions
from app.extensions import db
from app.models import Answer, Comment, Goal, Question

GOAL, QUESTION, ANSWER, COMMENT = "goal", "question", "answer", "comment"

Post = Goal | Question | Answer | Comment  # "any post": what the registry has an entry for


def _goal_url(goal: Goal) -> str:
    return f"/goals/{goal.id}"


def _question_url(question: Question) -> str:
    return f"/questions/{question.id}"


def _answer_url(answer: Answer) -> str:
    return f"/questions/{answer.question_id}#answer-{answer.id}"


def _comment_url(comment: Comment) -> str:
    question = thread_of(comment)
    # A comment always has a thread: one parent by the one_parent check, kept by foreign keys.
    assert question is not None
    return f"/questions/{question.id}#comment-{comment.id}"


def _comment_parent(comment: Comment) -> Question | Answer | None:
    if comment.answer_id is not None:
        return db.session.get(Answer, comment.answer_id)
    return db.session.get(Question, comment.question_id)


def _comment_parent_key(comment: Comment) -> tuple[str, int]:
    if comment.answer_id is not None:
        return ANSWER, comment.answer_id
    assert comment.question_id is not None  # the one_parent check: no answer, so a question
    return QUESTION, comment.question_id


@dataclass(frozen=True)
class PostType:
    """One post type: its model, place, page, author, gate check and capabilities."""

    name: str
    # One of Post's models; typed loosely because session.get() on a union of model classes
    # infers their common base (Base), losing the attributes every caller reads.
    model: type[Any]
    author_attr: str  # the column naming the post's author
    titled: bool  # has a title of its own (answers and comments show their thread's)
    can_view: Callable[[Any, Any], bool]  # the gate's object check for this type
    visible_query: Callable[[Any], Any] | None  # the gate's base query (None: none of its own)
    parent: Callable[[Any], Any]  # the post it sits under (a question's goal; None at the top)
    thread_of: Callable[[Any], Question | None]  # the question it belongs to (goals: None)
    parent_key: Callable[[Any], tuple[str, int] | None]  # (type, id) of parent, not loading it
    url: Callable[[Any], str]  # the page path where it is read (replies: at their anchor)
    indexed: bool  # public posts of this type are search documents
    flaggable: bool
    votable: bool

    @property
    def doc_type(self) -> str | None:
        """The search document type (the type's name), or None when not indexed."""
        return self.name if self.indexed else None

    @property
    def author_column(self):
        """The model column holding the author's user id (for SQL)."""
        return getattr(self.model, self.author_attr)

    def author_id(self, post) -> int:
        """The id of the post's author."""
        return getattr(post, self.author_attr)


POST_TYPES: dict[str, PostType] = {
    GOAL: PostType(
        GOAL,
        Goal,
        "owner_id",
        titled=True,
        can_view=can_view_goal,
        visible_query=visible_goals,
        parent=lambda goal: None,
        thread_of=lambda goal: None,
        parent_key=lambda goal: None,
        url=_goal_url,
        indexed=True,
        flaggable=True,
        votable=False,
    ),
    QUESTION: PostType(
        QUESTION,
        Question,
        "owner_id",
        titled=True,
        can_view=can_view_question,
        visible_query=visible_questions,
        parent=lambda question: question.goal,
        thread_of=lambda question: question,
        parent_key=lambda question: (GOAL, question.goal_id) if question.goal_id else None,
        url=_question_url,
        indexed=True,
        flaggable=True,
        votable=True,
    ),
    ANSWER: PostType(
        ANSWER,
        Answer,
        "owner_id",
        titled=False,
        can_view=can_view_answer,
        visible_query=visible_answers,
        parent=lambda answer: answer.question,
        thread_of=lambda answer: answer.question,
        parent_key=lambda answer: (QUESTION, answer.question_id),
        url=_answer_url,
        indexed=True,
        flaggable=True,
        votable=True,
    ),
    COMMENT: PostType(
        COMMENT,
        Comment,
        "author_id",
        titled=False,
        can_view=can_view_comment,
        visible_query=None,
        parent=_comment_parent,
        thread_of=lambda comment: thread_of(_comment_parent(comment)),
        parent_key=_comment_parent_key,
        url=_comment_url,
        indexed=False,
        flaggable=True,
        votable=False,
    ),
}
_BY_MODEL: dict[type, PostType] = {post_type.model: post_type for post_type in POST_TYPES.values()}
INDEXED = tuple(name for name, post_type in POST_TYPES.items() if post_type.indexed)


def post_type_of(item: object) -> PostType | None:
    """The registry entry of a post object (None for anything that is not a post)."""
    return _BY_MODEL.get(type(item))


def type_of(post: Post) -> PostType:
    """The registry entry of a post (a KeyError for anything that is not one)."""
    return _BY_MODEL[type(post)]


def indexed_types() -> list[PostType]:
    """The types whose public posts are search documents, in registry order."""
    return [post_type for post_type in POST_TYPES.values() if post_type.indexed]


def load(name: str, post_id: int) -> Post | None:
    """The post of this type and id, or None (the caller checks the id and the gate)."""
    return db.session.get(POST_TYPES[name].model, post_id)


def can_view_post(user, item) -> bool:
    """The object check for a goal, question, answer or comment, whichever item is."""
    post_type = post_type_of(item)
    return post_type is not None and post_type.can_view(user, item)


class _AccountlessAdmin:
    """A fake admin with id 0: sees what an anonymous reader would, were nothing hidden by
    moderators.

    Rule 3 lets admins past a moderator's hiding, never past rules 1 and 2; id 0 belongs
    to no account, so this reader is neither an owner, a mentor nor an author.
    """

    id = 0
    is_authenticated = True
    is_admin = True


def is_public_post(item) -> bool:
    """Whether an anonymous reader could see this goal/question/answer/comment, were it not
    hidden by moderators: only such posts can be flagged and hidden (private mentorship
    content stays out of moderators' sight)."""
    return can_view_post(_AccountlessAdmin(), item)


def parent_of(post):
    """The post this one sits under: a comment's question or answer, an answer's question,
    a question's goal (None for a goal, a goal-less question, or anything not a post)."""
    post_type = post_type_of(post)
    return post_type.parent(post) if post_type is not None else None


def thread_of(post) -> Question | None:
    """The question a question, answer or comment belongs to (None for anything else)."""
    post_type = post_type_of(post)
    return post_type.thread_of(post) if post_type is not None else None


def url_of(post: Post) -> str:
    """Where a post is read (answers and comments: their thread, at the anchor)."""
    return type_of(post).url(post)


def hidden_by_moderators(item) -> bool:
    """Whether this post, or a post it sits under, is hidden by moderators (rule 3)."""
    while item is not None:
        if item.hidden_at is not None:
            return True
        item = parent_of(item)
    return False


def preload(keys: Iterable[tuple[str, int] | None]) -> None:
    """Load these posts and every post they sit under into the session, one query per type
    and level, so that parent()/thread_of() on them then read no more rows (lists)."""
    pending = {key for key in keys if key is not None}
    while pending:
        by_type: dict[str, set[int]] = {}
        for name, post_id in pending:
            by_type.setdefault(name, set()).add(post_id)
        pending = set()
        for name, ids in by_type.items():
            post_type = POST_TYPES[name]
            rows = db.session.scalars(select(post_type.model).where(post_type.model.id.in_(ids)))
            pending.update(key for row in rows if (key := post_type.parent_key(row)) is not None)

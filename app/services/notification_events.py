"""Which notifications a Q&A event creates, called inside the event's write transaction.

Each helper checks the recipient through the visibility gate *now* (a public answerer whose
goal has since closed gets nothing about private comments on their answer), and leaves the
self/blocked rules to ``notify``. One answer notifies each user at most once: the asker
gets "answer"; users it @mentions get "mention"; followers of the question, its goal or one
of its tags get "followed_answer". A comment notifies the post's owner, then its mentions.
"""

import re

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.core.visibility import can_view_answer, can_view_comment
from app.models import Answer, Comment, Follow, Question, User
from app.models.questions import question_tags
from app.services.notifications import notify

# "@name" not inside a word, an email address or a URL path; usernames are [a-z0-9_-]{3,30}.
MENTION_RE = re.compile(r"(?<![\w@/.-])@([A-Za-z0-9_-]{3,30})(?![\w-])")
MAX_MENTIONS = 10  # per post: more is a broadcast, not a mention


def mentioned_usernames(text: str) -> list[str]:
    """The distinct usernames @mentioned in a text (lowercase, first MAX_MENTIONS)."""
    names: list[str] = []
    for match in MENTION_RE.finditer(text or ""):
        name = match.group(1).lower()
        if name not in names:
            names.append(name)
    return names[:MAX_MENTIONS]


def _notify_mentions(
    session: Session, text: str, subject_type: str, subject, actor_id: int, can_see, skip: set[int]
) -> set[int]:
    """Notify the active users @mentioned in text who may see the subject; their ids."""
    names = mentioned_usernames(text)
    if not names:
        return set()
    told: set[int] = set()
    for user in session.scalars(
        select(User).where(
            User.username.in_(names), User.suspended_at.is_(None), User.deleted_at.is_(None)
        )
    ):
        if (
            user.id not in skip
            and can_see(user, subject)
            and notify(session, user.id, "mention", subject_type, subject.id, actor_id=actor_id)
        ):
            told.add(user.id)
    return told


def answer_posted(session: Session, question: Question, answer: Answer) -> None:
    """The asker hears of a new answer; mentioned users and followers too, once each."""
    session.flush()  # the answer's id
    asker = session.get(User, question.owner_id)
    if asker is not None and can_view_answer(asker, answer):
        notify(session, asker.id, "answer", "answer", answer.id, actor_id=answer.owner_id)
    mentioned = _notify_mentions(
        session,
        answer.body,
        "answer",
        answer,
        answer.owner_id,
        can_view_answer,
        skip={question.owner_id},
    )
    targets = [
        (Follow.target_type == "question") & (Follow.target_id == question.id),
        (Follow.target_type == "tag")
        & Follow.target_id.in_(
            select(question_tags.c.tag_id).where(question_tags.c.question_id == question.id)
        ),
    ]
    if question.goal_id is not None:
        targets.append((Follow.target_type == "goal") & (Follow.target_id == question.goal_id))
    follower_ids = set(session.scalars(select(Follow.user_id).where(or_(*targets))))
    follower_ids -= {question.owner_id, answer.owner_id} | mentioned
    for follower in session.scalars(
        select(User).where(User.id.in_(follower_ids)).order_by(User.id)
    ):
        if can_view_answer(follower, answer):
            notify(
                session,
                follower.id,
                "followed_answer",
                "answer",
                answer.id,
                actor_id=answer.owner_id,
            )


def comment_posted(session: Session, comment: Comment, post: Question | Answer) -> None:
    """The owner of the question or answer commented on hears of it, then its mentions."""
    session.flush()  # the comment's id
    owner = session.get(User, post.owner_id)
    if owner is not None and can_view_comment(owner, comment):
        notify(session, owner.id, "comment", "comment", comment.id, actor_id=comment.author_id)
    _notify_mentions(
        session,
        comment.body,
        "comment",
        comment,
        comment.author_id,
        can_view_comment,
        skip={post.owner_id},
    )

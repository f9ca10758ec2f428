"""Reading notifications: a user's list (re-checked through the gate), unread count, mark read.

A notification is shown with what it is about only while its reader may still see that
subject. When the subject has become hidden (its goal closed since, a private message of a
mentorship the reader left, a deleted post) the notification stays in the list, so the unread
count never disagrees with what is listed, but says only that the item is no longer
available: no title, no text, no actor, no link and no subject id.

Anonymous questions: where the actor is the anonymous asker of the thread (a "helped me"
mark, a comment on their own question), the actor is shown as "anonymous protégé" to
everyone but the asker and admins.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update

from app.core.asker import reveals_asker
from app.core.errors import ValidationFailed
from app.core.pagination import Page, paginate
from app.core.posts import COMMENT, url_of
from app.core.transaction import write_transaction
from app.extensions import db
from app.models import (
    Answer,
    Comment,
    Goal,
    MentorshipRequest,
    Message,
    Notification,
    Question,
    User,
)
from app.models.base import utcnow
from app.services.notification_subjects import Subject, visible_subject

MAX_IDS = 100  # ids per mark-read request
ANONYMOUS = "anonymous protégé"
HIDDEN_TEXT = "This notification is about something you can no longer see."


@dataclass
class Item:
    """One notification as its reader may see it now."""

    id: int
    kind: str
    actor: User | None
    actor_name: str | None  # what to print for the actor (None: nobody to name)
    subject_type: str
    subject_id: int | None
    text: str
    url: str | None
    read: bool
    created_at: datetime
    visible: bool


# -- describing a notification ---------------------------------------------------------------


def _title(question: Question) -> str:
    return f"“{question.title}”"


def _actor_name(viewer: User, note: Notification, question: Question | None) -> str | None:
    actor = note.actor
    if actor is None:
        return None
    if reveals_asker(viewer, question, actor.id):  # the anonymous asker of this thread
        return ANONYMOUS
    return actor.name


def _request_text(note: Notification, subject: Subject, actor: str) -> str:
    goal = subject.goal
    # can_view_goal refuses a missing goal, so goal_visible implies one.
    about = f"“{goal.title}”" if goal is not None and subject.goal_visible else "a goal"
    return {
        "invite": f"{actor} invited you to mentor {about}.",
        "invite_accepted": f"{actor} accepted your invite to mentor {about}.",
        "invite_declined": f"{actor} declined your invite to mentor {about}.",
        "invite_withdrawn": f"{actor} withdrew their invite to mentor {about}.",
    }.get(note.kind, f"News about the invite to mentor {about}.")


def _describe_question_subject(
    note: Notification, subject: Question | Answer | Comment, question: Question, actor: str
) -> tuple[str, str]:
    title = _title(question)
    url = url_of(subject)  # the thread, at the answer's or comment's anchor
    kind = note.kind
    if kind == "answer":
        text = f"{actor} answered your question {title}."
    elif kind == "mention":
        where = "a comment" if note.subject_type == COMMENT else "an answer"
        text = f"{actor} mentioned you in {where} on {title}."
    elif kind == "followed_answer":
        text = f"{actor} answered {title}, which you follow."
    elif kind == "comment":
        assert isinstance(subject, Comment)  # notification_events: its subject is the comment
        on = "question" if subject.question_id is not None else "answer on"
        text = (
            f"{actor} commented on your question {title}."
            if on == "question"
            else f"{actor} commented on your answer on {title}."
        )
    elif kind == "helpful":
        text = f"{actor} marked your answer on {title} “helped me”."
    elif kind == "answer_invitation":
        text = f"{actor} invited you to answer {title}."
    else:
        text = f"News on {title}."
    return text, url


def describe(note: Notification, viewer: User) -> Item:
    """What the viewer may read about this notification now (re-checked through the gate)."""
    kind, stype = note.kind, note.subject_type
    subject = visible_subject(note, viewer)
    if subject is None:
        return Item(
            id=note.id,
            kind=kind,
            actor=None,
            actor_name=None,
            subject_type=stype,
            subject_id=None,
            text=HIDDEN_TEXT,
            url=None,
            read=note.read_at is not None,
            created_at=note.created_at,
            visible=False,
        )
    question, goal = subject.question, subject.goal
    actor_name = _actor_name(viewer, note, question)
    actor = actor_name or "Someone"
    obj = subject.obj
    if isinstance(obj, Question | Answer | Comment):
        assert question is not None  # visible_subject gives each of these its thread
        text, url = _describe_question_subject(note, obj, question, actor)
    elif isinstance(obj, MentorshipRequest):
        text, url = (_request_text(note, subject, actor), f"/mentorship/requests/{obj.id}")
    else:  # a goal, a message or a check-in
        assert goal is not None  # visible_subject gives each of these its goal
        if isinstance(obj, Goal):
            text, url = f"News on your goal “{goal.title}”.", url_of(goal)
            if kind == "nudge":
                text = f"A reply is waiting from you on “{goal.title}”."
        elif isinstance(obj, Message):
            text = f"{actor} sent you a private message on “{goal.title}”."
            if kind == "nudge":
                text = f"A message on “{goal.title}” is waiting for your reply."
            url = url_of(goal) + "#messages"
        else:  # a check-in
            when = obj.scheduled_at.strftime("%Y-%m-%d %H:%M UTC")
            text = f"Check-in on “{goal.title}” coming up at {when}."
            url = url_of(goal)
    # The actor is named only when the viewer may know who it was.
    shown_actor = note.actor if actor_name not in (None, ANONYMOUS) else None
    return Item(
        id=note.id,
        kind=kind,
        actor=shown_actor,
        actor_name=actor_name,
        subject_type=stype,
        subject_id=note.subject_id,
        text=text,
        url=url,
        read=note.read_at is not None,
        created_at=note.created_at,
        visible=True,
    )


# -- lists and counts ------------------------------------------------------------------------


def list_notifications(
    user: User, *, unread_only: bool = False, page: int = 1, per_page: int = 20, count: bool = True
) -> Page:
    """The user's notifications, newest first, each described for them now."""
    query = select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    result = paginate(
        query.order_by(Notification.created_at.desc(), Notification.id.desc()),
        page,
        per_page,
        count=count,
    )
    result.items = [describe(note, user) for note in result.items]
    return result


def unread_count(user: User) -> int:
    """How many of the user's notifications are unread."""
    return (
        db.session.scalar(
            select(func.count(Notification.id)).where(
                Notification.user_id == user.id, Notification.read_at.is_(None)
            )
        )
        or 0
    )


def get_notification(user: User, notification_id) -> Notification | None:
    """One of the user's own notifications, or None."""
    if not isinstance(notification_id, int) or isinstance(notification_id, bool):
        return None
    note = db.session.get(Notification, notification_id)
    return note if note is not None and note.user_id == user.id else None


def _check_ids(user: User, ids) -> list[int]:
    if not isinstance(ids, list):
        raise ValidationFailed(
            "ids must be a list of notification ids.",
            {"ids": ["Must be a list of notification ids."]},
        )
    if len(ids) > MAX_IDS:
        raise ValidationFailed(
            f"At most {MAX_IDS} ids at a time.", {"ids": [f"At most {MAX_IDS} ids."]}
        )
    if any(isinstance(i, bool) or not isinstance(i, int) or not 0 < i < 2**31 for i in ids):
        raise ValidationFailed(
            "ids must be notification ids (whole numbers).",
            {"ids": ["Each id must be a notification id."]},
        )
    wanted = set(ids)
    mine = (
        set(
            db.session.scalars(
                select(Notification.id).where(
                    Notification.user_id == user.id, Notification.id.in_(wanted)
                )
            )
        )
        if wanted
        else set()
    )
    if mine != wanted:
        # Someone else's, or no such notification: refuse the whole request, change nothing.
        raise ValidationFailed(
            "Unknown notification ids.",
            {
                "ids": [
                    "Not your notifications: " + ", ".join(str(i) for i in sorted(wanted - mine))
                ]
            },
        )
    return sorted(wanted)


def mark_read(user: User, ids=None) -> int:
    """Mark all (ids None) or the given notifications of the user read; returns unread left.

    ids must all be the user's own notifications, else nothing changes (ValidationFailed).
    """
    query = update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)
    )
    if ids is not None:
        query = query.where(Notification.id.in_(_check_ids(user, ids) or [-1]))
    with write_transaction() as session:
        session.execute(query.values(read_at=utcnow()).execution_options(synchronize_session=False))
    return unread_count(user)

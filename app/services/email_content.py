"""What a notification email says: the text of one notification, and the two kinds of mail.

Each subject is re-read through the visibility gate (notification_subjects) when the mail is
written: what the recipient can no longer see gives no text at all (``describe`` is None).
Delivery, batching and bookkeeping are email_delivery.py.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from markupsafe import Markup

from app.core.asker import reveals_asker
from app.core.posts import url_of
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
from app.services.mail import Mail, absolute_url, html_paragraphs, unsubscribe_url
from app.services.notification_subjects import visible_subject

EXCERPT = 300

HEADLINES = {
    "answer": "{actor} answered your question",
    "comment": "{actor} commented on your post",
    "helpful": "{actor} marked your answer as helpful",
    "invite": "{actor} invited you to mentor their goal",
    "invite_accepted": "{actor} accepted your invitation to mentor",
    "invite_declined": "{actor} declined your invitation to mentor",
    "invite_withdrawn": "{actor} withdrew their invitation to mentor",
    "message": "{actor} sent you a private message",
    "checkin_soon": "A check-in is coming up",
    "answer_invitation": "{actor} invited you to answer a question",
    "followed_answer": "{actor} answered in a thread you follow",
    "mention": "{actor} mentioned you",
    "nudge": "{actor} is waiting for your reply",
}


@dataclass
class Item:
    """A notification as mail shows it: all strings are plain user text (escaped later)."""

    notification_id: int
    headline: str
    title: str
    url: str
    excerpt: str = ""
    created_at: datetime | None = None


# -- what a notification says (after the visibility gate) ------------------------------------


def _excerpt(text: str | None) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1].rstrip() + "…"


def _actor_name(notification: Notification, user: User, question: Question | None) -> str:
    actor = notification.actor
    if actor is None:
        return "Someone"
    # An anonymous asker stays anonymous to everyone but themselves and admins.
    if reveals_asker(user, question, actor.id):
        return "An anonymous protégé"
    return actor.name


def describe(notification: Notification, user: User) -> Item | None:
    """The mail text of a notification, or None when the user may not see its subject now."""
    subject = visible_subject(notification, user)
    if subject is None:
        return None
    obj, question, goal, excerpt = subject.obj, subject.question, subject.goal, ""
    if isinstance(obj, Goal):
        title, url = obj.title, url_of(obj)
    elif isinstance(obj, Question | Answer | Comment):  # its thread's title, its own text
        assert question is not None  # visible_subject gives each of these its thread
        title, url, excerpt = question.title, url_of(obj), obj.body
    elif isinstance(obj, MentorshipRequest):
        # can_view_goal refuses a missing goal, so goal_visible implies one.
        title = goal.title if goal is not None and subject.goal_visible else "a goal"
        url = f"/mentorship/requests/{obj.id}"
        if notification.kind == "invite":
            excerpt = obj.message
    else:  # a message or a check-in
        assert goal is not None  # visible_subject gives a readable space item its goal
        if isinstance(obj, Message):
            title, url, excerpt = goal.title, url_of(goal) + "#messages", obj.body
        else:
            title, url = goal.title, url_of(goal) + "#checkins"
            when = obj.scheduled_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
            excerpt = f"Scheduled for {when}. Agenda: {obj.agenda}"
    template = HEADLINES.get(notification.kind, "News from {actor}")
    headline = template.format(actor=_actor_name(notification, user, question))
    return Item(
        notification.id,
        headline,
        title,
        absolute_url(url),
        _excerpt(excerpt),
        notification.created_at,
    )


# -- the two kinds of mail --------------------------------------------------------------------


def _item_text(item: Item) -> str:
    lines = [f"{item.headline}: {item.title}"]
    if item.excerpt:
        lines.append(f"  {item.excerpt}")
    lines.append(f"  {item.url}")
    return "\n".join(lines)


def _item_html(item: Item) -> Markup:
    html = Markup('<p><strong>{0}</strong>: <a href="{1}">{2}</a></p>').format(
        item.headline, item.url, item.title
    )
    if item.excerpt:
        html += Markup("<blockquote>{0}</blockquote>").format(html_paragraphs(item.excerpt))
    return html


def immediate_mail(user: User, item: Item) -> Mail:
    settings = absolute_url("/settings")
    text = (
        f"Hello {user.name},\n\n{_item_text(item)}\n\n"
        f"Change how often Journster emails you: {settings}"
    )
    html = (
        Markup("<p>Hello {0},</p>").format(user.name)
        + _item_html(item)
        + Markup('<p><a href="{0}">Change how often Journster emails you</a></p>').format(settings)
    )
    return Mail(
        to=user.email,
        subject=f"{item.headline}: {item.title}",
        text=text,
        html=html,
        unsubscribe=unsubscribe_url(user),
    )


def digest_mail(user: User, items: list[Item], period: str, more: int = 0) -> Mail:
    settings = absolute_url("/settings")
    count = len(items) + more
    noun = "notification" if count == 1 else "notifications"
    intro = f"Your {period} Journster digest: {count} {noun}."
    text = f"Hello {user.name},\n\n{intro}\n\n" + "\n\n".join(_item_text(i) for i in items)
    html = Markup("<p>Hello {0},</p><p>{1}</p>").format(user.name, intro)
    html += Markup("").join(_item_html(i) for i in items)
    if more:
        all_url = absolute_url("/notifications")
        text += f"\n\n... and {more} more: {all_url}"
        html += Markup('<p>… and {0} more: <a href="{1}">see them all</a></p>').format(
            more, all_url
        )
    text += f"\n\nChange how often Journster emails you: {settings}"
    html += Markup('<p><a href="{0}">Change how often Journster emails you</a></p>').format(
        settings
    )
    return Mail(
        to=user.email,
        subject=f"Journster {period} digest: {count} {noun}",
        text=text,
        html=html,
        unsubscribe=unsubscribe_url(user),
    )

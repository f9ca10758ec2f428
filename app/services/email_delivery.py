"""Email copies of notifications: immediately, or as a daily/weekly digest (SPEC §1).

Both entry points are safe to run from cron as often as you like and side by side:

- a notification is marked ``sent`` only after the SMTP server accepted the mail that
  carries it, in the same transaction that re-read (and on PostgreSQL locked) the row as
  still ``pending``: two runs never mail the same row twice;
- when the server is down, the run stops, its rows stay ``pending`` with
  ``email_attempts`` + 1, and the next run sends them: nothing is lost;
- each subject is re-checked through the visibility gate at sending time: what the
  recipient can no longer see (a goal closed since, a deleted post) is marked ``skipped``.

(The one gap every mailer has: if the database commit fails right after the server
accepted a message, the next run sends that message again.)
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from markupsafe import Markup
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.core.asker import reveals_asker
from app.core.transaction import write_transaction
from app.extensions import db
from app.models import Notification, Question, User
from app.models.base import utcnow
from app.services.mail import (
    Mail,
    Mailer,
    MailError,
    absolute_url,
    html_paragraphs,
    unsubscribe_url,
)
from app.services.notification_subjects import visible_subject

PERIODS = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}
# Cron runs drift by seconds: a digest is due a little before the full period has passed.
PERIOD_SLACK = timedelta(minutes=30)
BATCH = 500
DIGEST_MAX_ITEMS = 100
EXCERPT = 300
# A message the server refuses for good (5xx: bad address) is given up after this many tries.
MAX_PERMANENT_FAILURES = 5

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


@dataclass
class DeliveryReport:
    mails: int = 0  # emails the server accepted
    sent: int = 0  # notifications marked sent
    skipped: int = 0  # notifications no longer visible (or mail switched off)
    pending: int = 0  # notifications left pending after a failure
    errors: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.errors)

    def __str__(self) -> str:
        text = (
            f"{self.mails} emails sent ({self.sent} notifications), {self.skipped} skipped"
            f", {self.pending} left pending"
        )
        return text + (f"; failed: {self.errors[0]}" if self.errors else "")


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
    obj, question, excerpt = subject.obj, subject.question, ""
    if subject.type == "question":
        title, url, excerpt = question.title, f"/questions/{question.id}", obj.body
    elif subject.type == "answer":
        title, url = question.title, f"/questions/{question.id}#answer-{obj.id}"
        excerpt = obj.body
    elif subject.type == "comment":
        title, url = question.title, f"/questions/{question.id}#comment-{obj.id}"
        excerpt = obj.body
    elif subject.type == "goal":
        title, url = obj.title, f"/goals/{obj.id}"
    elif subject.type == "request":
        title = subject.goal.title if subject.goal_visible else "a goal"
        url = f"/mentorship/requests/{obj.id}"
        if notification.kind == "invite":
            excerpt = obj.message
    elif subject.type == "message":
        title, url, excerpt = subject.goal.title, f"/goals/{subject.goal.id}#messages", obj.body
    else:  # checkin
        title, url = subject.goal.title, f"/goals/{subject.goal.id}#checkins"
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


# -- bookkeeping ------------------------------------------------------------------------------


def _skip_where_mail_is_off() -> int:
    """Pending rows of users who switched email off, or never verified it: never mailed."""
    with write_transaction() as session:
        off = select(User.id).where(
            User.email_mode.notin_(("immediate", *PERIODS)) | User.email_verified_at.is_(None)
        )
        result = session.execute(
            update(Notification)
            .where(Notification.email_state == "pending", Notification.user_id.in_(off))
            .values(email_state="skipped")
            .execution_options(synchronize_session=False)
        )
    return result.rowcount or 0


def _count_failure(ids: list[int], error: MailError) -> None:
    """One more attempt on each row still pending; refused-for-good rows give up at last."""
    if not ids:
        return
    with write_transaction() as session:
        session.execute(
            update(Notification)
            .where(Notification.id.in_(ids), Notification.email_state == "pending")
            .values(email_attempts=Notification.email_attempts + 1)
            .execution_options(synchronize_session=False)
        )
        if error.permanent:
            session.execute(
                update(Notification)
                .where(
                    Notification.id.in_(ids),
                    Notification.email_state == "pending",
                    Notification.email_attempts >= MAX_PERMANENT_FAILURES,
                )
                .values(email_state="skipped")
                .execution_options(synchronize_session=False)
            )


def _lock_pending(session: Session, ids: list[int]) -> list[Notification]:
    """Re-read these rows as still pending, locking them (PostgreSQL; SQLite holds the lock)."""
    return list(
        session.scalars(
            select(Notification)
            .where(Notification.id.in_(ids), Notification.email_state == "pending")
            .order_by(Notification.created_at, Notification.id)
            .with_for_update(skip_locked=True, of=Notification)
            .execution_options(populate_existing=True)
        )
    )


def _mark_sent(notifications: list[Notification]) -> None:
    now = utcnow()
    for notification in notifications:
        notification.email_state, notification.emailed_at = "sent", now
        notification.email_attempts = (notification.email_attempts or 0) + 1


def _pending_of(user_ids: list[int]) -> list[int]:
    ids = list(
        db.session.scalars(
            select(Notification.id).where(
                Notification.user_id.in_(user_ids), Notification.email_state == "pending"
            )
        )
    )
    db.session.commit()
    return ids


def _opened(mailer: Mailer, ids: list[int], report: DeliveryReport) -> bool:
    """Connect before any row is locked; if the server is down, count the attempt and stop."""
    try:
        mailer.open()
    except MailError as error:
        report.errors.append(str(error))
        _count_failure(ids, error)
        report.pending += len(ids)
        return False
    return True


# -- entry points -------------------------------------------------------------------------------


def send_immediate(limit: int = BATCH) -> DeliveryReport:
    """One mail per pending notification of users in "immediate" mode."""
    report = DeliveryReport(skipped=_skip_where_mail_is_off())
    ids = list(
        db.session.scalars(
            select(Notification.id)
            .join(User, User.id == Notification.user_id)
            .where(Notification.email_state == "pending", User.email_mode == "immediate")
            .order_by(Notification.id)
            .limit(limit)
        )
    )
    db.session.commit()
    with Mailer() as mailer:
        if ids and not _opened(mailer, ids, report):
            return report
        for index, notification_id in enumerate(ids):
            try:
                with write_transaction() as session:
                    rows = _lock_pending(session, [notification_id])
                    if not rows:
                        continue  # another run has it, or sent it already
                    notification = rows[0]
                    user = session.get(User, notification.user_id)
                    if user.email_mode != "immediate" or not user.email_verified:
                        continue
                    item = describe(notification, user)
                    if item is None:
                        notification.email_state = "skipped"
                        report.skipped += 1
                        continue
                    mailer.send(immediate_mail(user, item))
                    _mark_sent(rows)
                report.mails += 1
                report.sent += 1
            except MailError as error:
                report.errors.append(str(error))
                if error.permanent:
                    _count_failure([notification_id], error)
                    report.pending += 1
                    continue
                # The server is unreachable: stop here; everything left waits for the next run.
                _count_failure(ids[index:], error)
                report.pending += len(ids) - index
                break
    return report


def _due_users(period: str | None, now: datetime) -> list[int]:
    periods = [period] if period else list(PERIODS)
    ids: list[int] = []
    for name in periods:
        due_before = now - PERIODS[name] + PERIOD_SLACK
        ids += db.session.scalars(
            select(User.id)
            .where(
                User.email_mode == name,
                (User.last_digest_at.is_(None)) | (User.last_digest_at <= due_before),
                select(Notification.id)
                .where(Notification.user_id == User.id, Notification.email_state == "pending")
                .exists(),
            )
            .order_by(User.id)
        )
    return ids


def send_digests(period: str | None = None, now: datetime | None = None) -> DeliveryReport:
    """One digest per user in daily/weekly mode whose period has passed since the last one.

    ``period`` limits the run to "daily" or "weekly" users (None: both).
    """
    if period is not None and period not in PERIODS:
        raise ValueError(f"unknown digest period {period!r}")
    now = now or utcnow()
    report = DeliveryReport(skipped=_skip_where_mail_is_off())
    user_ids = _due_users(period, now)
    db.session.commit()
    with Mailer() as mailer:
        if user_ids and not _opened(mailer, _pending_of(user_ids), report):
            return report
        for index, user_id in enumerate(user_ids):
            try:
                with write_transaction() as session:
                    user = session.scalars(
                        select(User)
                        .where(User.id == user_id)
                        .with_for_update(skip_locked=True, of=User)
                        .execution_options(populate_existing=True)
                    ).first()
                    if user is None or user.email_mode not in PERIODS or not user.email_verified:
                        continue
                    due_before = now - PERIODS[user.email_mode] + PERIOD_SLACK
                    if user.last_digest_at is not None and user.last_digest_at > due_before:
                        continue  # another run sent it a moment ago
                    ids = list(
                        session.scalars(
                            select(Notification.id).where(
                                Notification.user_id == user.id,
                                Notification.email_state == "pending",
                            )
                        )
                    )
                    rows = _lock_pending(session, ids)
                    items, included = [], []
                    for notification in rows:
                        item = describe(notification, user)
                        if item is None:
                            notification.email_state = "skipped"
                            report.skipped += 1
                        else:
                            items.append(item)
                            included.append(notification)
                    if not items:
                        continue
                    shown = items[:DIGEST_MAX_ITEMS]
                    mailer.send(
                        digest_mail(user, shown, user.email_mode, more=len(items) - len(shown))
                    )
                    _mark_sent(included)
                    user.last_digest_at = now
                report.mails += 1
                report.sent += len(included)
            except MailError as error:
                report.errors.append(str(error))
                pending = _pending_of([user_id] if error.permanent else user_ids[index:])
                _count_failure(pending, error)
                report.pending += len(pending)
                if not error.permanent:
                    break
    return report

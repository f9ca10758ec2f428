"""Email copies of notifications: immediately, or as a daily/weekly digest (SPEC §1).

Both entry points are safe to run from cron as often as you like and side by side:

- a notification is marked ``sent`` only after the SMTP server accepted the mail that
  carries it, in the same transaction that re-read (and on PostgreSQL locked) the row as
  still ``pending``: two runs never mail the same row twice;
- when the server is down, the run stops, its rows stay ``pending`` with
  ``email_attempts`` + 1, and the next run sends them: nothing is lost;
- each subject is re-checked through the visibility gate at sending time: what the
  recipient can no longer see (a goal closed since, a deleted post) is marked ``skipped``
  (the text of a mail: email_content.py).

(The one gap every mailer has: if the database commit fails right after the server
accepted a message, the next run sends that message again.)
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.core.transaction import rows_affected, write_transaction
from app.extensions import db
from app.models import Notification, User
from app.models.base import utcnow
from app.services.email_content import describe, digest_mail, immediate_mail
from app.services.mail import Mailer, MailError

PERIODS = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}
# Cron runs drift by seconds: a digest is due a little before the full period has passed.
PERIOD_SLACK = timedelta(minutes=30)
BATCH = 500
DIGEST_MAX_ITEMS = 100
# A message the server refuses for good (5xx: bad address) is given up after this many tries.
MAX_PERMANENT_FAILURES = 5


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
    return rows_affected(result) or 0


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
                    # The row is locked and its user_id a foreign key (ON DELETE CASCADE).
                    assert user is not None
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

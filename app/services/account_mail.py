"""Transactional account mail (verify an address, reset a password), out within seconds.

Requests only add a row to the ``account_mail`` outbox (committed with whatever caused it)
and wake this process's sender thread, which mails it through ``SMTP_URL`` (or the log) a
moment later. Nothing waits for the notification batch, and a reset request does the same
work whether or not an account has the address: the sender looks the account up.

Several senders may run at once (every web worker has one; ``flask notify send`` drains the
outbox too, as a retry net): a row is claimed with a conditional UPDATE before it is sent,
so each mail goes out once. A temporary SMTP failure leaves the row for a later try with
backoff; a refused address or too many tries drops it (logged).
"""

import logging
import threading
from dataclasses import dataclass
from datetime import timedelta

from flask import Flask, current_app
from markupsafe import Markup
from sqlalchemy import delete, select, update

from app.core.transaction import rows_affected, write_transaction
from app.extensions import db
from app.models import AccountMail, User
from app.models.base import utcnow
from app.services.account_tokens import RESET_MAX_AGE, reset_token, verify_token
from app.services.mail import Mail, Mailer, MailError, absolute_url

log = logging.getLogger("journster.account_mail")

KIND_VERIFY = "verify"
KIND_RESET = "reset"
# A sender owns a claimed row this long (a crashed sender's rows come back after it).
CLAIM = timedelta(minutes=2)
MAX_ATTEMPTS = 8
# A mail that could not go out in this time is no longer what the person is waiting for.
STALE_AFTER = {KIND_RESET: timedelta(hours=1), KIND_VERIFY: timedelta(hours=48)}
# The sender thread also looks at the outbox this often (retries, rows of other processes).
POLL_SECONDS = 30.0


@dataclass
class SendReport:
    sent: int = 0
    dropped: int = 0
    failed: int = 0

    def __str__(self) -> str:
        return f"{self.sent} sent, {self.dropped} dropped, {self.failed} to retry"


# -- queueing (inside the caller's write transaction) -----------------------------------------


def queue_verification(session, user: User, address: str | None = None) -> None:
    """Queue a link confirming ``address`` (default: the current one) for this account."""
    session.add(
        AccountMail(
            kind=KIND_VERIFY, user_id=user.id, address=address or user.email, not_before=utcnow()
        )
    )


def queue_reset(session, address: str) -> None:
    """Queue a reset link for whichever account has this address (maybe none)."""
    session.add(AccountMail(kind=KIND_RESET, address=address, not_before=utcnow()))


def wake_sender() -> None:
    """After commit: let this process's sender thread send what was queued (if it runs)."""
    sender = current_app.extensions.get("journster_account_mailer")
    if sender is not None:
        sender.wake()


# -- the mails ----------------------------------------------------------------------------------


def _mail(to: str, subject: str, lines: list[str], link: str, action: str) -> Mail:
    text = "\n\n".join([*lines, f"{action}: {link}"])
    html = Markup("").join(Markup("<p>{0}</p>").format(line) for line in lines)
    html += Markup('<p><a href="{0}">{1}</a></p>').format(link, action)
    return Mail(to=to, subject=subject, text=text, html=html, unsubscribe=None)


def reset_mail(user: User) -> Mail:
    link = absolute_url(f"/password/reset/{reset_token(user)}")
    minutes = RESET_MAX_AGE // 60
    return _mail(
        user.email,
        "Reset your Journster password",
        [
            f"Hello {user.name},",
            "Someone (we hope you) asked to reset the password of your Journster account "
            f"{user.username}. The link below works once, for {minutes} minutes.",
            "Setting a new password signs you out everywhere else and revokes your API tokens. "
            "If you did not ask for this, ignore this email: your password stays as it is.",
        ],
        link,
        "Choose a new password",
    )


def verify_mail(user: User, address: str) -> Mail:
    link = absolute_url(f"/verify-email/{verify_token(user, address)}")
    change = address != user.email
    lines = [f"Hello {user.name},"]
    if change:
        lines.append(
            f"Confirm that {address} should become the email address of your "
            f"Journster account {user.username}. Until you do, mail goes to the old one."
        )
    else:
        lines.append(
            f"Confirm your email address for your Journster account {user.username}, "
            "so we can send you notifications and help you back in if you forget "
            "your password."
        )
    lines.append("The link works for 48 hours. If this was not you, ignore this email.")
    return _mail(
        address, "Confirm your Journster email address", lines, link, "Confirm this address"
    )


def _mail_for(row: AccountMail) -> Mail | None:
    """The mail a row asks for, or None when there is nobody (left) to send it to."""
    if row.kind == KIND_RESET:
        user = db.session.scalar(select(User).where(User.email == row.address))
        return None if user is None or user.is_deleted else reset_mail(user)
    user = db.session.get(User, row.user_id) if row.user_id else None
    if user is None or user.is_deleted:
        return None
    if row.address == user.email and user.email_verified:
        return None  # verified in the meantime
    return verify_mail(user, row.address)


# -- sending ------------------------------------------------------------------------------------


def _claim(row_id: int) -> bool:
    now = utcnow()
    with write_transaction() as session:
        result = session.execute(
            update(AccountMail)
            .where(AccountMail.id == row_id, AccountMail.not_before <= now)
            .values(not_before=now + CLAIM, attempts=AccountMail.attempts + 1)
            .execution_options(synchronize_session=False)
        )
    return rows_affected(result) == 1


def _finish(row_id: int, retry_at=None) -> None:
    with write_transaction() as session:
        if retry_at is None:
            session.execute(delete(AccountMail).where(AccountMail.id == row_id))
        else:
            session.execute(
                update(AccountMail)
                .where(AccountMail.id == row_id)
                .values(not_before=retry_at)
                .execution_options(synchronize_session=False)
            )


def send_account_mail(limit: int = 100) -> SendReport:
    """Send the due rows of the outbox (safe to run in several processes at once)."""
    report = SendReport()
    ids = list(
        db.session.scalars(
            select(AccountMail.id)
            .where(AccountMail.not_before <= utcnow())
            .order_by(AccountMail.id)
            .limit(limit)
        )
    )
    db.session.commit()
    with Mailer() as mailer:
        for row_id in ids:
            if not _claim(row_id):
                continue  # another sender has it
            row = db.session.get(AccountMail, row_id, populate_existing=True)
            if row is None:
                continue
            kind, attempts = row.kind, row.attempts
            too_old = utcnow() - row.created_at > STALE_AFTER.get(kind, CLAIM)
            mail = None if too_old else _mail_for(row)
            db.session.commit()
            if mail is None:
                report.dropped += 1
                _finish(row_id)
                continue
            try:
                mailer.send(mail)
            except MailError as error:
                if error.permanent or attempts >= MAX_ATTEMPTS:
                    log.warning("Account mail %s dropped after %d tries: %s", kind, attempts, error)
                    report.dropped += 1
                    _finish(row_id)
                    continue
                log.warning("Account mail %s not sent (will retry): %s", kind, error)
                report.failed += 1
                _finish(row_id, utcnow() + timedelta(seconds=15 * 2**attempts))
                break  # the server is unreachable: the rest waits for the next round
            report.sent += 1
            _finish(row_id)
    return report


class AccountMailSender:
    """One daemon thread per process: sends when woken, and polls now and then."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.event = threading.Event()
        self.stopped = threading.Event()
        self.thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def ensure_started(self) -> None:
        if self.thread is not None and self.thread.is_alive():
            return  # every request passes here: no lock on the common path
        with self._lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name="account-mail", daemon=True)
                self.thread.start()

    def wake(self) -> None:
        self.ensure_started()
        self.event.set()

    def stop(self) -> None:
        self.stopped.set()
        self.event.set()
        if self.thread is not None:
            self.thread.join(timeout=10)

    def _run(self) -> None:
        while not self.stopped.is_set():
            self.event.wait(timeout=POLL_SECONDS)
            self.event.clear()
            if self.stopped.is_set():
                return
            with self.app.app_context():
                try:
                    send_account_mail()
                except Exception:  # the loop must survive a bad round; the row stays
                    log.exception("Sending account mail failed")
                finally:
                    db.session.remove()


def register_account_mailer(app: Flask) -> None:
    """With ACCOUNT_MAIL_THREAD on (default), each process sends its account mail itself."""
    if not app.config.get("ACCOUNT_MAIL_THREAD"):
        return
    sender = app.extensions["journster_account_mailer"] = AccountMailSender(app)
    app.before_request(sender.ensure_started)

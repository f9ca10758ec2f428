"""A real SMTP server (aiosmtpd) for account-mail tests, and helpers to read its mail."""

import re
import time

import pytest

from app.extensions import db
from app.services.account_mail import send_account_mail
from tests.test_email_notifications import SmtpServer

LINK_RE = re.compile(r"https?://[^/\s]+(/(?:password/reset|verify-email)/[A-Za-z0-9_.\-]+)")


@pytest.fixture(name="smtp")
def smtp_server(app):
    """A running SMTP server that the app sends to (import this, ask for ``smtp``)."""
    server = SmtpServer()
    server.start()
    app.config["SMTP_URL"] = server.url
    yield server
    server.stop()


def deliver() -> None:
    """Run one sender round (what the sender thread does a moment after each request)."""
    db.session.commit()
    send_account_mail()
    db.session.commit()


def mails_to(server: SmtpServer, address: str) -> list:
    return [m for m in server.messages if m["To"] == address]


def link_in(message) -> str:
    """The path of the one reset/verify link in a mail's plain-text part."""
    links = LINK_RE.findall(message.get_body(("plain",)).get_content())
    assert len(set(links)) == 1, links
    return links[0]


def wait_for(predicate, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()

"""Account mail leaves within seconds of the request, without any batch (SPEC §1).

With ACCOUNT_MAIL_THREAD on (the default outside tests), the web process's sender thread
mails what a request queued; the real SMTP server (aiosmtpd) must have it well before the
once-a-minute notification loop would run.
"""

import time

from sqlalchemy import func, select

from app.extensions import db
from app.models import AccountMail
from tests.conftest import PASSWORD
from tests.mailbox import link_in, mails_to, smtp_server, wait_for  # noqa: F401  (fixture "smtp")

WITHIN_SECONDS = 5.0


def test_reset_and_verification_mail_arrive_within_seconds(app, smtp, make_user, other_app):
    make_user("forgetful")
    served = other_app(ACCOUNT_MAIL_THREAD=True, SMTP_URL=smtp.url)
    client = served.test_client()
    try:
        started = time.monotonic()
        assert (
            client.post(
                "/api/v1/password-resets", json={"email": "forgetful@example.org"}
            ).status_code
            == 202
        )
        assert wait_for(lambda: mails_to(smtp, "forgetful@example.org"), WITHIN_SECONDS)
        reset_seconds = time.monotonic() - started
        assert link_in(mails_to(smtp, "forgetful@example.org")[0]).startswith("/password/reset/")
        created = client.post(
            "/api/v1/users",
            json={"username": "newbie", "email": "newbie@example.org", "password": PASSWORD},
        )
        assert created.status_code == 201
        assert wait_for(lambda: mails_to(smtp, "newbie@example.org"), WITHIN_SECONDS)
        assert reset_seconds < WITHIN_SECONDS
        assert wait_for(lambda: _outbox_empty(), WITHIN_SECONDS)
    finally:
        served.extensions["journster_account_mailer"].stop()


def _outbox_empty() -> bool:
    db.session.commit()
    return db.session.scalar(select(func.count()).select_from(AccountMail)) == 0


def test_flask_notify_send_also_drains_the_outbox(app, smtp, make_user):
    make_user("newbie", verified=False)
    result = app.test_cli_runner().invoke(args=["notify", "send"])
    assert result.exit_code == 0, result.output
    assert "Account mail: 1 sent" in result.output
    assert len(mails_to(smtp, "newbie@example.org")) == 1

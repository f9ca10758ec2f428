"""Account recovery and verified email at service level (SPEC §1), against a real SMTP server."""

import time

import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import event, func, select

from app.core.errors import Conflict, ValidationFailed
from app.extensions import db
from app.models import AccountMail, ApiToken, User
from app.services import account_tokens, accounts, recovery
from app.services.account_mail import send_account_mail
from app.services.passwords import hash_password, verify_password
from app.services.recovery import InvalidToken
from app.services.tokens import issue_token, user_for_token
from tests.conftest import PASSWORD
from tests.mailbox import deliver, link_in, mails_to, smtp_server  # noqa: F401  (fixture "smtp")

NEW_PASSWORD = "a brand new passphrase"


def reload(user_id: int) -> User:
    db.session.commit()
    db.session.expire_all()
    return db.session.get(User, user_id)


def outbox_count() -> int:
    db.session.commit()
    return db.session.scalar(select(func.count()).select_from(AccountMail))


def token_of(path: str) -> str:
    return path.rsplit("/", 1)[1]


def made_earlier(monkeypatch, seconds: int, make):
    """A token signed ``seconds`` ago (itsdangerous reads the clock through the signer)."""
    with monkeypatch.context() as patch:
        patch.setattr(TimestampSigner, "get_timestamp", lambda _self: int(time.time()) - seconds)
        return make()


# -- sign-up verification -----------------------------------------------------------------------


def test_signup_mails_a_48h_link_that_verifies_the_address(app, smtp):
    user = accounts.register_user("newbie", "Newbie@Example.org", PASSWORD)
    assert not user.email_verified and outbox_count() == 1
    deliver()
    [mail] = mails_to(smtp, "newbie@example.org")
    assert "List-Unsubscribe" not in mail  # transactional, not a notification
    assert outbox_count() == 0
    path = link_in(mail)
    assert path.startswith("/verify-email/")
    recovery.verify_email(token_of(path))
    assert reload(user.id).email_verified
    recovery.verify_email(token_of(path))  # using it again changes nothing
    assert reload(user.id).email_verified


def test_verification_link_expires_after_48_hours(app, monkeypatch, make_user):
    user = make_user("late", verified=False)
    fresh = made_earlier(
        monkeypatch, 47 * 3600, lambda: account_tokens.verify_token(user, user.email)
    )
    stale = made_earlier(
        monkeypatch, 48 * 3600 + 5, lambda: account_tokens.verify_token(user, user.email)
    )
    with pytest.raises(InvalidToken):
        recovery.verify_email(stale)
    assert not reload(user.id).email_verified
    recovery.verify_email(fresh)
    assert reload(user.id).email_verified


@pytest.mark.parametrize(
    "token",
    [
        "",
        "x",
        "a.b.c",
        "\ud800",
        "é" * 50,
        "A" * 5000,
        None,
        7,
        ["list"],
    ],
)
def test_hostile_tokens_are_invalid_and_change_nothing(app, make_user, token):
    user = make_user("target", verified=False)
    before = user.password_hash
    for use in (recovery.verify_email, lambda t: recovery.reset_password(t, NEW_PASSWORD)):
        with pytest.raises(InvalidToken) as info:
            use(token)
        assert info.value.status == 400 and info.value.code == "invalid_token"
    user = reload(user.id)
    assert user.password_hash == before and not user.email_verified


def test_tokens_of_one_kind_or_another_secret_do_not_work_as_the_other(app, make_user):
    user = make_user("mixer", verified=False)
    with pytest.raises(InvalidToken):
        recovery.verify_email(account_tokens.reset_token(user))
    with pytest.raises(InvalidToken):
        recovery.reset_password(account_tokens.verify_token(user, user.email), NEW_PASSWORD)
    token = account_tokens.reset_token(user)
    altered = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    with pytest.raises(InvalidToken):
        recovery.reset_password(altered, NEW_PASSWORD)
    app.config["SECRET_KEY"] = "another-secret"
    with pytest.raises(InvalidToken):
        recovery.reset_password(token, NEW_PASSWORD)


def test_unverified_accounts_get_no_notification_mail(app, smtp, make_user):
    from app.core.transaction import write_transaction
    from app.services.email_delivery import send_immediate
    from app.services.notifications import notify
    from tests.builders import build_question

    quiet = make_user("quiet", verified=False, email_mode="immediate")
    loud = make_user("loud", email_mode="immediate")
    asker = make_user("asker")
    question = build_question(asker, title="Which stove for winter camping?")
    with write_transaction() as session:
        for user in (quiet, loud):
            notify(
                session, user.id, "answer_invitation", "question", question.id, actor_id=asker.id
            )
    report = send_immediate()
    assert [m["To"] for m in smtp.messages] == ["loud@example.org"]
    assert report.skipped == 1


# -- password reset -----------------------------------------------------------------------------


def test_reset_link_sets_the_password_once_and_ends_sessions_and_tokens(app, smtp, make_user):
    user = make_user("forgetful")
    plain, _ = issue_token(user)
    version = user.session_version
    recovery.request_password_reset("  FORGETFUL@example.org ")
    deliver()
    [mail] = mails_to(smtp, "forgetful@example.org")
    token = token_of(link_in(mail))
    assert recovery.check_reset_token(token).id == user.id
    recovery.reset_password(token, NEW_PASSWORD)
    user = reload(user.id)
    assert verify_password(user.password_hash, NEW_PASSWORD)
    assert user.session_version == version + 1
    assert user_for_token(plain) is None
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        )
        == 0
    )
    with pytest.raises(InvalidToken):  # single use: the password hash it was bound to is gone
        recovery.reset_password(token, "yet another passphrase")
    assert verify_password(reload(user.id).password_hash, NEW_PASSWORD)


def test_reset_link_dies_when_the_password_changes_otherwise_and_after_an_hour(
    app, monkeypatch, make_user
):
    user = make_user("careful")
    token = account_tokens.reset_token(user)
    accounts.change_password(user, PASSWORD, "changed it myself ok")
    with pytest.raises(InvalidToken):
        recovery.reset_password(token, NEW_PASSWORD)
    old = made_earlier(monkeypatch, 3601, lambda: account_tokens.reset_token(user))
    with pytest.raises(InvalidToken):
        recovery.reset_password(old, NEW_PASSWORD)
    recent = made_earlier(monkeypatch, 3500, lambda: account_tokens.reset_token(user))
    recovery.reset_password(recent, NEW_PASSWORD)


def test_reset_rejects_a_bad_new_password_and_keeps_the_link_usable(app, make_user):
    user = make_user("picky")
    token = account_tokens.reset_token(user)
    for bad in ("short", None, "x" * 10_000, "with\x00nul-byte-inside", ["list"]):
        with pytest.raises(ValidationFailed) as info:
            recovery.reset_password(token, bad)
        assert "password" in info.value.fields
    assert verify_password(reload(user.id).password_hash, PASSWORD)
    recovery.reset_password(token, NEW_PASSWORD)


def test_reset_also_verifies_the_address_and_applies_admin_emails(app, make_user):
    user = make_user("boss", email="admin@example.org", verified=False)
    assert not user.is_admin
    recovery.reset_password(account_tokens.reset_token(user), NEW_PASSWORD)
    user = reload(user.id)
    assert user.email_verified and user.is_admin


def test_reset_request_does_the_same_database_work_for_known_and_unknown_addresses(app, make_user):
    make_user("known")
    statements: list[list[str]] = []

    def record(_conn, _cursor, statement, _params, _context, _many):
        statements[-1].append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        for address in ("known@example.org", "unknown@example.org"):
            db.session.commit()
            statements.append([])
            recovery.request_password_reset(address)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert statements[0] == statements[1]
    assert not any("FROM users" in s for s in statements[0])
    assert outbox_count() == 2


def test_reset_mail_goes_only_to_an_existing_live_account(app, smtp, make_user):
    make_user("alive")
    gone = make_user("gone")
    from app.services.account_deletion import delete_account

    delete_account(gone, PASSWORD)
    for address in ("alive@example.org", "nobody@example.org", "gone@example.org"):
        recovery.request_password_reset(address)
    deliver()
    assert [m["To"] for m in smtp.messages] == ["alive@example.org"]
    assert outbox_count() == 0


@pytest.mark.parametrize(
    "email",
    [None, "", "not an address", "a@b@c", "\ud800@x.org", "x" * 300 + "@example.org", 42, {"a": 1}],
)
def test_reset_request_rejects_what_is_not_an_address(app, email):
    with pytest.raises(ValidationFailed) as info:
        recovery.request_password_reset(email)
    assert set(info.value.fields) == {"email"}
    assert outbox_count() == 0


# -- the outbox ---------------------------------------------------------------------------------


def test_mail_waits_in_the_outbox_while_the_server_is_down(app, smtp, make_user):
    make_user("patient")
    smtp.stop()
    recovery.request_password_reset("patient@example.org")
    report = send_account_mail()
    assert report.failed == 1 and outbox_count() == 1
    row = db.session.scalar(select(AccountMail))
    assert row.attempts == 1
    row.not_before = row.created_at  # skip the backoff
    db.session.commit()
    smtp.start()
    assert send_account_mail().sent == 1
    assert len(mails_to(smtp, "patient@example.org")) == 1 and outbox_count() == 0


def test_two_senders_never_send_the_same_row_twice(app, smtp, make_user, other_app):
    make_user("once")
    recovery.request_password_reset("once@example.org")
    db.session.commit()
    second = other_app(SMTP_URL=smtp.url)
    from app.services.account_mail import _claim

    row_id = db.session.scalar(select(AccountMail.id))
    with second.app_context():
        assert _claim(row_id)
    assert send_account_mail().sent == 0  # claimed by the other sender
    assert smtp.messages == []


def test_without_smtp_url_account_mail_is_written_to_the_log(app, make_user, caplog):
    make_user("logged", verified=False)
    app.config["SMTP_URL"] = None
    with caplog.at_level("INFO", logger="journster.mail"):
        assert send_account_mail().sent == 1
    assert "logged@example.org" in caplog.text and "/verify-email/" in caplog.text


# -- email change -------------------------------------------------------------------------------


def test_a_new_address_replaces_the_old_only_once_its_link_is_used(app, smtp, make_user):
    user = make_user("mover", verified=False)
    signup_link = account_tokens.verify_token(user, user.email)
    with pytest.raises(ValidationFailed):
        recovery.request_email_change(user, "wrong password!!", "new@example.org")
    assert recovery.request_email_change(user, PASSWORD, "New@Example.org") == "new@example.org"
    deliver()
    assert reload(user.id).email == "mover@example.org"
    [mail] = mails_to(smtp, "new@example.org")
    assert "mover" in mail.get_body(("plain",)).get_content()
    token = token_of(link_in(mail))
    recovery.verify_email(token)
    user = reload(user.id)
    assert user.email == "new@example.org" and user.email_verified
    with pytest.raises(InvalidToken):  # bound to the old address: dead now
        recovery.verify_email(token)
    # A link sent to the old address cannot switch it back or verify anything.
    with pytest.raises(InvalidToken):
        recovery.verify_email(signup_link)
    assert reload(user.id).email == "new@example.org"


def test_email_change_to_a_taken_address_is_refused_when_used(app, make_user):
    user = make_user("mover")
    make_user("owner", email="taken@example.org")
    token = account_tokens.verify_token(user, "taken@example.org")
    with pytest.raises(Conflict):
        recovery.verify_email(token)
    assert reload(user.id).email == "mover@example.org"
    for bad in (None, "", "nope", "mover@example.org"):
        with pytest.raises(ValidationFailed):
            recovery.request_email_change(user, PASSWORD, bad)
    assert outbox_count() == 0


def test_resend_queues_a_new_link_until_verified(app, make_user):
    user = make_user("waiting", verified=False)
    recovery.resend_verification(user)
    assert outbox_count() == 2
    recovery.verify_email(account_tokens.verify_token(user, user.email))
    with pytest.raises(Conflict):
        recovery.resend_verification(reload(user.id))


def test_a_link_expiring_while_the_new_password_is_hashed_is_refused(app, monkeypatch, make_user):
    # The link is read again after the (slow) hash: one that expired meanwhile answers
    # InvalidToken like any dead link, instead of failing to unpack "no token" (a 500).
    user = make_user("slowpoke")
    token = made_earlier(monkeypatch, 3599, lambda: account_tokens.reset_token(user))

    def slow_hash(password):
        later = int(time.time()) + 5
        monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda _self: later)
        return hash_password(password)

    monkeypatch.setattr(recovery, "hash_password", slow_hash)
    with pytest.raises(InvalidToken):
        recovery.reset_password(token, NEW_PASSWORD)
    assert verify_password(reload(user.id).password_hash, PASSWORD)

"""Forgot password, reset link, email verification and change, sign-out: the web pages."""

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AccountMail, User
from app.services import account_tokens
from app.services.passwords import verify_password
from tests.conftest import PASSWORD, csrf_token_from, login, post_form
from tests.mailbox import deliver, link_in, mails_to, smtp_server  # noqa: F401  (fixture "smtp")

NEW_PASSWORD = "a brand new passphrase"


def outbox_count() -> int:
    db.session.commit()
    return db.session.scalar(select(func.count()).select_from(AccountMail))


def reload(user_id: int) -> User:
    db.session.commit()
    db.session.expire_all()
    return db.session.get(User, user_id)


def ask_reset(client, email, ip="10.1.1.1"):
    return post_form(client, "/password/forgot", {"email": email}, environ_base={"REMOTE_ADDR": ip})


def test_login_page_links_to_forgot_password(client):
    assert 'href="/password/forgot"' in client.get("/login").text


def test_forgot_password_answers_the_same_for_known_and_unknown_addresses(app, make_user):
    make_user("known")
    answers = []
    for number, email in enumerate(("known@example.org", "unknown@example.org")):
        client = app.test_client()
        response = ask_reset(client, email, ip=f"10.1.1.{number + 1}")
        page = client.get("/login")
        answers.append(
            (
                response.status_code,
                response.headers["Location"],
                page.text.replace(csrf_token_from(page), ""),
            )
        )
    assert answers[0] == answers[1]
    assert answers[0][:2] == (302, "/login")
    assert "If an account has that address" in answers[0][2]
    assert outbox_count() == 2


@pytest.mark.parametrize(
    "email",
    [
        "",
        "not an address",
        "x" * 300 + "@example.org",
        "nul\x00@example.org",
        "\u202eevil@example.org",
    ],
)
def test_forgot_password_rejects_what_is_not_an_address(client, email):
    response = ask_reset(client, email)
    assert response.status_code == 422
    if "\x00" in email:  # the request gate refuses NUL in any form before the view runs
        assert "control characters" in response.text
    else:
        assert 'aria-invalid="true"' in response.text
    assert outbox_count() == 0


def test_forgot_password_needs_csrf(client):
    response = client.post("/password/forgot", data={"email": "a@example.org"})
    assert response.status_code == 400
    assert outbox_count() == 0


def test_reset_link_sets_a_new_password_and_signs_out_everywhere(app, smtp, client, make_user):
    user = make_user("forgetful")
    elsewhere = app.test_client()
    login(elsewhere, "forgetful")
    assert elsewhere.get("/settings").status_code == 200
    ask_reset(client, "forgetful@example.org")
    deliver()
    path = link_in(mails_to(smtp, "forgetful@example.org")[0])
    page = client.get(path)
    assert page.status_code == 200 and "forgetful" in page.text
    assert page.headers["Referrer-Policy"] == "no-referrer"
    mismatch = post_form(client, path, {"password": NEW_PASSWORD, "confirm": "something else"})
    assert mismatch.status_code == 422 and "Passwords do not match." in mismatch.text
    short = post_form(client, path, {"password": "short", "confirm": "short"})
    assert short.status_code == 422
    assert verify_password(reload(user.id).password_hash, PASSWORD)
    done = post_form(client, path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302 and done.headers["Location"] == "/login"
    assert elsewhere.get("/settings").status_code == 302  # the other session ended
    assert login(app.test_client(), "forgetful").status_code == 422
    assert login(app.test_client(), "forgetful", NEW_PASSWORD).status_code == 302
    again = client.get(path)
    assert again.status_code == 400 and "This link does not work" in again.text


@pytest.mark.parametrize("token", ["x", "a.b.c", "%00", "%F0%9F%92%A9", "A" * 3000])
def test_bad_reset_links_answer_400_and_change_nothing(client, make_user, token):
    user = make_user("target")
    # NUL in a path is refused by the request gate (404) before the view sees the token.
    refused = 404 if token == "%00" else 400
    assert client.get(f"/password/reset/{token}").status_code == refused
    page = client.get("/password/forgot")
    response = client.post(
        f"/password/reset/{token}",
        data={
            "csrf_token": csrf_token_from(page),
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )
    assert response.status_code == refused
    assert verify_password(reload(user.id).password_hash, PASSWORD)


def test_signup_sends_a_verification_link_that_a_button_confirms(app, smtp, client):
    post_form(
        client,
        "/register",
        {
            "username": "newbie",
            "email": "newbie@example.org",
            "password": PASSWORD,
            "confirm": PASSWORD,
        },
    )
    settings = client.get("/settings")
    assert "not confirmed yet" in settings.text
    deliver()
    path = link_in(mails_to(smtp, "newbie@example.org")[0])
    reader = app.test_client()  # a mail scanner or another browser following the link
    page = reader.get(path)
    assert page.status_code == 200 and "Confirm my address" in page.text
    user = db.session.scalar(select(User).where(User.username == "newbie"))
    assert not reload(user.id).email_verified  # GET changes nothing
    done = post_form(client, path, {})
    assert done.status_code == 302
    assert reload(user.id).email_verified
    assert "(confirmed)" in client.get("/settings").text


def test_bad_verification_links_answer_400(client, make_user):
    user = make_user("target", verified=False)
    for token in ("nonsense", account_tokens.reset_token(user)):
        response = post_form(client, f"/verify-email/{token}", {}, page="/login")
        assert response.status_code == 400
    assert not reload(user.id).email_verified


def test_settings_resend_and_change_address(app, smtp, client, make_user):
    user = make_user("mover", verified=False)
    login(client, "mover")
    resend = post_form(client, "/settings/email/verification", {}, page="/settings")
    assert resend.status_code == 302 and outbox_count() == 2
    wrong = post_form(
        client, "/settings/email", {"email": "new@example.org", "password": "not my password"}
    )
    assert wrong.status_code == 422 and outbox_count() == 2
    for bad in ("", "nope", "mover@example.org", "\x00@x.org"):
        response = post_form(client, "/settings/email", {"email": bad, "password": PASSWORD})
        assert response.status_code == 422
    assert outbox_count() == 2
    ok = post_form(client, "/settings/email", {"email": "new@example.org", "password": PASSWORD})
    assert ok.status_code == 302
    assert reload(user.id).email == "mover@example.org"
    deliver()
    path = link_in(mails_to(smtp, "new@example.org")[0])
    post_form(client, path, {})
    user = reload(user.id)
    assert user.email == "new@example.org" and user.email_verified


def test_logout_ends_the_session_on_the_server(app, client, make_user):
    make_user("alice")
    login(client, "alice", remember="y")
    copied = app.test_client()
    for name in ("journster_session", "journster_remember"):
        cookie = client.get_cookie(name)
        assert cookie is not None, name
        copied.set_cookie(name, cookie.value)
    assert copied.get("/settings").status_code == 200
    post_form(client, "/logout", {}, page="/settings")
    assert client.get("/settings").status_code == 302
    # Today a copy of the cookies kept working after sign-out.
    assert copied.get("/settings").status_code == 302
    assert login(client, "alice").status_code == 302

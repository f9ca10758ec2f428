"""Password resets and email verification through the JSON API (SPEC §3)."""

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AccountMail, User
from app.services import account_tokens
from app.services.passwords import verify_password
from tests.conftest import PASSWORD, api_token, bearer
from tests.mailbox import deliver, link_in, mails_to, smtp_server  # noqa: F401  (fixture "smtp")

API = "/api/v1"
NEW_PASSWORD = "a brand new passphrase"
VOLATILE_HEADERS = {"Date", "X-RateLimit-Reset", "Retry-After"}


def outbox_count() -> int:
    db.session.commit()
    return db.session.scalar(select(func.count()).select_from(AccountMail))


def reload(user_id: int) -> User:
    db.session.commit()
    db.session.expire_all()
    return db.session.get(User, user_id)


def ask(client, body, ip="10.2.2.2", **kwargs):
    return client.post(
        f"{API}/password-resets",
        environ_base={"REMOTE_ADDR": ip},
        **({"json": body} if body is not None else {}),
        **kwargs,
    )


def test_reset_request_answers_202_empty_identically_for_any_address(app, make_user):
    make_user("known")
    answers = []
    for email in ("known@example.org", "unknown@example.org"):
        response = ask(app.test_client(), {"email": email})
        headers = {k: v for k, v in response.headers.items() if k not in VOLATILE_HEADERS}
        answers.append((response.status_code, response.get_data(), headers))
    assert answers[0] == answers[1]
    assert answers[0][0] == 202 and answers[0][1].strip() == b"{}"
    assert outbox_count() == 2


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"email": None},
        {"email": 5},
        {"email": ["a@example.org"]},
        {"email": ""},
        {"email": "not an address"},
        {"email": "\ud800@example.org"},
        {"email": "x" * 300},
        {"email": "a@example.org", "extra": 1},
    ],
)
def test_reset_request_rejects_bad_input_with_422(client, body):
    response = ask(client, body)
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["error"]["code"] == "validation_failed"
    assert outbox_count() == 0


def test_reset_request_rejects_non_json_with_400(client):
    assert (
        ask(
            client,
            None,
            data="email=a@example.org",
            content_type="application/x-www-form-urlencoded",
        ).status_code
        == 400
    )
    assert ask(client, None, data=b"{bad json", content_type="application/json").status_code == 400
    assert outbox_count() == 0


def test_reset_token_sets_the_password_once_and_revokes_every_token(app, smtp, client, make_user):
    user = make_user("forgetful")
    token = api_token(client, "forgetful")
    assert ask(client, {"email": "Forgetful@Example.org"}).status_code == 202
    deliver()
    reset = link_in(mails_to(smtp, "forgetful@example.org")[0]).rsplit("/", 1)[1]
    short = client.post(f"{API}/password-resets/{reset}", json={"password": "short"})
    assert short.status_code == 422
    done = client.post(f"{API}/password-resets/{reset}", json={"password": NEW_PASSWORD})
    assert done.status_code == 204
    assert verify_password(reload(user.id).password_hash, NEW_PASSWORD)
    assert client.get(f"{API}/users/me", headers=bearer(token)).status_code == 401
    again = client.post(f"{API}/password-resets/{reset}", json={"password": "another one ok"})
    assert again.status_code == 400
    assert again.get_json()["error"]["code"] == "invalid_token"
    assert verify_password(reload(user.id).password_hash, NEW_PASSWORD)


@pytest.mark.parametrize("token", ["x", "a.b.c", "%F0%9F%92%A9", "A" * 900])
def test_used_expired_or_altered_reset_tokens_answer_400_invalid_token(client, make_user, token):
    user = make_user("target")
    response = client.post(f"{API}/password-resets/{token}", json={"password": NEW_PASSWORD})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_token"
    real = account_tokens.reset_token(user)
    # Not the last character: its low bits are padding, so changing it may change nothing.
    altered = real[:-6] + ("A" if real[-6] != "A" else "B") + real[-5:]
    response = client.post(f"{API}/password-resets/{altered}", json={"password": NEW_PASSWORD})
    assert response.get_json()["error"]["code"] == "invalid_token"
    assert verify_password(reload(user.id).password_hash, PASSWORD)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"password": None},
        {"password": 1234567890123},
        {"password": "\ud800" * 12},
        {"password": "x" * 5000},
    ],
)
def test_reset_with_a_bad_password_body_changes_nothing(client, make_user, body):
    user = make_user("target")
    token = account_tokens.reset_token(user)
    response = client.post(f"{API}/password-resets/{token}", json=body)
    assert response.status_code in (400, 422), response.get_json()
    assert verify_password(reload(user.id).password_hash, PASSWORD)


def test_users_me_shows_email_verified_and_resend_works_until_verified(app, smtp, client):
    created = client.post(
        f"{API}/users",
        json={"username": "newbie", "email": "newbie@example.org", "password": PASSWORD},
    )
    assert created.status_code == 201 and created.get_json()["email_verified"] is False
    headers = bearer(api_token(client, "newbie"))
    assert client.get(f"{API}/users/me", headers=headers).get_json()["email_verified"] is False
    resend = client.post(f"{API}/me/email-verification", headers=headers)
    assert resend.status_code == 202 and resend.get_json() == {}
    deliver()
    mails = mails_to(smtp, "newbie@example.org")
    assert len(mails) == 2  # sign-up and resend
    path = link_in(mails[-1])
    page = client.get("/login")
    from tests.conftest import csrf_token_from

    client.post(path, data={"csrf_token": csrf_token_from(page)})
    assert client.get(f"{API}/users/me", headers=headers).get_json()["email_verified"] is True
    again = client.post(f"{API}/me/email-verification", headers=headers)
    assert again.status_code == 409
    assert client.post(f"{API}/me/email-verification").status_code == 401


def test_openapi_documents_the_new_endpoints_and_field(client):
    spec = client.get(f"{API}/openapi.json").get_json()
    assert "202" in spec["paths"]["/api/v1/password-resets"]["post"]["responses"]
    token_post = spec["paths"]["/api/v1/password-resets/{token}"]["post"]["responses"]
    assert {"204", "400"} <= set(token_post)
    assert "202" in spec["paths"]["/api/v1/me/email-verification"]["post"]["responses"]
    schema = spec["components"]["schemas"]["PrivateUser"]
    assert schema["properties"]["email_verified"]["type"] == "boolean"

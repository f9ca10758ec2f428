"""Rate limits on password resets (5/hour) and other password checks (10/min), SPEC §3.1.

The documented numbers themselves are tested (the default settings, not lowered ones), per IP
and per account, on the web and the API; a 429 carries Retry-After and changes nothing.
"""

from sqlalchemy import func, select

from app.extensions import db
from app.models import AccountMail, User
from app.services.tokens import issue_token
from tests.conftest import PASSWORD, bearer, csrf_token_from, login
from tests.test_rate_limits import assert_429_json, assert_429_page, ip

API = "/api/v1"


def outbox_count() -> int:
    db.session.commit()
    return db.session.scalar(select(func.count()).select_from(AccountMail))


def live_users() -> int:
    db.session.commit()
    return db.session.scalar(
        select(func.count()).select_from(User).where(User.deleted_at.is_(None))
    )


def test_reset_requests_are_limited_to_5_per_hour_per_ip(app, client):
    assert app.config["RATELIMIT_PASSWORD_RESET"] == "5 per hour"
    for n in range(5):
        response = client.post(
            f"{API}/password-resets", json={"email": f"p{n}@example.org"}, environ_base=ip(1)
        )
        assert response.status_code == 202
    response = client.post(
        f"{API}/password-resets", json={"email": "p9@example.org"}, environ_base=ip(1)
    )
    assert_429_json(response)
    assert outbox_count() == 5
    # The web form shares the buckets.
    page = client.get("/password/forgot", environ_base=ip(1))
    response = client.post(
        "/password/forgot",
        environ_base=ip(1),
        data={"csrf_token": csrf_token_from(page), "email": "web@example.org"},
    )
    assert_429_page(response)
    assert outbox_count() == 5


def test_reset_requests_are_limited_to_5_per_hour_per_address(app, client):
    for n in range(5):
        page = client.get("/password/forgot")
        response = client.post(
            "/password/forgot",
            environ_base=ip(10 + n),
            data={"csrf_token": csrf_token_from(page), "email": "Victim@example.org"},
        )
        assert response.status_code == 302
    response = client.post(
        f"{API}/password-resets", json={"email": "victim@EXAMPLE.org "}, environ_base=ip(20)
    )
    assert_429_json(response)
    assert outbox_count() == 5
    # Another address from a fresh IP is not affected.
    assert (
        client.post(
            f"{API}/password-resets", json={"email": "other@example.org"}, environ_base=ip(21)
        ).status_code
        == 202
    )


def test_account_deletion_checks_are_limited_to_10_per_minute_per_account(app, client, make_user):
    assert app.config["RATELIMIT_PASSWORD_CHECK"] == "10 per minute"
    user = make_user("target")
    token, _ = issue_token(user)
    for n in range(10):
        response = client.delete(
            f"{API}/me",
            json={"password": f"guess number {n}"},
            headers=bearer(token),
            environ_base=ip(30 + n),
        )
        assert response.status_code == 422
    response = client.delete(
        f"{API}/me", json={"password": PASSWORD}, headers=bearer(token), environ_base=ip(50)
    )
    assert_429_json(response)
    assert live_users() == 1


def test_password_checks_are_limited_to_10_per_minute_per_ip(app, client, make_user):
    tokens = [issue_token(make_user(f"user{n}"))[0] for n in range(11)]
    for token in tokens[:10]:
        response = client.delete(
            f"{API}/me",
            json={"password": "wrong guess"},
            headers=bearer(token),
            environ_base=ip(60),
        )
        assert response.status_code == 422
    response = client.delete(
        f"{API}/me", json={"password": PASSWORD}, headers=bearer(tokens[10]), environ_base=ip(60)
    )
    assert_429_json(response)
    assert live_users() == 11


def test_web_password_change_is_limited_but_profile_saves_are_not(app, make_user):
    make_user("alice")
    client = app.test_client()
    login(client, "alice")
    for _ in range(12):  # saving the profile carries no password: not counted
        token = csrf_token_from(client.get("/settings"))
        response = client.post(
            "/settings",
            environ_base=ip(70),
            data={
                "csrf_token": token,
                "profile-submit": "1",
                "profile-display_name": "Alice",
                "profile-timezone": "UTC",
                "profile-email_mode": "off",
            },
        )
        assert response.status_code == 302
    for _ in range(10):
        token = csrf_token_from(client.get("/settings"))
        response = client.post(
            "/settings",
            environ_base=ip(70),
            data={
                "csrf_token": token,
                "password-submit": "1",
                "password-current_password": "wrong guess here",
                "password-new_password": "new password 123",
                "password-confirm": "new password 123",
            },
        )
        assert response.status_code == 422
    token = csrf_token_from(client.get("/settings"))
    response = client.post(
        "/settings",
        environ_base=ip(71),
        data={
            "csrf_token": token,
            "password-submit": "1",
            "password-current_password": PASSWORD,
            "password-new_password": "new password 123",
            "password-confirm": "new password 123",
        },
    )
    assert_429_page(response)  # per account, even from another IP
    page = client.get("/settings/delete")
    response = client.post(
        "/settings/delete",
        environ_base=ip(72),
        data={"csrf_token": csrf_token_from(page), "password": PASSWORD, "username": "alice"},
    )
    assert_429_page(response)
    assert live_users() == 1

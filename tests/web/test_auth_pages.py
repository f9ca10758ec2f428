"""Sign-up, sign-in and sign-out through the web pages, with their security rules."""

import time
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest

from app.extensions import db
from app.models import User
from tests.conftest import PASSWORD, csrf_token_from, login, post_form


def register(client, username="alice", email=None, password=PASSWORD, confirm=None):
    return post_form(
        client,
        "/register",
        {
            "username": username,
            "email": email or f"{username}@example.org",
            "password": password,
            "confirm": confirm if confirm is not None else password,
        },
    )


def test_register_signs_in_and_opens_settings(client):
    response = register(client, "Alice")
    assert response.status_code == 302 and response.headers["Location"] == "/settings"
    page = client.get("/settings")
    assert page.status_code == 200 and "alice" in page.text
    assert db.session.scalar(db.select(User.username)) == "alice"


def test_register_form_errors_are_shown_and_nothing_is_written(client):
    response = register(client, "a!", email="nope", password="short", confirm="other")
    assert response.status_code == 422
    assert "Passwords do not match." in response.text
    assert 'aria-invalid="true"' in response.text
    assert db.session.scalar(db.select(db.func.count(User.id))) == 0


def test_duplicate_signup_does_not_reveal_which_field_is_taken(client, make_user):
    make_user("alice", email="alice@example.org")
    by_name = register(client, "ALICE", email="fresh@example.org")
    by_email = register(client, "fresh", email="Alice@example.org")
    assert by_name.status_code == by_email.status_code == 422
    assert "That username or email address cannot be used." in by_name.text
    assert "That username or email address cannot be used." in by_email.text
    assert db.session.scalar(db.select(db.func.count(User.id))) == 1


def test_login_with_username_or_email(client, make_user):
    make_user("alice")
    response = login(client, "Alice")
    assert response.status_code == 302
    assert "Sign out" in client.get("/").text
    other = client.application.test_client()
    assert login(other, "alice@example.org").status_code == 302


def test_login_failure_message_is_the_same_for_unknown_and_wrong(client, make_user):
    make_user("alice")
    wrong = login(client, "alice", "wrong password")
    unknown = login(client, "nobody", "wrong password")
    assert wrong.status_code == unknown.status_code == 422
    assert "Wrong username, email or password." in wrong.text
    assert "Wrong username, email or password." in unknown.text


def test_login_timing_does_not_reveal_accounts(client, make_user):
    make_user("alice")

    def fastest_seconds(name):
        # The minimum of several runs is robust to a busy machine; medians are not.
        samples = []
        for _ in range(5):
            start = time.perf_counter()
            login(client, name, "wrong password")
            samples.append(time.perf_counter() - start)
        return min(samples)

    known, unknown = fastest_seconds("alice"), fastest_seconds("nobody-here")
    # Both pay one argon2 verification (~80 ms); without the dummy hash an unknown
    # name answers in ~3 ms, a ratio near 0.04.
    assert unknown > known * 0.4


def test_session_is_renewed_at_login(client, make_user):
    make_user("alice")
    before = csrf_token_from(client.get("/login"))
    login(client, "alice")
    after = csrf_token_from(client.get("/settings"))
    assert before != after
    # A token from before sign-in no longer works for a signed-in form.
    response = client.post("/logout", data={"csrf_token": before})
    assert "Sign out" in client.get("/").text
    assert response.status_code == 400


def test_logout_needs_post_with_csrf(client, make_user):
    make_user("alice")
    login(client, "alice")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400  # no CSRF token
    assert "Sign out" in client.get("/").text
    post_form(client, "/logout", {}, page="/settings")
    assert "Sign out" not in client.get("/").text
    assert client.get("/settings").status_code == 302


@pytest.mark.parametrize(
    "target, expected",
    [
        ("/users/alice", "/users/alice"),
        ("https://evil.example/", "/"),
        ("//evil.example/x", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_next_accepts_only_local_paths(client, make_user, target, expected):
    make_user("alice")
    token = csrf_token_from(client.get("/login"))
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"csrf_token": token, "login": "alice", "password": PASSWORD},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_login_required_pages_redirect_with_next(client):
    response = client.get("/settings")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_session_and_remember_cookies_are_hardened(client, make_user):
    make_user("alice")
    response = login(client, "alice", remember="y")
    cookies = {c.split("=", 1)[0]: c for c in response.headers.getlist("Set-Cookie")}
    for name in ("journster_session", "journster_remember"):
        assert name in cookies
        flags = cookies[name].lower()
        assert "httponly" in flags and "samesite=lax" in flags
        assert "secure" not in flags  # plain http in this test
    expires = cookies["journster_remember"].split("Expires=")[1].split(";")[0]
    lifetime = parsedate_to_datetime(expires) - datetime.now(UTC)
    assert timedelta(days=29) < lifetime <= timedelta(days=30)  # not Flask-Login's 365 days


def test_cookies_are_secure_over_https(app, make_user):
    make_user("alice")
    client = app.test_client()
    base = "https://journster.test"
    page = client.get("/login", base_url=base)
    token = csrf_token_from(page)
    # Over HTTPS, Flask-WTF also insists on a same-origin Referer.
    response = client.post(
        "/login",
        base_url=base,
        headers={"Referer": base + "/login"},
        data={"csrf_token": token, "login": "alice", "password": PASSWORD, "remember": "y"},
    )
    assert response.status_code == 302
    cookies = response.headers.getlist("Set-Cookie")
    assert {c.split("=")[0] for c in cookies} == {"journster_session", "journster_remember"}
    assert all("; Secure" in c for c in cookies)
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_remember_cookie_keeps_user_signed_in(app, make_user):
    make_user("alice")
    client = app.test_client()
    login(client, "alice", remember="y")
    remember = client.get_cookie("journster_remember")
    fresh = app.test_client()
    fresh.set_cookie("journster_remember", remember.value)
    assert fresh.get("/settings").status_code == 200


def test_signin_is_rate_limited_per_ip(client, make_user):
    make_user("alice")
    statuses = [login(client, f"nobody{i}", "wrong password").status_code for i in range(11)]
    assert statuses[:10] == [422] * 10
    assert statuses[10] == 429
    last = login(client, "alice")
    assert last.status_code == 429 and int(last.headers["Retry-After"]) > 0
    assert "Too many requests" in last.text


def test_signin_is_rate_limited_per_account_across_ips(app, make_user):
    make_user("alice")
    statuses = []
    for i in range(11):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"10.0.0.{i + 1}"
        statuses.append(login(client, "alice", "wrong password").status_code)
    assert statuses[-1] == 429 and 429 not in statuses[:10]


def test_signup_is_rate_limited(client):
    statuses = [register(client, f"user{i}", password="x").status_code for i in range(6)]
    assert statuses[:5] == [422] * 5 and statuses[5] == 429


def test_rate_limits_can_be_switched_off_for_load_tests(other_app, make_user):
    make_user("alice")
    client = other_app(RATELIMIT_ENABLED=False).test_client()
    statuses = {login(client, "nobody", "wrong password").status_code for _ in range(12)}
    assert statuses == {422}


def test_https_seen_through_a_trusted_proxy_makes_cookies_secure(other_app):
    client = other_app(TRUSTED_PROXY_COUNT=1).test_client()
    response = client.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "; Secure" in response.headers["Set-Cookie"]
    untrusted = other_app().test_client()
    response = untrusted.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "; Secure" not in response.headers["Set-Cookie"]

"""API v1 accounts: sign-up, tokens, profiles (SPEC §3)."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import ApiToken, User
from tests.conftest import PASSWORD, api_token, bearer, csrf_token_from, login

USER_FIELDS = {
    "id",
    "username",
    "display_name",
    "bio",
    "bio_html",
    "skills",
    "location",
    "timezone",
    "mentor_available",
    "reputation",
    "created_at",
}


def signup(client, username="alice", email=None, password=PASSWORD):
    return client.post(
        "/api/v1/users",
        json={
            "username": username,
            "email": email or f"{username}@example.org",
            "password": password,
        },
    )


def test_register_token_profile_flow(client):
    response = signup(client, "Alice")
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) >= USER_FIELDS and body["username"] == "alice"
    assert body["email"] == "alice@example.org" and "password" not in body
    created = datetime.fromisoformat(body["created_at"])
    assert created.utcoffset() == timedelta(0)

    response = client.post("/api/v1/tokens", auth=("alice", PASSWORD))
    assert response.status_code == 201
    token = response.get_json()
    expires = datetime.fromisoformat(token["expires_at"])
    assert expires > datetime.now(UTC) + timedelta(days=29)

    response = client.patch(
        "/api/v1/users/me",
        headers=bearer(token["token"]),
        json={
            "display_name": "Alice",
            "bio": "Hi **all**",
            "skills": ["Python", "sql"],
            "timezone": "Europe/Berlin",
            "mentor_available": True,
            "preferred_modes": ["video"],
            "response_time_hours": 8,
            "location": "Berlin",
            "mentor_topics": ["career"],
            "availability": "Evenings",
        },
    )
    assert response.status_code == 200, response.get_json()
    me = response.get_json()
    assert me["bio_html"] == "<p>Hi <strong>all</strong></p>"
    assert me["skills"] == ["python", "sql"] and me["mentor_available"] is True
    assert me["communication"] == {
        "preferred_modes": ["video"],
        "availability": "Evenings",
        "response_time_hours": 8,
    }

    public = client.get("/api/v1/users/ALICE").get_json()
    assert public["display_name"] == "Alice" and "email" not in public and "role" not in public
    assert (
        client.get("/api/v1/users/me", headers=bearer(token["token"])).get_json()["email"]
        == "alice@example.org"
    )

    response = client.delete("/api/v1/tokens/current", headers=bearer(token["token"]))
    assert response.status_code == 204
    response = client.get("/api/v1/users/me", headers=bearer(token["token"]))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_token_by_email_and_stored_hashed(client, make_user):
    make_user("alice")
    token = api_token(client, "Alice@Example.org")
    assert token.startswith("jst_")
    assert token not in db.session.scalars(select(ApiToken.token_hash)).all()


@pytest.mark.parametrize("auth", [("alice", "wrong password"), ("nobody", PASSWORD), None])
def test_token_refused_without_valid_basic_credentials(client, make_user, auth):
    make_user("alice")
    response = client.post("/api/v1/tokens", auth=auth)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_malformed_authorization_headers(client, make_user):
    make_user("alice")
    for header in [
        "Basic !!!notbase64",
        "Basic",
        "Bearer",
        "Bearer jst_nope",
        "Bearer " + "x" * 5000,
        "Digest abc",
    ]:
        response = client.post("/api/v1/tokens", headers={"Authorization": header})
        assert response.status_code == 401, header
        assert client.get("/api/v1/users/me", headers={"Authorization": header}).status_code == 401


def test_expired_token_is_refused(client, make_user):
    make_user("alice")
    token = api_token(client, "alice")
    record = db.session.scalars(select(ApiToken)).one()
    record.expires_at = datetime.now(UTC) - timedelta(minutes=1)
    db.session.commit()
    assert client.get("/api/v1/users/me", headers=bearer(token)).status_code == 401


def test_delete_current_token_needs_a_bearer_token(client, make_user):
    make_user("alice")
    assert client.delete("/api/v1/tokens/current").status_code == 401
    login(client, "alice")
    response = client.delete("/api/v1/tokens/current")
    assert response.status_code in (400, 401)  # cookie sessions have no "current token"


def test_duplicate_signup_is_one_generic_409(client, make_user):
    make_user("alice", email="alice@example.org")
    by_name = signup(client, "ALICE", email="new@example.org")
    by_email = signup(client, "newname", email="ALICE@example.org")
    assert by_name.status_code == by_email.status_code == 409
    assert by_name.get_json() == by_email.get_json()
    assert by_name.get_json()["error"]["code"] == "conflict"
    assert db.session.scalar(select(db.func.count(User.id))) == 1


@pytest.mark.parametrize(
    "payload, fields",
    [
        ({}, {"username", "email", "password"}),
        ({"username": "ab", "email": "a@example.org", "password": PASSWORD}, {"username"}),
        ({"username": "good_name", "email": "nope", "password": PASSWORD}, {"email"}),
        ({"username": "good_name", "email": "a@example.org", "password": "short"}, {"password"}),
        ({"username": "bad name!", "email": "a@example.org", "password": PASSWORD}, {"username"}),
        ({"username": 12345, "email": "a@example.org", "password": PASSWORD}, {"username"}),
        ({"username": "good_name", "email": ["a@example.org"], "password": PASSWORD}, {"email"}),
        ({"username": "good_name", "email": "a@example.org", "password": None}, {"password"}),
        (
            {"username": "good\x00name", "email": "a@example.org", "password": PASSWORD},
            {"username"},
        ),
        (
            {
                "username": "good_name",
                "email": "a@example.org",
                "password": PASSWORD,
                "admin": True,
            },
            {"admin"},
        ),
        ({"username": "x" * 10_000, "email": "a@example.org", "password": PASSWORD}, {"username"}),
    ],
)
def test_signup_validation_is_422_with_fields(client, payload, fields):
    response = client.post("/api/v1/users", json=payload)
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "validation_failed"
    assert set(error["fields"]) == fields
    assert db.session.scalar(select(db.func.count(User.id))) == 0


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"timezone": "Mars/Base"}, "timezone"),
        ({"mentor_available": "yes"}, "mentor_available"),
        ({"mentor_available": 1}, "mentor_available"),
        ({"response_time_hours": "24"}, "response_time_hours"),
        ({"response_time_hours": 2.5}, "response_time_hours"),
        ({"response_time_hours": 10_000}, "response_time_hours"),
        ({"skills": "python"}, "skills"),
        ({"skills": ["<script>"]}, "skills"),
        ({"preferred_modes": ["fax"]}, "preferred_modes"),
        ({"display_name": "x" * 61}, "display_name"),
        ({"display_name": "line\nbreak"}, "display_name"),
        ({"bio": "x" * 5001}, "bio"),
        ({"email": "new@example.org"}, "email"),
        ({"username": "renamed"}, "username"),
        ({"reputation": 1000}, "reputation"),
    ],
)
def test_profile_patch_validation(client, make_user, payload, field):
    make_user("alice", display_name="Alice")
    token = api_token(client, "alice")
    response = client.patch(
        "/api/v1/users/me", headers=bearer(token), json={**payload, "location": "Changed"}
    )
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["fields"]
    me = client.get("/api/v1/users/me", headers=bearer(token)).get_json()
    assert me["location"] == "" and me["display_name"] == "Alice" and me["reputation"] == 0


def test_profile_patch_needs_authentication(client, make_user):
    make_user("alice")
    response = client.patch("/api/v1/users/me", json={"bio": "x"})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_cookie_session_needs_csrf_but_bearer_does_not(client, make_user):
    make_user("alice")
    login(client, "alice")
    response = client.patch("/api/v1/users/me", json={"location": "Oslo"})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_request"
    token = csrf_token_from(client.get("/settings"))
    response = client.patch(
        "/api/v1/users/me", json={"location": "Oslo"}, headers={"X-CSRFToken": token}
    )
    assert response.status_code == 200 and response.get_json()["location"] == "Oslo"
    assert client.get("/api/v1/users/me").status_code == 200  # reads need no token
    fresh = client.application.test_client()
    token = api_token(fresh, "alice")
    response = fresh.patch("/api/v1/users/me", json={"location": "Rome"}, headers=bearer(token))
    assert response.status_code == 200


def test_unknown_user_is_404_json(client):
    response = client.get("/api/v1/users/nobody")
    assert response.status_code == 404
    assert response.get_json() == {"error": {"code": "not_found", "message": "No such user."}}


def test_token_endpoint_is_rate_limited(client, make_user):
    make_user("alice")
    statuses = [
        client.post("/api/v1/tokens", auth=("alice", "wrong password")).status_code
        for _ in range(11)
    ]
    assert statuses[:10] == [401] * 10 and statuses[10] == 429
    response = client.post("/api/v1/tokens", auth=("alice", PASSWORD))
    assert response.status_code == 429
    assert response.get_json()["error"]["code"] == "rate_limited"
    assert int(response.headers["Retry-After"]) > 0


def test_api_signup_shares_the_signup_limit(client):
    statuses = [signup(client, f"user{i}").status_code for i in range(6)]
    assert statuses[:5] == [201] * 5 and statuses[5] == 429

"""Every API error uses the SPEC §3 format; bad input never causes a 500 or a write."""

import pytest
from flask import abort
from sqlalchemy import select

from app.extensions import db
from app.models import User


def assert_error(response, status, code):
    assert response.status_code == status, response.data[:300]
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code and body["error"]["message"]
    return body["error"]


def user_count():
    return db.session.scalar(select(db.func.count(User.id)))


def test_404_405_under_api_are_json(client):
    assert_error(client.get("/api/v1/nothing/here"), 404, "not_found")
    assert_error(client.get("/api"), 404, "not_found")
    error = client.delete("/api/v1/users/alice")
    assert_error(error, 405, "method_not_allowed")
    assert "GET" in error.headers["Allow"]


def test_413_for_huge_bodies(client):
    body = b'{"username": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    response = client.post("/api/v1/users", data=body, content_type="application/json")
    assert_error(response, 413, "too_large")


def test_500_is_json_and_hides_details(app):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/api/v1/_test_crash")
    def crash():
        raise RuntimeError("internal secret")

    @app.get("/api/v1/_test_forbidden")
    def forbidden():
        abort(403)

    client = app.test_client()
    response = client.get("/api/v1/_test_crash")
    error = assert_error(response, 500, "internal_error")
    assert "secret" not in error["message"]
    assert_error(client.get("/api/v1/_test_forbidden"), 403, "forbidden")


@pytest.mark.parametrize(
    "data, content_type",
    [
        (b"username=alice", "application/x-www-form-urlencoded"),
        (b"plain text", "text/plain"),
        (b'{"username": "alice"', "application/json"),
        (b'{"username": "\xff\xfe"}', "application/json"),
        (b"\xff\xfe\x00\x00", "application/json"),
        (b"[1, 2, 3]", "application/json"),
        (b'"just a string"', "application/json"),
        (b"null", "application/json"),
        (b"NaN", "application/json"),
    ],
)
def test_malformed_bodies_are_400(client, data, content_type):
    response = client.post("/api/v1/users", data=data, content_type=content_type)
    assert_error(response, 400, "bad_request")
    assert user_count() == 0


def test_missing_body_is_422_naming_required_fields(client):
    response = client.post("/api/v1/users")
    error = assert_error(response, 422, "validation_failed")
    assert set(error["fields"]) == {"username", "email", "password"}


def test_deeply_nested_json_does_not_crash(client):
    body = "[" * 100_000 + "]" * 100_000
    response = client.post("/api/v1/users", data=body, content_type="application/json")
    assert response.status_code == 400


def test_unicode_edge_cases_are_stored_as_text(client):
    response = client.post(
        "/api/v1/users",
        json={"username": "emoji_fan", "email": "e@example.org", "password": "🎉" * 10},
    )
    assert response.status_code == 201
    response = client.post("/api/v1/tokens", auth=("emoji_fan", "🎉" * 10))
    assert response.status_code == 201

"""Layout, accessibility basics, security headers, error pages and hostile input (web)."""

import re

import pytest
from flask import abort

from app.extensions import db
from app.models import User
from tests.builders import build_answer, build_goal, build_question
from tests.conftest import login, post_form
from tests.html_audit import audit

PAGES_ANONYMOUS = ["/", "/register", "/login", "/users/alice"]
PAGES_SIGNED_IN = ["/", "/settings", "/users/alice"]


def check_page(response):
    assert response.status_code == 200
    page = audit(response.text)
    assert {"header", "main", "footer", "nav"} <= page.landmarks
    assert "main" in page.ids and page.links[0] == "#main"  # skip link comes first
    assert '<html lang="en">' in response.text
    assert 'name="viewport"' in response.text
    for field_id, wrapped in page.fields:
        assert wrapped or field_id in page.label_for, f"field {field_id} has no label"
    assert page.inline_scripts == 0 and page.handlers == []
    headers = response.headers
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_anonymous_pages_are_accessible_and_hardened(client, make_user):
    make_user("alice", bio="hello")
    for url in PAGES_ANONYMOUS:
        response = client.get(url)
        check_page(response)
        assert "no-store" not in response.headers.get("Cache-Control", "")


def test_signed_in_pages_are_accessible_and_not_cached(client, make_user):
    make_user("alice")
    login(client, "alice")
    for url in PAGES_SIGNED_IN:
        response = client.get(url)
        check_page(response)
        assert "no-store" in response.headers["Cache-Control"]


def test_static_assets_are_served(client):
    assert client.get("/static/css/site.css").status_code == 200
    assert client.get("/static/js/site.js").status_code == 200


def test_404_and_405_pages_are_html(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404 and "Not found" in response.text
    assert response.mimetype == "text/html"
    response = client.put("/login")
    assert response.status_code == 405 and "GET" in response.headers["Allow"]


def test_403_and_500_pages(app):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/_test/forbidden")
    def forbidden():
        abort(403)

    @app.get("/_test/crash")
    def crash():
        raise RuntimeError("boom with secret detail")

    client = app.test_client()
    response = client.get("/_test/forbidden")
    assert response.status_code == 403 and "Not allowed" in response.text
    response = client.get("/_test/crash")
    assert response.status_code == 500 and "Server error" in response.text
    assert "secret detail" not in response.text and "Traceback" not in response.text


def test_csrf_is_required_on_every_form(client, make_user):
    make_user("alice")
    for url, data in [
        (
            "/register",
            {
                "username": "bob",
                "email": "b@example.org",
                "password": "x" * 12,
                "confirm": "x" * 12,
            },
        ),
        ("/login", {"login": "alice", "password": "x" * 12}),
    ]:
        response = client.post(url, data=data)
        assert response.status_code == 400 and "form expired" in response.text
    assert db.session.scalar(db.select(db.func.count(User.id))) == 1


def test_oversized_form_body_is_refused_with_413(client):
    response = client.post("/login", data={"login": "x" * (2 * 1024 * 1024), "password": "y"})
    assert response.status_code == 413 and "Too large" in response.text


def test_invalid_utf8_and_control_characters_do_not_crash(client):
    response = client.post(
        "/register",
        data=b"username=%FF%FE&email=%C3%28&password=\xff\xfe",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400  # no CSRF token: refused cleanly
    response = post_form(
        client,
        "/register",
        {
            "username": "ab\x00cd",
            "email": "a\x00@example.org",
            "password": "pass\x00word12",
            "confirm": "pass\x00word12",
        },
    )
    assert response.status_code == 422
    assert client.get("/users/%FF%FE").status_code == 404
    assert client.get("/login?next=%FF%00").status_code == 200
    assert db.session.scalar(db.select(db.func.count(User.id))) == 0


@pytest.mark.parametrize(
    "username, email",
    [
        ("x" * 31, "long@example.org"),
        ("bob", "b" * 250 + "@example.org"),
        ("bob ", "bob@example.org"),
        ("🎉🎉🎉", "emoji@example.org"),
        ("\u202ebob", "rtl@example.org"),
    ],
)
def test_overlong_or_odd_signup_fields_are_refused(client, username, email):
    response = post_form(
        client,
        "/register",
        {
            "username": username,
            "email": email,
            "password": "long password",
            "confirm": "long password",
        },
    )
    if username == "bob ":
        assert response.status_code == 302  # surrounding spaces are trimmed, not an error
    else:
        assert response.status_code == 422
        assert re.search(r'class="field-error"', response.text)


def test_qa_pages_are_accessible_and_hardened(app, make_user):
    owner = make_user("alice")
    goal = build_goal(owner, description="Some *text*")
    question = build_question(owner, goal=goal)
    build_answer(make_user("bob"), question)
    pages = [
        "/",
        "/questions",
        "/goals",
        f"/goals/{goal.id}",
        f"/questions/{question.id}",
        "/tags/speaking",
        f"/questions/{question.id}/revisions",
        f"/goals/{goal.id}/revisions",
        "/users/alice",
    ]
    anonymous = app.test_client()
    for url in pages:
        check_page(anonymous.get(url))
    client = app.test_client()
    login(client, "alice")
    for url in [
        *pages,
        "/ask",
        "/goals/new",
        f"/goals/{goal.id}/edit",
        f"/questions/{question.id}/edit",
        f"/ask?goal={goal.id}",
    ]:
        check_page(client.get(url))

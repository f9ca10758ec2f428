"""Text no database can store and numbers int() cannot read: 4xx, never 500 (SPEC §3).

Each case here was a 500 before app/request_input.py and parse_int/parse_id existed.
"""

import json

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Answer, Comment, Goal, Question, User
from tests.builders import build_goal, build_question

API = "/api/v1"
SURROGATE = "\\ud800"  # as sent on the wire: a JSON escape of a lone UTF-16 surrogate


def rows() -> tuple:
    db.session.rollback()
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Goal, Question, Answer, Comment)
    )


def raw_json(client, method: str, url: str, text: str, headers: dict):
    """Send a JSON body verbatim (json= would refuse to encode a lone surrogate)."""
    return client.open(
        url, method=method, data=text.encode(), headers=headers, content_type="application/json"
    )


@pytest.fixture
def world(client, caller, make_user, relaxed_posting):
    headers = caller("ada")
    question = build_question(make_user("bob"), title="Which shoes for a first marathon?")
    return headers, question


QUESTION = '{"title": "A question with a bad char %s here", "body": "Body.", "tags": ["x"]}'
GOAL = '{"title": "A goal with a bad char %s here", "description": "", "tags": ["x"]}'
ANSWER = '{"body": "An answer that is long enough, with %s inside."}'
COMMENT = '{"body": "A comment %s"}'
PROFILE = '{"bio": "Hello %s"}'


@pytest.mark.parametrize("bad", [SURROGATE, "\\udfff", "\\u0000", "\\ud800\\u0000"])
@pytest.mark.parametrize(
    "method, path, template, field",
    [
        ("POST", "/questions", QUESTION, "title"),
        ("POST", "/goals", GOAL, "title"),
        ("POST", "/questions/{q}/answers", ANSWER, "body"),
        ("POST", "/questions/{q}/comments", COMMENT, "body"),
        ("PATCH", "/users/me", PROFILE, "bio"),
    ],
)
def test_lone_surrogates_and_nul_are_422_naming_the_field(
    client, world, bad, method, path, template, field
):
    headers, question = world
    before = rows()
    response = raw_json(client, method, API + path.format(q=question.id), template % bad, headers)
    assert response.status_code == 422, response.data[:300]
    error = response.get_json()["error"]
    assert error["code"] == "validation_failed" and field in error["fields"]
    assert rows() == before
    assert db.session.get(User, 1).bio == ""


def test_bad_text_in_keys_and_nested_values_is_422(client, world):
    headers, _ = world
    for body in (
        '{"title": "x", "tags": ["ok", "SUR"]}'.replace("SUR", SURROGATE),
        '{"SUR": 1, "title": "A fine title here"}'.replace("SUR", SURROGATE),
        '{"usernames": [{"a": "\\u0000"}]}',
    ):
        response = raw_json(client, "POST", f"{API}/questions", body, headers)
        assert response.status_code == 422, body
        assert json.dumps(response.get_json())  # the answer itself is valid JSON text


def test_valid_astral_characters_still_pass(client, world):
    headers, _ = world
    body = (
        '{"title": "Emoji \\ud83d\\ude80 and RTL \\u202e in a title", "body": "b", "tags": ["x"]}'
    )
    response = raw_json(client, "POST", f"{API}/questions", body, headers)
    assert response.status_code == 201
    assert response.get_json()["title"] == "Emoji 🚀 and RTL \u202e in a title"


@pytest.mark.parametrize(
    "key",
    [
        "²",
        "١",
        "12²",
        "99999999999999999999",
        "9" * 5000,
        "2147483648",
        "0",
        "-1",
        " 1",
        "1.0",
        "1e3",
    ],
)
def test_follow_ids_that_are_not_ids_are_404(client, world, key):
    headers, _ = world
    for method in ("PUT", "DELETE"):
        response = client.open(f"{API}/follows/goal/{key}", method=method, headers=headers)
        assert response.status_code == 404, (method, key)


@pytest.mark.parametrize("segment", ["١", "99999999999999999999", "9" * 5000, "2147483648"])
def test_path_ids_beyond_ascii_or_the_column_are_404(client, world, segment):
    headers, question = world
    for url in (
        f"/questions/{segment}",
        f"/goals/{segment}",
        f"/answers/{segment}",
        f"/goals/{segment}/messages",
        f"/questions/{segment}/answers",
    ):
        method = "POST" if url.endswith("answers") else "GET"
        response = client.open(
            API + url,
            method=method,
            headers=headers,
            json={"body": "x" * 30} if method == "POST" else None,
        )
        assert response.status_code == 404, (url, response.status_code)
    assert client.get(f"{API}/questions/{question.id}", headers=headers).status_code == 200


def test_nul_in_query_args_and_paths_never_reaches_the_database(client, world, make_user):
    headers, _ = world
    build_goal(make_user("carol"), title="Goal of carol for filtering")
    for url in (
        f"{API}/goals?owner=%00",
        f"{API}/questions?tag=a%00b",
        f"{API}/search?q=%00",
        f"{API}/users/a%00b",
        "/mentors?q=%00",
        "/mentors?tz=%00",
        "/users/a%00b",
        "/questions?tag=%00",
        "/search?q=py%00thon",
    ):
        response = client.get(url, headers=headers)
        assert response.status_code in (200, 404, 422), (url, response.status_code)


def test_nul_in_basic_credentials_is_a_clean_4xx(client, make_user):
    make_user("ada")
    response = client.post(f"{API}/tokens", auth=("ada\x00", "correct horse battery"))
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_request"

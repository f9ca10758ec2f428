"""API v1 data ownership: GET /me/export and DELETE /me (SPEC §1 "Data ownership", §3)."""

import json
import re

from sqlalchemy import func, select

from app.extensions import db
from app.models import Goal, Message, User
from app.search.indexer import drain
from app.search.service import get_backend
from app.services import mentorship, private_space
from tests.api.qa_helpers import API, assert_error, snapshot
from tests.builders import build_answer, build_goal, build_question
from tests.conftest import PASSWORD, api_token, bearer, csrf_token_from, login


def user_named(username: str) -> User:
    db.session.commit()
    return db.session.scalar(select(User).where(User.username == username))


def closed_goal_with_messages(owner_name: str, mentor_name: str) -> Goal:
    owner, mentor = user_named(owner_name), user_named(mentor_name)
    goal = build_goal(owner, title="Run my first marathon in autumn")
    mentorship.accept(mentor, mentorship.invite(owner, goal, mentor.username, "Mentor me?"))
    goal = db.session.get(Goal, goal.id)
    private_space.send_message(owner, goal, "owner says wombat")
    private_space.send_message(mentor, goal, "mentor says axolotl")
    build_question(owner, title="Private question about my knee, capybara", goal=goal)
    db.session.commit()
    return goal


def test_export_is_a_private_attachment(client, caller):
    headers = caller("alice")
    caller("coach")
    closed_goal_with_messages("alice", "coach")
    response = client.get(f"{API}/me/export", headers=headers)
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert re.fullmatch(
        r'attachment; filename="journster-alice-\d{4}-\d\d-\d\d\.json"',
        response.headers["Content-Disposition"],
    )
    assert response.headers["Cache-Control"] == "no-store"
    data = json.loads(response.data)
    assert data["schema_version"] == 1 and data["profile"]["username"] == "alice"
    text = response.get_data(as_text=True)
    for word in ("wombat", "axolotl", "capybara"):
        assert word in text


def test_export_never_holds_another_mentorships_private_words(client, caller):
    caller("alice")
    caller("coach")
    stranger = caller("stranger")
    closed_goal_with_messages("alice", "coach")
    text = client.get(f"{API}/me/export", headers=stranger).get_data(as_text=True)
    for word in ("wombat", "axolotl", "capybara", "marathon"):
        assert word not in text


def test_export_needs_an_account(client, caller):
    assert_error(client.get(f"{API}/me/export"), 401, "unauthorized")
    assert_error(
        client.get(f"{API}/me/export", headers=bearer("jst_not-a-token")), 401, "unauthorized"
    )


def test_export_with_a_session_cookie(client, make_user):
    make_user("cookie")
    login(client, "cookie")
    response = client.get(f"{API}/me/export")
    assert response.status_code == 200
    assert json.loads(response.data)["profile"]["username"] == "cookie"


def test_delete_bad_input_keeps_everything(client, caller):
    headers = caller("alice")
    caller("coach")
    closed_goal_with_messages("alice", "coach")
    before = snapshot()
    messages = db.session.scalar(select(func.count(Message.id)))
    cases = [
        ({"password": "wrong password!"}, 422),
        ({}, 422),
        ({"password": 42}, 422),
        ({"password": None}, 422),
        ({"password": "x" * 5000}, 422),
    ]
    for body, status in cases:
        response = client.delete(f"{API}/me", headers=headers, json=body)
        assert response.status_code == status, (body, response.get_json())
        assert response.get_json()["error"]["message"]
    assert client.delete(
        f"{API}/me", headers=headers, data="password=x", content_type="text/plain"
    ).status_code in (400, 415, 422)
    assert_error(client.delete(f"{API}/me", json={"password": PASSWORD}), 401, "unauthorized")
    assert snapshot() == before and db.session.scalar(select(func.count(Message.id))) == messages
    user = user_named("alice")
    assert user is not None and not user.is_deleted
    assert client.get(f"{API}/users/me", headers=headers).status_code == 200


def test_delete_me_then_posts_read_deleted_user(client, caller, relaxed_posting):
    headers = caller("alice")
    caller("coach")
    goal = closed_goal_with_messages("alice", "coach")
    alice = user_named("alice")
    question = build_question(
        alice, title="What is a good pace for a long run?", body="Beginner here, pangolin."
    )
    answer = build_answer(user_named("coach"), question)
    mine = build_answer(
        alice,
        build_question(user_named("coach"), title="Which gels work in a race?"),
        "Try them in training first; the okapi flavour is fine.",
    )
    db.session.commit()
    other_token = api_token(client, "alice")
    drain(get_backend())
    assert (
        client.get(f"{API}/search", query_string={"q": "user:alice okapi"}).get_json()["total"] == 1
    )

    response = client.delete(f"{API}/me", headers=headers, json={"password": PASSWORD})
    assert response.status_code == 204 and response.data == b""

    # Every credential of the account is dead; trying again is a clear 401.
    for auth in (headers, bearer(other_token)):
        assert_error(client.get(f"{API}/users/me", headers=auth), 401, "unauthorized")
        assert_error(
            client.delete(f"{API}/me", headers=auth, json={"password": PASSWORD}),
            401,
            "unauthorized",
        )
    assert client.post(f"{API}/tokens", auth=("alice", PASSWORD)).status_code == 401

    # The posts stay, attributed to "deleted user".
    body = client.get(f"{API}/questions/{question.id}").get_json()
    assert body["owner"]["username"] == "deleted user"
    assert body["owner"]["display_name"] == "deleted user"
    assert body["answers"][0]["id"] == answer.id
    assert client.get(f"{API}/answers/{mine.id}").get_json()["owner"]["username"] == (
        "deleted user"
    )
    text = client.get(f"{API}/questions", query_string={"per_page": 100}).get_data(as_text=True)
    assert "deleted user" in text and "alice" not in text
    deleted = db.session.get(User, alice.id)
    assert_error(client.get(f"{API}/users/{deleted.username}"), 404, "not_found")
    assert_error(client.get(f"{API}/users/alice"), 404, "not_found")

    # The mentor keeps the closed goal and their own messages, not the deleted owner's.
    coach = bearer(api_token(client, "coach"))
    goal_body = client.get(f"{API}/goals/{goal.id}", headers=coach).get_json()
    assert goal_body["owner"]["username"] == "deleted user"
    bodies = [
        m["body"]
        for m in client.get(f"{API}/goals/{goal.id}/messages", headers=coach).get_json()["items"]
    ]
    assert bodies == ["mentor says axolotl"]

    # Search still finds the posts, no longer under the old name.
    drain(get_backend())
    hits = client.get(f"{API}/search", query_string={"q": "okapi"}).get_json()
    assert [item["id"] for item in hits["items"]] == [mine.id]
    assert client.get(f"{API}/search", query_string={"q": "user:alice"}).get_json()["total"] == 0
    # Nor under the placeholder name: a deleted account is nobody `user:` can find.
    assert (
        client.get(f"{API}/search", query_string={"q": f"user:{deleted.username}"}).get_json()[
            "total"
        ]
        == 0
    )


def test_delete_me_with_a_session_needs_csrf(client, make_user):
    make_user("cookie")
    login(client, "cookie")
    refused = client.delete(f"{API}/me", json={"password": PASSWORD})
    assert refused.status_code == 400 and not user_named("cookie").is_deleted
    token = csrf_token_from(client.get("/settings"))
    response = client.delete(
        f"{API}/me", json={"password": PASSWORD}, headers={"X-CSRFToken": token}
    )
    assert response.status_code == 204
    assert client.get(f"{API}/users/me").status_code == 401
    assert client.get("/settings").status_code == 302  # the session died with it

"""Moderation through the JSON API: flags, admin hide/unhide/dismiss/suspend, the log."""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Question, User
from app.models.moderation import Flag, ModerationAction
from app.services import accounts
from tests.builders import build_answer, build_question
from tests.conftest import PASSWORD, api_token, bearer
from tests.helpers import count


@pytest.fixture
def api(app, caller, client):
    """admin, alice (asker), bob (answerer): bearer headers, plus the content."""
    headers = {name: caller(name) for name in ("admin", "alice", "bob")}
    accounts.set_role("admin", "admin")
    alice = db.session.scalar(select(User).where(User.username == "alice"))
    bob = db.session.scalar(select(User).where(User.username == "bob"))
    question = build_question(alice, title="How do I keep a practice log going?")
    answer = build_answer(bob, question)
    return client, headers, question, answer


def error_code(response) -> str:
    return response.get_json()["error"]["code"]


def test_flag_validation_and_conflicts(api):
    client, h, question, answer = api
    url = "/api/v1/flags"
    response = client.post(
        url,
        json={"type": "answer", "id": answer.id, "reason": "spam", "details": "Selling courses"},
        headers=h["alice"],
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["type"], body["target_id"], body["status"]) == ("answer", answer.id, "open")
    again = client.post(
        url, json={"type": "answer", "id": answer.id, "reason": "abuse"}, headers=h["alice"]
    )
    assert again.status_code == 409 and again.get_json()["error"]["message"] == (
        "You already flagged this."
    )
    bad = [
        ({"type": "answer", "id": answer.id}, 422),
        ({"type": "answer", "id": answer.id, "reason": "nope"}, 422),
        ({"type": "post", "id": answer.id, "reason": "spam"}, 422),
        ({"type": "answer", "id": "1", "reason": "spam"}, 422),
        ({"type": "answer", "id": answer.id, "reason": "spam", "details": "x" * 501}, 422),
        ({"type": "answer", "id": answer.id, "reason": "spam", "extra": 1}, 422),
        ({"type": "answer", "id": 999_999, "reason": "spam"}, 404),
        ({"type": "answer", "id": 2**40, "reason": "spam"}, 404),
        ({"type": "question", "id": question.id, "reason": "spam"}, 403),  # her own
    ]
    for payload, status in bad:
        response = client.post(url, json=payload, headers=h["alice"])
        assert response.status_code == status, (payload, response.get_json())
        assert "error" in response.get_json()
    assert (
        client.post(url, json={"type": "answer", "id": answer.id, "reason": "spam"}).status_code
        == 401
    )
    assert (
        client.post(
            url, data="not json", headers={**h["bob"], "Content-Type": "application/json"}
        ).status_code
        == 400
    )
    assert count(Flag) == 1


def test_admin_endpoints_are_404_for_non_admins(api):
    client, h, _question, answer = api
    flag_id = client.post(
        "/api/v1/flags",
        json={"type": "answer", "id": answer.id, "reason": "spam"},
        headers=h["alice"],
    ).get_json()["id"]
    calls = [
        ("get", "/api/v1/admin/flags", None),
        ("get", "/api/v1/admin/log", None),
        ("get", "/api/v1/admin/hidden", None),
        ("post", f"/api/v1/admin/answers/{answer.id}/hide", {}),
        ("post", f"/api/v1/admin/posts/answer/{answer.id}/hide", {}),
        ("post", f"/api/v1/admin/flags/{flag_id}/dismiss", {}),
        ("post", "/api/v1/admin/users/bob/suspend", {"reason": "x"}),
        ("post", "/api/v1/admin/users/bob/unsuspend", {}),
    ]
    for method, path, payload in calls:
        for who in ("alice", "bob"):
            response = getattr(client, method)(path, json=payload, headers=h[who])
            assert response.status_code == 404, (path, who)
            assert error_code(response) == "not_found"
        assert getattr(client, method)(path, json=payload).status_code == 401
    assert count(ModerationAction) == 0


def test_queue_hide_unhide_dismiss_and_log(api):
    client, h, question, answer = api
    client.post(
        "/api/v1/flags",
        json={"type": "answer", "id": answer.id, "reason": "spam", "details": "ad"},
        headers=h["alice"],
    )
    queue = client.get("/api/v1/admin/flags", headers=h["admin"]).get_json()
    assert queue["total"] == 1 and queue["page"] == 1
    item = queue["items"][0]
    assert (item["type"], item["id"], item["count"], item["reasons"]) == (
        "answer",
        answer.id,
        1,
        {"spam": 1},
    )
    assert item["author"] == {"username": "bob"} and item["flags"][0]["details"] == "ad"
    assert item["flags"][0]["reporter"] == {"username": "alice"}
    assert item["url"] == f"/questions/{question.id}#answer-{answer.id}"

    response = client.post(
        f"/api/v1/admin/answers/{answer.id}/hide", json={"reason": "advert"}, headers=h["admin"]
    )
    assert response.status_code == 200 and response.get_json()["hidden"] is True
    assert client.get(f"/api/v1/answers/{answer.id}").status_code == 404
    assert client.get(f"/api/v1/answers/{answer.id}", headers=h["alice"]).status_code == 404
    assert client.get(f"/api/v1/answers/{answer.id}", headers=h["bob"]).status_code == 200
    assert client.get(f"/api/v1/questions/{question.id}").get_json()["answer_count"] == 0
    again = client.post(f"/api/v1/admin/posts/answer/{answer.id}/hide", headers=h["admin"])
    assert again.status_code == 409 and error_code(again) == "conflict"
    assert client.get("/api/v1/admin/flags", headers=h["admin"]).get_json()["total"] == 0
    hidden = client.get("/api/v1/admin/hidden", headers=h["admin"]).get_json()
    assert [(i["type"], i["id"]) for i in hidden["items"]] == [("answer", answer.id)]

    response = client.post(f"/api/v1/admin/posts/answer/{answer.id}/unhide", headers=h["admin"])
    assert response.status_code == 200 and response.get_json()["hidden"] is False
    assert client.get(f"/api/v1/answers/{answer.id}").status_code == 200
    assert (
        client.post(f"/api/v1/admin/answers/{answer.id}/unhide", headers=h["admin"]).status_code
        == 409
    )
    for path in (
        "/api/v1/admin/posts/post/1/hide",
        "/api/v1/admin/things/1/hide",
        f"/api/v1/admin/answers/{2**40}/hide",
        "/api/v1/admin/answers/999999/hide",
    ):
        assert client.post(path, headers=h["admin"]).status_code == 404, path

    flag_id = client.post(
        "/api/v1/flags",
        json={"type": "question", "id": question.id, "reason": "off_topic"},
        headers=h["bob"],
    ).get_json()["id"]
    response = client.post(f"/api/v1/admin/flags/{flag_id}/dismiss", headers=h["admin"])
    assert response.status_code == 200 and response.get_json() == {"dismissed": 1}
    assert (
        client.post(f"/api/v1/admin/flags/{flag_id}/dismiss", headers=h["admin"]).status_code == 409
    )
    assert client.post("/api/v1/admin/flags/999999/dismiss", headers=h["admin"]).status_code == 404
    log = client.get("/api/v1/admin/log?per_page=2", headers=h["admin"]).get_json()
    assert log["total"] == 3 and log["per_page"] == 2
    assert [i["action"] for i in log["items"]] == ["dismiss", "unhide"]
    assert log["items"][0]["moderator"] == {"username": "admin"}
    assert client.get("/api/v1/admin/log?per_page=101", headers=h["admin"]).status_code == 422
    assert db.session.get(Question, question.id).hidden_at is None


def test_suspend_kills_tokens_and_refuses_new_ones(api, client):
    _, h, _question, _answer = api
    token = api_token(client, "bob")
    assert client.get("/api/v1/users/me", headers=bearer(token)).status_code == 200
    for payload in ({}, {"reason": ""}, {"reason": 5}, {"reason": "x" * 501}):
        response = client.post("/api/v1/admin/users/bob/suspend", json=payload, headers=h["admin"])
        assert response.status_code == 422, payload
    assert (
        client.post(
            "/api/v1/admin/users/admin/suspend", json={"reason": "x"}, headers=h["admin"]
        ).status_code
        == 403
    )
    assert (
        client.post(
            "/api/v1/admin/users/nobody/suspend", json={"reason": "x"}, headers=h["admin"]
        ).status_code
        == 404
    )
    response = client.post(
        "/api/v1/admin/users/bob/suspend", json={"reason": "Spam wave"}, headers=h["admin"]
    )
    assert response.status_code == 200
    assert response.get_json()["suspended"] is True
    assert (
        client.post(
            "/api/v1/admin/users/bob/suspend", json={"reason": "again"}, headers=h["admin"]
        ).status_code
        == 409
    )
    for headers in (bearer(token), h["bob"]):
        assert client.get("/api/v1/users/me", headers=headers).status_code == 401
    response = client.post("/api/v1/tokens", auth=("bob", PASSWORD))
    assert response.status_code == 403 and "Spam wave" in response.get_json()["error"]["message"]
    wrong = client.post("/api/v1/tokens", auth=("bob", "wrong password!!"))
    assert wrong.status_code == 401 and "Spam wave" not in wrong.text

    response = client.post("/api/v1/admin/users/bob/unsuspend", headers=h["admin"])
    assert response.status_code == 200 and response.get_json()["suspended"] is False
    assert client.post("/api/v1/admin/users/bob/unsuspend", headers=h["admin"]).status_code == 409
    assert client.post("/api/v1/tokens", auth=("bob", PASSWORD)).status_code == 201
    assert client.get("/api/v1/users/me", headers=bearer(token)).status_code == 401


def test_openapi_documents_the_moderation_endpoints(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in (
        "/api/v1/flags",
        "/api/v1/admin/flags",
        "/api/v1/admin/log",
        "/api/v1/admin/users/{username}/suspend",
        "/api/v1/admin/flags/{flag_id}/dismiss",
    ):
        assert path in paths, path
    assert any(p.startswith("/api/v1/admin/posts/") and p.endswith("/hide") for p in paths)

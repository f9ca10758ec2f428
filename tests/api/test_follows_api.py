"""PUT|DELETE /api/v1/follows/<type>/<key> and GET /api/v1/follows."""

from app.extensions import db
from app.models import Goal
from app.services import mentorship
from tests.builders import build_goal, build_question


def test_follow_unfollow_and_list(client, caller, make_user):
    alice = make_user("alice")
    goal = build_goal(alice)
    question = build_question(alice)
    headers = caller("bob")
    for _ in range(2):
        assert client.put("/api/v1/follows/tag/speaking", headers=headers).status_code == 204
        assert client.put(f"/api/v1/follows/goal/{goal.id}", headers=headers).status_code == 204
        response = client.put(f"/api/v1/follows/question/{question.id}", headers=headers)
        assert response.status_code == 204 and response.data == b""
    body = client.get("/api/v1/follows", headers=headers).get_json()
    assert body["total"] == 3 and body["page"] == 1 and body["per_page"] == 20
    items = {(i["target_type"], i["key"]): i for i in body["items"]}
    assert items[("tag", "speaking")]["label"] == "speaking"
    assert items[("goal", str(goal.id))]["label"] == goal.title
    assert items[("question", str(question.id))]["visible"] is True
    page = client.get("/api/v1/follows?per_page=1&page=2", headers=headers).get_json()
    assert len(page["items"]) == 1 and page["total"] == 3
    for _ in range(2):
        assert client.delete("/api/v1/follows/tag/speaking", headers=headers).status_code == 204
    assert client.get("/api/v1/follows", headers=headers).get_json()["total"] == 2


def test_bad_input_and_auth(client, caller, make_user):
    alice = make_user("alice")
    goal = build_goal(alice)
    headers = caller("bob")
    # An unused but well-formed tag name is followed like any (rule 7: no existence oracle).
    assert client.put("/api/v1/follows/tag/unknown", headers=headers).status_code == 204
    assert client.delete("/api/v1/follows/tag/unknown", headers=headers).status_code == 204
    for url in (
        "/api/v1/follows/tag/Bad%20Tag",
        "/api/v1/follows/user/alice",
        "/api/v1/follows/goal/abc",
        "/api/v1/follows/goal/0",
        "/api/v1/follows/goal/99999999999999999999",
        "/api/v1/follows/question/123456",
    ):
        for method in (client.put, client.delete):
            response = method(url, headers=headers)
            assert response.status_code == 404, url
            assert response.get_json()["error"]["code"] == "not_found"
    assert client.put(f"/api/v1/follows/goal/{goal.id}").status_code == 401
    assert client.get("/api/v1/follows").status_code == 401
    assert client.get("/api/v1/follows?per_page=500", headers=headers).status_code == 422


def test_hidden_goal_answers_404_and_is_listed_without_title(client, caller, make_user):
    alice, mentor = make_user("alice"), make_user("mentor")
    goal = build_goal(alice)
    question = build_question(alice, goal=goal)
    bob, carol = caller("bob"), caller("carol")
    assert client.put(f"/api/v1/follows/goal/{goal.id}", headers=bob).status_code == 204
    mentorship.accept(
        mentor, mentorship.invite(alice, db.session.get(Goal, goal.id), "mentor", "Hi")
    )
    assert client.put(f"/api/v1/follows/goal/{goal.id}", headers=carol).status_code == 404
    assert client.put(f"/api/v1/follows/question/{question.id}", headers=carol).status_code == 404
    assert client.delete(f"/api/v1/follows/goal/{goal.id}", headers=carol).status_code == 404
    items = client.get("/api/v1/follows", headers=bob).get_json()["items"]
    assert items == [{**items[0], "label": None, "visible": False}]
    assert goal.title not in client.get("/api/v1/follows", headers=bob).text
    assert client.delete(f"/api/v1/follows/goal/{goal.id}", headers=bob).status_code == 204
    assert client.get("/api/v1/follows", headers=bob).get_json()["total"] == 0


def test_openapi_documents_follows(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"put", "delete"} <= set(paths["/api/v1/follows/{target_type}/{key}"])
    assert "get" in paths["/api/v1/follows"]

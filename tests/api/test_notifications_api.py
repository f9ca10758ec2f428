"""API v1 notifications: GET /notifications and POST /notifications/read (SPEC §3).

Events made through the API notify the right person; the list is re-checked through the
gate; bad input answers a SPEC error and marks nothing read.
"""

from sqlalchemy import func, select

from app.extensions import db
from app.models import Notification
from tests.api.qa_helpers import ANSWER, API, GOAL, QUESTION, assert_error, close_goal, created, ok
from tests.conftest import login

ITEM_FIELDS = {
    "id",
    "kind",
    "actor",
    "subject_type",
    "subject_id",
    "text",
    "url",
    "read",
    "created_at",
}


def unread_rows() -> int:
    db.session.expire_all()
    return db.session.scalar(
        select(func.count(Notification.id)).where(Notification.read_at.is_(None))
    )


def setup_thread(client, caller, *, goal=False):
    asker, answerer = caller("asker"), caller("answerer")
    fields = dict(QUESTION)
    if goal:
        fields["goal_id"] = created(client.post(f"{API}/goals", headers=asker, json=GOAL))["id"]
    question = created(client.post(f"{API}/questions", headers=asker, json=fields))
    answer = created(
        client.post(
            f"{API}/questions/{question['id']}/answers", headers=answerer, json={"body": ANSWER}
        )
    )
    return asker, answerer, question, answer


def test_events_through_the_api_and_the_list_shape(client, caller, relaxed_posting):
    asker, answerer, question, answer = setup_thread(client, caller)
    ok(client.post(f"{API}/answers/{answer['id']}/helpful", headers=asker))
    created(
        client.post(
            f"{API}/answers/{answer['id']}/comments",
            headers=asker,
            json={"body": "Which part first?"},
        )
    )
    body = ok(client.get(f"{API}/notifications", headers=answerer))
    assert {k: body[k] for k in ("page", "per_page", "total", "unread")} == {
        "page": 1,
        "per_page": 20,
        "total": 2,
        "unread": 2,
    }
    comment, helped = body["items"]
    assert set(comment) == ITEM_FIELDS
    assert comment["kind"] == "comment" and helped["kind"] == "helpful"
    assert helped["actor"] == {"username": "asker"} and helped["read"] is False
    assert helped["subject_type"] == "answer" and helped["subject_id"] == answer["id"]
    assert helped["url"] == f"/questions/{question['id']}#answer-{answer['id']}"
    assert "“How do I write a conference abstract?”" in helped["text"]
    assert helped["created_at"].endswith(("Z", "+00:00"))
    asker_body = ok(client.get(f"{API}/notifications", headers=asker))
    assert [(i["kind"], i["actor"]) for i in asker_body["items"]] == [
        ("answer", {"username": "answerer"})
    ]


def test_unread_filter_paging_and_mark_read(client, caller, relaxed_posting):
    asker, answerer, _, answer = setup_thread(client, caller)
    for text in ("First follow-up question", "Second follow-up question"):
        created(
            client.post(
                f"{API}/answers/{answer['id']}/comments", headers=asker, json={"body": text}
            )
        )
    items = ok(client.get(f"{API}/notifications?per_page=1&page=2", headers=answerer))
    assert items["total"] == 2 and len(items["items"]) == 1 and items["unread"] == 2
    first_id = ok(client.get(f"{API}/notifications", headers=answerer))["items"][0]["id"]
    assert ok(
        client.post(f"{API}/notifications/read", headers=answerer, json={"ids": [first_id]})
    ) == {"unread": 1}
    unread = ok(client.get(f"{API}/notifications?unread=1", headers=answerer))
    assert unread["total"] == 1 and unread["unread"] == 1
    assert unread["items"][0]["id"] != first_id and unread["items"][0]["read"] is False
    assert (
        ok(client.get(f"{API}/notifications?unread=true&per_page=1", headers=answerer))["unread"]
        == 1
    )
    assert ok(client.post(f"{API}/notifications/read", headers=answerer)) == {"unread": 0}
    assert ok(client.post(f"{API}/notifications/read", headers=answerer, json={})) == {"unread": 0}
    assert ok(client.get(f"{API}/notifications?unread=0", headers=answerer))["total"] == 2
    assert unread_rows() == 1  # the asker's "answer" notification is untouched


def test_bad_input_marks_nothing(client, caller, relaxed_posting):
    asker, answerer, _, answer = setup_thread(client, caller)
    created(
        client.post(
            f"{API}/answers/{answer['id']}/comments",
            headers=asker,
            json={"body": "Which part first?"},
        )
    )
    theirs = ok(client.get(f"{API}/notifications", headers=asker))["items"][0]["id"]
    mine = ok(client.get(f"{API}/notifications", headers=answerer))["items"][0]["id"]
    before = unread_rows()
    for payload in (
        {"ids": [theirs]},
        {"ids": [mine, theirs]},
        {"ids": [999_999]},
        {"ids": "1"},
        {"ids": mine},
        {"ids": ["1"]},
        {"ids": [True]},
        {"ids": [1.5]},
        {"ids": [0]},
        {"ids": [-1]},
        {"ids": [2**40]},
        {"ids": None},
        {"ids": {"a": 1}},
        {"ids": list(range(1, 102))},
        {"all": True},
    ):
        response = client.post(f"{API}/notifications/read", headers=answerer, json=payload)
        assert_error(response, 422, "validation_failed")
    assert_error(
        client.post(
            f"{API}/notifications/read",
            headers=answerer,
            data="[1]",
            content_type="application/json",
        ),
        400,
        "bad_request",
    )
    assert_error(
        client.post(
            f"{API}/notifications/read",
            headers=answerer,
            data="ids=1",
            content_type="application/x-www-form-urlencoded",
        ),
        400,
        "bad_request",
    )
    for query in ("page=0", "page=x", "per_page=101", "per_page=0", "unread=maybe"):
        assert_error(
            client.get(f"{API}/notifications?{query}", headers=answerer), 422, "validation_failed"
        )
    assert unread_rows() == before


def test_authentication_required(client, caller):
    assert_error(client.get(f"{API}/notifications"), 401, "unauthorized")
    assert_error(client.post(f"{API}/notifications/read", json={}), 401, "unauthorized")
    assert_error(
        client.get(f"{API}/notifications", headers={"Authorization": "Bearer nope"}),
        401,
        "unauthorized",
    )


def test_cookie_session_polling_and_csrf(app, client, caller, relaxed_posting):
    setup_thread(client, caller)
    browser = app.test_client()
    login(browser, "asker")
    body = ok(browser.get(f"{API}/notifications?unread=1&per_page=1"))
    assert body["unread"] == 1 and body["total"] == 1
    # A state change on the cookie session needs the CSRF token (a forged form cannot).
    response = browser.post(f"{API}/notifications/read", json={})
    assert response.status_code == 400
    assert unread_rows() == 1


def test_closed_goal_hides_the_subject_from_outsiders(client, caller, relaxed_posting):
    asker, answerer, question, answer = setup_thread(client, caller, goal=True)
    ok(client.post(f"{API}/answers/{answer['id']}/helpful", headers=asker))
    caller("mentor")
    close_goal(question["goal_id"], "mentor")
    item = ok(client.get(f"{API}/notifications", headers=answerer))["items"][0]
    assert item["kind"] == "helpful" and item["read"] is False
    assert item["actor"] is None and item["url"] is None and item["subject_id"] is None
    assert "conference" not in item["text"].lower()
    # It can still be marked read.
    assert ok(
        client.post(f"{API}/notifications/read", headers=answerer, json={"ids": [item["id"]]})
    ) == {"unread": 0}
    # The owner still sees the answer notification in full.
    owner_items = ok(client.get(f"{API}/notifications", headers=asker))["items"]
    assert any(i["kind"] == "answer" and "conference abstract" in i["text"] for i in owner_items)


def test_openapi_documents_the_endpoints(client):
    spec = ok(client.get(f"{API}/openapi.json"))
    assert {"get"} <= set(spec["paths"]["/api/v1/notifications"])
    assert {"post"} <= set(spec["paths"]["/api/v1/notifications/read"])


def test_a_mention_through_the_api_and_the_page(client, caller, relaxed_posting):
    asker, _, question, answer = setup_thread(client, caller)
    reader = caller("reader")
    comment = created(
        client.post(
            f"{API}/answers/{answer['id']}/comments",
            headers=asker,
            json={"body": "@reader, does this match what you saw?"},
        )
    )
    items = ok(client.get(f"{API}/notifications", headers=reader))["items"]
    assert [(i["kind"], i["subject_id"], i["actor"]) for i in items] == [
        ("mention", comment["id"], {"username": "asker"})
    ]
    assert items[0]["url"] == f"/questions/{question['id']}#comment-{comment['id']}"
    login(client, "reader")
    page = client.get("/notifications").get_data(as_text=True)
    assert "asker mentioned you in a comment on" in page

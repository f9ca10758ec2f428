"""API v1: anonymous questions (owner null for others) and POST|GET .../invitations."""

import json

from sqlalchemy import select

from app.extensions import db
from app.models import AnswerInvitation, Notification, User
from app.models.users import ROLE_ADMIN
from app.search.indexer import drain
from app.search.service import get_backend
from app.services.blocks import block
from tests.api.qa_helpers import API, GOAL, QUESTION, assert_error, close_goal, created, ok

MARKER = "hiddenzq"
SECRET = {
    "title": "Okapi salary negotiation question for my manager",
    "body": "How do I ask for more without naming my team?",
    "tags": ["career"],
    "anonymous": True,
}
SELF_ANSWER = "Replying to myself: writing it down first helped a lot with the okapi talk."


def make_admin(username: str) -> None:
    db.session.scalar(select(User).where(User.username == username)).role = ROLE_ADMIN
    db.session.commit()


def test_anonymous_question_never_names_the_asker_to_others(client, caller, relaxed_posting):
    asker = caller(MARKER)
    reader = caller("reader")
    admin = caller("boss")
    make_admin("boss")
    question = created(client.post(f"{API}/questions", headers=asker, json=SECRET))
    assert question["anonymous"] is True and question["owner"]["username"] == MARKER
    qid = question["id"]
    named = created(
        client.post(
            f"{API}/questions",
            headers=asker,
            json={**QUESTION, "title": "An okapi question asked under my own name"},
        )
    )
    created(
        client.post(f"{API}/questions/{qid}/answers", headers=asker, json={"body": SELF_ANSWER})
    )
    created(
        client.post(
            f"{API}/questions/{qid}/comments",
            headers=asker,
            json={"body": "Clarifying the okapi part."},
        )
    )
    ok(
        client.patch(
            f"{API}/questions/{qid}",
            headers=asker,
            json={"body": "How do I ask for more, okapi edition?"},
        )
    )
    drain(get_backend())

    for headers in ({}, reader):
        detail = ok(client.get(f"{API}/questions/{qid}", headers=headers))
        assert detail["owner"] is None and detail["anonymous"] is True
        lists = [
            ok(client.get(f"{API}/questions", headers=headers)),
            ok(client.get(f"{API}/search", headers=headers, query_string={"q": "okapi"})),
            ok(
                client.get(
                    f"{API}/similar",
                    headers=headers,
                    query_string={"text": "okapi salary negotiation"},
                )
            ),
        ]
        # Every item about the anonymous thread (the named question may name its asker).
        items = [
            item
            for body in lists
            for item in body["items"]
            if qid in (item["id"], item.get("question_id"))
            or item.get("url", "").startswith(f"/questions/{qid}")
        ]
        assert len(items) >= 3
        for body in (
            detail,
            *items,
            ok(client.get(f"{API}/questions?tag=career", headers=headers)),
            ok(client.get(f"{API}/questions/{qid}/revisions", headers=headers)),
        ):
            assert MARKER not in json.dumps(body).lower()
        assert [a["owner"] for a in detail["answers"]] == [None]
        assert [c["author"] for c in detail["comments"]] == [None]
        revisions = ok(client.get(f"{API}/questions/{qid}/revisions", headers=headers))
        assert [r["editor"] for r in revisions["items"]] == [None]
        # The search index holds the posts, but user: finds only the named question.
        found = ok(
            client.get(f"{API}/search", headers=headers, query_string={"q": f"user:{MARKER}"})
        )
        assert {(i["type"], i["id"]) for i in found["items"]} == {("question", named["id"])}
        found = ok(
            client.get(f"{API}/search", headers=headers, query_string={"q": f"okapi user:{MARKER}"})
        )
        assert qid not in {i["id"] for i in found["items"]}
        assert (
            ok(client.get(f"{API}/search", headers=headers, query_string={"q": "okapi edition"}))[
                "total"
            ]
            >= 1
        )
        profile = ok(client.get(f"{API}/users/{MARKER}", headers=headers))
        assert SECRET["title"] not in json.dumps(profile)

    for headers in (asker, admin):
        detail = ok(client.get(f"{API}/questions/{qid}", headers=headers))
        assert detail["owner"]["username"] == MARKER
        assert detail["answers"][0]["owner"]["username"] == MARKER


def test_anonymous_input_rules(client, caller):
    asker = caller("asker")
    goal = created(client.post(f"{API}/goals", headers=asker, json=GOAL))
    error = assert_error(
        client.post(f"{API}/questions", headers=asker, json={**SECRET, "goal_id": goal["id"]}),
        422,
        "validation_failed",
    )
    assert "anonymous" in error["fields"]
    error = assert_error(
        client.post(f"{API}/questions", headers=asker, json={**SECRET, "anonymous": "yes"}),
        422,
        "validation_failed",
    )
    assert "anonymous" in error["fields"]
    plain = created(client.post(f"{API}/questions", headers=asker, json=QUESTION))
    assert plain["anonymous"] is False and plain["owner"]["username"] == "asker"
    assert_error(
        client.patch(f"{API}/questions/{plain['id']}", headers=asker, json={"anonymous": True}),
        422,
        "validation_failed",
    )


def test_invitations(client, caller, relaxed_posting):
    asker = caller("asker")
    other = caller("other")
    for i in range(1, 8):
        caller(f"mentor{i}")
    qid = created(client.post(f"{API}/questions", headers=asker, json=QUESTION))["id"]
    url = f"{API}/questions/{qid}/invitations"

    body = created(client.post(url, headers=asker, json={"usernames": ["mentor1", "Mentor2"]}))
    assert body["invited"] == ["mentor1", "mentor2"]
    assert [i["user"]["username"] for i in body["items"]] == ["mentor1", "mentor2"]
    db.session.commit()
    notes = db.session.scalars(
        select(Notification).where(Notification.kind == "answer_invitation")
    ).all()
    assert sorted((n.subject_type, n.subject_id) for n in notes) == [("question", qid)] * 2
    # Repeating is harmless: 200, nothing new, nobody notified twice.
    again = ok(client.post(url, headers=asker, json={"usernames": ["mentor1"]}))
    assert again["invited"] == [] and len(again["items"]) == 2
    assert [i["user"]["username"] for i in ok(client.get(url, headers=asker))["items"]] == [
        "mentor1",
        "mentor2",
    ]

    assert_error(client.get(url, headers=other), 403, "forbidden")
    assert_error(client.get(url), 401, "unauthorized")
    assert_error(client.post(url, headers=other, json={"usernames": ["mentor3"]}), 403, "forbidden")
    error = assert_error(
        client.post(url, headers=asker, json={"usernames": ["mentor3", "ghost_one", "ghost-two"]}),
        422,
        "validation_failed",
    )
    assert "ghost_one" in error["message"] and "ghost-two" in error["message"]
    assert "usernames" in error["fields"]
    assert_error(
        client.post(
            url, headers=asker, json={"usernames": [f"mentor{i}" for i in range(1, 7)] + ["other"]}
        ),
        422,
        "validation_failed",
    )
    assert_error(
        client.post(url, headers=asker, json={"usernames": ["asker"]}), 422, "validation_failed"
    )
    for bad in (
        {},
        {"usernames": "mentor3"},
        {"usernames": []},
        {"usernames": [3]},
        {"usernames": ["mentor3"], "extra": 1},
    ):
        assert_error(client.post(url, headers=asker, json=bad), 422, "validation_failed")
    block(db.session.scalar(select(User).where(User.username == "mentor3")), "asker")
    db.session.commit()
    error = assert_error(
        client.post(url, headers=asker, json={"usernames": ["mentor3"]}), 422, "validation_failed"
    )
    assert "mentor3" in error["message"]
    # Total limit: 2 + 3 = 5, then no more.
    created(client.post(url, headers=asker, json={"usernames": ["mentor4", "mentor5", "mentor6"]}))
    assert_error(
        client.post(url, headers=asker, json={"usernames": ["mentor7"]}), 422, "validation_failed"
    )
    db.session.commit()
    assert len(db.session.scalars(select(AnswerInvitation)).all()) == 5
    assert_error(
        client.post(
            f"{API}/questions/999999/invitations", headers=asker, json={"usernames": ["mentor7"]}
        ),
        404,
        "not_found",
    )


def test_closed_goal_questions_take_no_invitations(client, caller, relaxed_posting):
    owner = caller("owner")
    outsider = caller("outsider")
    caller("mentor")
    goal = created(client.post(f"{API}/goals", headers=owner, json=GOAL))
    qid = created(
        client.post(f"{API}/questions", headers=owner, json={**QUESTION, "goal_id": goal["id"]})
    )["id"]
    close_goal(goal["id"], "mentor")
    url = f"{API}/questions/{qid}/invitations"
    assert_error(
        client.post(url, headers=outsider, json={"usernames": ["mentor"]}), 404, "not_found"
    )
    assert_error(client.get(url, headers=outsider), 404, "not_found")
    assert_error(client.post(url, headers=owner, json={"usernames": ["outsider"]}), 409, "conflict")

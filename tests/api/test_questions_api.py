"""API v1 Q&A: the whole broadcast flow, lists, and who may do what (SPEC §1, §3)."""

from datetime import datetime, timedelta

from sqlalchemy import update

from app.extensions import db
from app.models import User
from tests.api.qa_helpers import (
    ANSWER,
    API,
    GOAL,
    QUESTION,
    assert_error,
    close_goal,
    created,
    ok,
    reputation,
    snapshot,
)
from tests.conftest import csrf_token_from, login

QUESTION_FIELDS = {
    "id",
    "title",
    "body",
    "body_html",
    "tags",
    "owner",
    "goal_id",
    "score",
    "answer_count",
    "outcome",
    "answered_in",
    "created_at",
    "url",
}
ANSWER_FIELDS = {
    "id",
    "question_id",
    "body",
    "body_html",
    "owner",
    "score",
    "helpful",
    "created_at",
}


def ask(client, headers, **fields):
    return created(client.post(f"{API}/questions", headers=headers, json={**QUESTION, **fields}))


def answer(client, headers, qid, body=ANSWER):
    return created(
        client.post(f"{API}/questions/{qid}/answers", headers=headers, json={"body": body})
    )


def test_broadcast_flow_end_to_end(client, caller, relaxed_posting):
    ada = caller("ada", display_name="Ada")
    bob, cyd, dan = caller("bob"), caller("cyd"), caller("dan")
    goal = created(client.post(f"{API}/goals", headers=ada, json=GOAL))
    for title in ("Pick a topic", "Submit the abstract"):
        created(
            client.post(f"{API}/goals/{goal['id']}/milestones", headers=ada, json={"title": title})
        )

    q1 = ask(client, ada, goal_id=goal["id"], tags=["speaking", "Writing"])
    assert set(q1) >= QUESTION_FIELDS
    assert q1["goal_id"] == goal["id"] and q1["tags"] == ["speaking", "writing"]
    assert q1["owner"] == {"username": "ada", "display_name": "Ada", "reputation": 0}
    assert q1["body_html"] == "<p>I have never written one. <strong>Tips?</strong></p>"
    assert q1["score"] == 0 and q1["answer_count"] == 0
    assert q1["outcome"] is None and q1["answered_in"] is None
    assert q1["url"] == f"/questions/{q1['id']}"
    assert datetime.fromisoformat(q1["created_at"]).utcoffset() == timedelta(0)
    q2 = ask(client, ada, title="How long should a lightning talk be?", goal_id=goal["id"])
    q3 = ask(client, bob, title="Which slide tool do speakers use?", tags=["tools"])

    a_bob = answer(client, bob, q1["id"], "Write the *title* last; start with the takeaway.")
    assert set(a_bob) >= ANSWER_FIELDS
    assert a_bob["question_id"] == q1["id"] and a_bob["helpful"] is False
    assert a_bob["body_html"] == "<p>Write the <em>title</em> last; start with the takeaway.</p>"
    assert a_bob["url"] == f"/questions/{q1['id']}#answer-{a_bob['id']}"
    a_cyd = answer(client, cyd, q1["id"], "Read accepted abstracts from last year first.")
    a_dan = answer(client, dan, q1["id"], "Ask the organisers what they look for, politely.")
    assert ok(client.get(f"{API}/answers/{a_dan['id']}"))["owner"]["username"] == "dan"

    c_q = created(
        client.post(
            f"{API}/questions/{q1['id']}/comments",
            headers=cyd,
            json={"body": "Which conference is it?"},
        )
    )
    assert c_q["question_id"] == q1["id"] and c_q["answer_id"] is None
    assert c_q["author"]["username"] == "cyd" and c_q["body_html"]
    c_a = created(
        client.post(
            f"{API}/answers/{a_bob['id']}/comments",
            headers=ada,
            json={"body": "Thanks, trying this tonight."},
        )
    )
    assert c_a["answer_id"] == a_bob["id"] and c_a["question_id"] is None

    assert (
        ok(client.post(f"{API}/answers/{a_bob['id']}/votes", headers=ada, json={"value": 1}))[
            "score"
        ]
        == 1
    )
    assert ok(
        client.post(f"{API}/answers/{a_bob['id']}/votes", headers=cyd, json={"value": 1})
    ) == {"value": 1, "score": 2}
    ok(client.post(f"{API}/answers/{a_cyd['id']}/votes", headers=dan, json={"value": -1}))
    ok(client.post(f"{API}/questions/{q1['id']}/votes", headers=bob, json={"value": 1}))

    for aid in (a_bob["id"], a_cyd["id"]):
        marked = ok(client.post(f"{API}/answers/{aid}/helpful", headers=ada))
        assert marked["helpful"] is True
    outcome = client.put(
        f"{API}/questions/{q1['id']}/outcome",
        headers=ada,
        json={"body": "Started from the takeaway: **accepted**!"},
    )
    assert outcome.status_code == 201
    assert (
        outcome.get_json()["body_html"] == "<p>Started from the takeaway: "
        "<strong>accepted</strong>!</p>"
    )
    replaced = ok(
        client.put(
            f"{API}/questions/{q1['id']}/outcome",
            headers=ada,
            json={"body": "Accepted, and the talk went well."},
        )
    )
    assert replaced["body"] == "Accepted, and the talk went well." and replaced["updated_at"]

    ok(
        client.patch(
            f"{API}/questions/{q1['id']}",
            headers=ada,
            json={"title": "How do I write a good conference abstract?"},
        )
    )
    ok(
        client.patch(
            f"{API}/answers/{a_bob['id']}",
            headers=bob,
            json={"body": "Write the title last; start with the single takeaway."},
        )
    )
    linked = ok(
        client.put(
            f"{API}/questions/{q2['id']}/answered-in", headers=ada, json={"question_id": q1["id"]}
        )
    )
    assert linked["answered_in"] == {
        "id": q1["id"],
        "url": f"/questions/{q1['id']}",
        "title": "How do I write a good conference abstract?",
    }

    thread = ok(client.get(f"{API}/questions/{q1['id']}"))
    assert thread["score"] == 1 and thread["answer_count"] == 3
    assert thread["title"] == "How do I write a good conference abstract?"
    assert thread["outcome"]["body"] == "Accepted, and the talk went well."
    # Helped-me first (by score among them), then the rest.
    assert [a["id"] for a in thread["answers"]] == [a_bob["id"], a_cyd["id"], a_dan["id"]]
    assert [a["helpful"] for a in thread["answers"]] == [True, True, False]
    assert [a["score"] for a in thread["answers"]] == [2, -1, 0]
    assert [c["id"] for c in thread["comments"]] == [c_q["id"]]
    assert [c["id"] for c in thread["answers"][0]["comments"]] == [c_a["id"]]
    assert thread["answers"][1]["comments"] == []
    assert thread["answers"][0]["body"].endswith("single takeaway.")

    # Reputation: +10 per answer upvote, +2 per question upvote, -2 per downvote, +15 helped.
    assert reputation("bob") == 10 + 10 + 15
    assert reputation("cyd") == -2 + 15
    assert reputation("ada") == 2
    assert reputation("dan") == 0
    assert thread["answers"][0]["owner"]["reputation"] == 35

    revisions = ok(client.get(f"{API}/questions/{q1['id']}/revisions"))
    assert revisions["total"] == 1
    assert revisions["items"][0]["title"] == QUESTION["title"]
    assert revisions["items"][0]["tags"] == ["speaking", "writing"]
    assert revisions["items"][0]["editor"] == {"username": "ada"}
    answer_revisions = ok(client.get(f"{API}/answers/{a_bob['id']}/revisions"))
    assert answer_revisions["total"] == 1
    assert answer_revisions["items"][0]["body"].startswith("Write the *title* last")
    assert answer_revisions["items"][0]["title"] is None

    newest = ok(client.get(f"{API}/questions"))
    assert [q["id"] for q in newest["items"]] == [q3["id"], q2["id"], q1["id"]]
    by_votes = ok(client.get(f"{API}/questions?sort=votes"))
    assert by_votes["items"][0]["id"] == q1["id"]
    unanswered = ok(client.get(f"{API}/questions?sort=unanswered"))
    assert [q["id"] for q in unanswered["items"]] == [q3["id"], q2["id"]]
    assert unanswered["total"] == 2
    tagged = ok(client.get(f"{API}/questions?tag=Writing"))
    assert [q["id"] for q in tagged["items"]] == [q1["id"]]
    page = ok(client.get(f"{API}/questions?per_page=2&page=2"))
    assert page == {**page, "page": 2, "per_page": 2, "total": 3}
    assert [q["id"] for q in page["items"]] == [q1["id"]]
    assert ok(client.get(f"{API}/questions?sort=unanswered&tag=tools"))["total"] == 1

    goal_view = ok(client.get(f"{API}/goals/{goal['id']}"))
    assert len(goal_view["milestones"]) == 2 and goal_view["progress"] == 0

    cleared = client.delete(f"{API}/questions/{q2['id']}/answered-in", headers=ada)
    assert cleared.status_code == 204
    assert ok(client.get(f"{API}/questions/{q2['id']}"))["answered_in"] is None
    unmarked = client.delete(f"{API}/answers/{a_cyd['id']}/helpful", headers=ada)
    assert unmarked.status_code == 204 and reputation("cyd") == -2
    assert ok(client.get(f"{API}/answers/{a_cyd['id']}"))["helpful"] is False


def test_question_permissions_on_visible_posts_are_403(client, caller):
    ada, bob = caller("ada"), caller("bob")
    goal = created(client.post(f"{API}/goals", headers=ada, json=GOAL))
    q = ask(client, ada)
    a = answer(client, bob, q["id"])
    a_own = answer(client, ada, q["id"], "Answering my own question with what I found.")
    q_bob = ask(client, bob, title="A question asked by bob here")
    before = snapshot()
    cases = [
        ("post", "/questions", {**QUESTION, "goal_id": goal["id"]}),  # someone else's goal
        ("patch", f"/questions/{q['id']}", {"title": "Taking over this question"}),
        ("patch", f"/answers/{a_own['id']}", {"body": "Rewriting someone else's answer."}),
        ("post", f"/answers/{a['id']}/helpful", None),  # not the asker
        ("delete", f"/answers/{a['id']}/helpful", None),
        ("put", f"/questions/{q['id']}/outcome", {"body": "Not my question."}),
        ("put", f"/questions/{q['id']}/answered-in", {"question_id": q_bob["id"]}),
        ("delete", f"/questions/{q['id']}/answered-in", None),
        ("post", f"/questions/{q_bob['id']}/votes", {"value": 1}),  # own question
        ("post", f"/answers/{a['id']}/votes", {"value": -1}),  # own answer
    ]
    for method, path, body in cases:
        kwargs = {"json": body} if body is not None else {}
        response = getattr(client, method)(API + path, headers=bob, **kwargs)
        assert_error(response, 403, "forbidden")
    assert snapshot() == before
    assert reputation("bob") == 0
    # Anonymous callers get 401 on every write.
    for method, path, body in cases:
        kwargs = {"json": body} if body is not None else {}
        assert_error(getattr(client, method)(API + path, **kwargs), 401, "unauthorized")
    assert snapshot() == before


def test_answered_in_rules(client, caller, relaxed_posting):
    ada, bob, cyd = caller("ada"), caller("bob"), caller("cyd")
    old = ask(client, cyd, title="An earlier thread with the answer")
    q = ask(client, ada)
    path = f"{API}/questions/{q['id']}/answered-in"
    before = snapshot()
    assert_error(client.put(path, headers=bob, json={"question_id": old["id"]}), 403, "forbidden")
    db.session.execute(update(User).where(User.username == "bob").values(reputation=500))
    db.session.commit()
    assert (
        ok(client.put(path, headers=bob, json={"question_id": old["id"]}))["answered_in"]["id"]
        == old["id"]
    )
    assert client.delete(path, headers=bob).status_code == 204
    for body, status, code in [
        ({"question_id": q["id"]}, 422, "validation_failed"),
        ({"question_id": 99999999999}, 404, "not_found"),
        ({"question_id": 123456}, 404, "not_found"),
        ({"question_id": "1"}, 422, "validation_failed"),
        ({"question_id": True}, 422, "validation_failed"),
        ({"question_id": 1.0}, 422, "validation_failed"),
        ({"question_id": None}, 422, "validation_failed"),
        ({}, 422, "validation_failed"),
        ({"question_id": old["id"], "note": "x"}, 422, "validation_failed"),
    ]:
        error = assert_error(client.put(path, headers=ada, json=body), status, code)
        if status == 422:
            assert set(error["fields"]) <= {"question_id", "note"}
    assert ok(client.get(f"{API}/questions/{q['id']}"))["answered_in"] is None
    assert snapshot() == before


def test_closed_goal_hides_everything_under_it_with_404(client, caller, relaxed_posting):
    ada, bob, cyd, eve = caller("ada"), caller("bob"), caller("cyd"), caller("eve")
    goal = created(client.post(f"{API}/goals", headers=ada, json=GOAL))
    q = ask(client, ada, goal_id=goal["id"])
    public_q = ask(client, eve, title="A public question not under any goal")
    a = answer(client, bob, q["id"])
    ok(client.patch(f"{API}/questions/{q['id']}", headers=ada, json={"tags": ["private"]}))
    ok(
        client.put(
            f"{API}/questions/{public_q['id']}/answered-in",
            headers=eve,
            json={"question_id": q["id"]},
        )
    )
    close_goal(goal["id"], "cyd")
    before = snapshot()
    rep_before = reputation("bob")

    hidden = [
        ("get", f"/questions/{q['id']}", None),
        ("get", f"/questions/{q['id']}/revisions", None),
        ("get", f"/answers/{a['id']}", None),
        ("get", f"/answers/{a['id']}/revisions", None),
        ("patch", f"/questions/{q['id']}", {"title": "A new title for it"}),
        ("patch", f"/answers/{a['id']}", {"body": "Editing my old answer under a closed goal."}),
        ("post", f"/questions/{q['id']}/answers", {"body": ANSWER}),
        ("post", f"/questions/{q['id']}/comments", {"body": "Hello?"}),
        ("post", f"/answers/{a['id']}/comments", {"body": "Hello?"}),
        ("post", f"/questions/{q['id']}/votes", {"value": 1}),
        ("delete", f"/questions/{q['id']}/votes", None),
        ("post", f"/answers/{a['id']}/votes", {"value": -1}),
        ("delete", f"/answers/{a['id']}/votes", None),
        ("post", f"/answers/{a['id']}/helpful", None),
        ("delete", f"/answers/{a['id']}/helpful", None),
        ("put", f"/questions/{q['id']}/outcome", {"body": "What happened"}),
        ("put", f"/questions/{q['id']}/answered-in", {"question_id": public_q["id"]}),
        ("delete", f"/questions/{q['id']}/answered-in", None),
        ("post", "/questions", {**QUESTION, "goal_id": goal["id"]}),
        ("put", f"/questions/{public_q['id']}/answered-in", {"question_id": q["id"]}),
    ]
    for who in (bob, eve, {}):
        for method, path, body in hidden:
            kwargs = {"json": body} if body is not None else {}
            response = getattr(client, method)(API + path, headers=who, **kwargs)
            if not who and method != "get":
                assert_error(response, 401, "unauthorized")
            elif path.startswith(f"/questions/{public_q['id']}") and who is bob:
                assert_error(response, 403, "forbidden")  # bob may not link eve's question
            else:
                assert_error(response, 404, "not_found")
    assert snapshot() == before and reputation("bob") == rep_before

    # Lists and links behave as if the question did not exist.
    for who in (bob, eve, {}):
        listed = ok(client.get(f"{API}/questions", headers=who))
        assert [item["id"] for item in listed["items"]] == [public_q["id"]]
        assert ok(client.get(f"{API}/questions?tag=private", headers=who))["total"] == 0
        assert (
            ok(client.get(f"{API}/questions/{public_q['id']}", headers=who))["answered_in"] is None
        )
    # The owner and the mentor still see all of it.
    for who in (ada, cyd):
        assert (
            ok(client.get(f"{API}/questions/{q['id']}", headers=who))["answers"][0]["id"] == a["id"]
        )
        assert ok(client.get(f"{API}/questions", headers=who))["total"] == 2
        assert (
            ok(client.get(f"{API}/questions/{public_q['id']}", headers=who))["answered_in"]["id"]
            == q["id"]
        )
    assert created(
        client.post(
            f"{API}/questions/{q['id']}/answers",
            headers=cyd,
            json={"body": "As your mentor: rehearse it twice aloud."},
        )
    )


def test_questions_under_missing_or_hidden_goals(client, caller):
    ada, cyd = caller("ada"), caller("cyd")
    hidden = created(client.post(f"{API}/goals", headers=cyd, json=GOAL))
    close_goal(hidden["id"], "ada")  # ada is the mentor: she sees it but does not own it
    before = snapshot()
    assert_error(
        client.post(f"{API}/questions", headers=ada, json={**QUESTION, "goal_id": hidden["id"]}),
        403,
        "forbidden",
    )
    bob = caller("bob")
    for goal_id in (hidden["id"], 99999999999, 123456):
        assert_error(
            client.post(f"{API}/questions", headers=bob, json={**QUESTION, "goal_id": goal_id}),
            404,
            "not_found",
        )
    assert snapshot() == before
    assert ask(client, ada, goal_id=None)["goal_id"] is None


def test_cookie_session_writes_need_the_csrf_token(client, make_user):
    make_user("ada")
    login(client, "ada")
    before = snapshot()
    assert_error(client.post(f"{API}/questions", json=QUESTION), 400, "bad_request")
    assert snapshot() == before
    token = csrf_token_from(client.get("/settings"))
    response = client.post(f"{API}/questions", json=QUESTION, headers={"X-CSRFToken": token})
    assert created(response)["owner"]["username"] == "ada"


def test_empty_patch_changes_nothing(client, caller):
    ada, bob = caller("ada"), caller("bob")
    q = ask(client, ada)
    before = snapshot()
    assert ok(client.patch(f"{API}/questions/{q['id']}", headers=ada, json={}))["id"] == q["id"]
    assert ok(client.patch(f"{API}/questions/{q['id']}", headers=ada))["id"] == q["id"]
    assert_error(client.patch(f"{API}/questions/{q['id']}", headers=bob, json={}), 403, "forbidden")
    assert snapshot() == before

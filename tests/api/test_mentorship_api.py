"""API v1 mentorship: invites, the closed phase and its private space (SPEC §1, §3).

Every bad request answers a SPEC §3 JSON error with the right status and writes nothing.
"""

from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from app.extensions import db
from app.models import (
    Agreement,
    CheckIn,
    Goal,
    GoalEvent,
    Mentorship,
    MentorshipRequest,
    Message,
)
from app.models.base import utcnow
from tests.api.qa_helpers import (
    ANSWER,
    API,
    GOAL,
    QUESTION,
    assert_error,
    created,
    ok,
    snapshot,
)

REQUEST_FIELDS = {"id", "goal_id", "protege", "mentor", "message", "status", "created_at"}
MESSAGE_FIELDS = {"id", "goal_id", "sender", "body", "body_html", "created_at"}
AGREEMENT = {
    "modes": ["video", "message"],
    "cadence": "Every other Monday evening",
    "response_time_hours": 48,
    "success_criteria": "Give the talk, **on time**.",
}
MENTORSHIP_MODELS = (MentorshipRequest, Mentorship, Message, Agreement, CheckIn, GoalEvent)


# -- helpers --------------------------------------------------------------------------------


def state() -> dict:
    """Everything a mentorship request could change: row counts, goals, invite statuses."""
    db.session.expire_all()
    rows = {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in MENTORSHIP_MODELS
    }
    goals = sorted(
        db.session.execute(
            select(Goal.id, Goal.visibility, Goal.status, Goal.mentor_id, Goal.summary)
        ).all()
    )
    requests = sorted(
        db.session.execute(select(MentorshipRequest.id, MentorshipRequest.status)).all()
    )
    phases = sorted(db.session.execute(select(Mentorship.id, Mentorship.state)).all())
    return {**rows, **snapshot(), "goals": goals, "requests": requests, "phases": phases}


def new_goal(client, headers, **fields) -> dict:
    return created(client.post(f"{API}/goals", headers=headers, json={**GOAL, **fields}))


def ask(client, headers, **fields) -> dict:
    return created(client.post(f"{API}/questions", headers=headers, json={**QUESTION, **fields}))


def answer(client, headers, qid, body=ANSWER) -> dict:
    return created(
        client.post(f"{API}/questions/{qid}/answers", headers=headers, json={"body": body})
    )


def invite(client, headers, goal_id, mentor, message="Would you mentor me on this?"):
    return client.post(
        f"{API}/goals/{goal_id}/mentorship-requests",
        headers=headers,
        json={"mentor": mentor, "message": message},
    )


def close_via_api(client, owner, mentor_headers, goal_id, mentor) -> dict:
    request = created(invite(client, owner, goal_id, mentor))
    return ok(
        client.post(f"{API}/mentorship-requests/{request['id']}/accept", headers=mentor_headers)
    )


def is_utc(stamp: str) -> bool:
    return datetime.fromisoformat(stamp).utcoffset() == timedelta(0)


def later(days=3) -> str:
    return (utcnow() + timedelta(days=days)).replace(microsecond=0).isoformat()


# -- the whole journey ----------------------------------------------------------------------


def test_mentorship_journey_end_to_end(client, caller, relaxed_posting):
    ada, bob, cyd, eve = caller("ada"), caller("bob"), caller("cyd"), caller("eve")
    goal = new_goal(client, ada)
    gid = goal["id"]
    public_q = ask(client, ada, goal_id=gid)
    helped = answer(client, bob, public_q["id"])
    public_a = answer(client, eve, public_q["id"], "Practise the talk aloud in front of a friend.")
    ok(client.post(f"{API}/answers/{helped['id']}/helpful", headers=ada))
    ok(client.post(f"{API}/answers/{public_a['id']}/votes", headers=cyd, json={"value": 1}))

    # Candidates: answerers first, helped-me above votes, each with a reason and answers.
    ranked = ok(client.get(f"{API}/goals/{gid}/mentor-candidates", headers=ada))["items"]
    assert [c["user"]["username"] for c in ranked][:2] == ["bob", "eve"]
    top = ranked[0]
    assert top["username"] == "bob" and top["reason"].startswith("1 helpful answer")
    assert (top["helpful_on_goal"], top["votes_on_goal"]) == (1, 0)
    assert ranked[1]["votes_on_goal"] == 1 and ranked[0]["score"] > ranked[1]["score"]
    assert [a["id"] for a in top["answers"]] == [helped["id"]]
    assert top["answers"][0]["url"] == f"/questions/{public_q['id']}#answer-{helped['id']}"

    # Invite: 201 with the SPEC request object, visible to its two parties only.
    request = created(invite(client, ada, gid, "BOB", "You helped most: would you mentor me?"))
    assert set(request) >= REQUEST_FIELDS
    assert request["goal_id"] == gid and request["status"] == "pending"
    assert request["protege"]["username"] == "ada" and request["mentor"]["username"] == "bob"
    assert request["message"] == "You helped most: would you mentor me?"
    assert is_utc(request["created_at"]) and is_utc(request["expires_at"])
    rid = request["id"]
    for who in (ada, bob):
        assert ok(client.get(f"{API}/mentorship-requests/{rid}", headers=who)) == request
    assert_error(client.get(f"{API}/mentorship-requests/{rid}", headers=cyd), 404, "not_found")
    assert_error(client.get(f"{API}/mentorship-requests/{rid}"), 401, "unauthorized")

    # Accept: from this very response on, the goal is closed to everyone but the pair.
    accepted = ok(client.post(f"{API}/mentorship-requests/{rid}/accept", headers=bob))
    assert accepted["status"] == "accepted" and accepted["id"] == rid
    for who in ({}, cyd, eve):
        assert_error(client.get(f"{API}/goals/{gid}", headers=who), 404, "not_found")
        assert_error(client.get(f"{API}/questions/{public_q['id']}", headers=who), 404, "not_found")
        assert_error(client.get(f"{API}/answers/{public_a['id']}", headers=who), 404, "not_found")
        listed = ok(client.get(f"{API}/goals", headers=who))
        assert gid not in [g["id"] for g in listed["items"]]
    for who in (ada, bob):
        seen = ok(client.get(f"{API}/goals/{gid}", headers=who))
        assert (seen["visibility"], seen["mentor"]["username"]) == ("closed", "bob")
        assert (
            ok(client.get(f"{API}/questions/{public_q['id']}", headers=who))["id"] == public_q["id"]
        )
    assert_error(client.get(f"{API}/goals/{gid}/mentor-candidates", headers=eve), 404, "not_found")

    # Agreement: none yet, then versions from either party; the latest is current.
    assert_error(client.get(f"{API}/goals/{gid}/agreement", headers=ada), 404, "not_found")
    first = ok(client.put(f"{API}/goals/{gid}/agreement", headers=ada, json=AGREEMENT))
    assert first["version"] == 1 and first["modes"] == ["message", "video"]
    assert first["response_time_hours"] == 48 and first["author"]["username"] == "ada"
    assert "<strong>on time</strong>" in first["success_html"] and is_utc(first["created_at"])
    second = ok(
        client.put(
            f"{API}/goals/{gid}/agreement",
            headers=bob,
            json={**AGREEMENT, "response_time_hours": 24, "modes": ["phone"]},
        )
    )
    assert (second["version"], second["response_time_hours"]) == (2, 24)
    for who in (ada, bob):
        current = ok(client.get(f"{API}/goals/{gid}/agreement", headers=who))
        assert current == second
    assert db.session.scalar(select(func.count(Agreement.id))) == 2  # v1 kept
    for who in ({}, cyd):
        response = client.get(f"{API}/goals/{gid}/agreement", headers=who)
        assert_error(response, 401 if not who else 404, "unauthorized" if not who else "not_found")

    # Messages: both directions, oldest first, Markdown rendered.
    hello = created(
        client.post(f"{API}/goals/{gid}/messages", headers=ada, json={"body": "Hello **mentor**"})
    )
    assert set(hello) >= MESSAGE_FIELDS and hello["goal_id"] == gid
    assert hello["sender"]["username"] == "ada" and "<strong>mentor</strong>" in hello["body_html"]
    assert is_utc(hello["created_at"])
    reply = created(
        client.post(f"{API}/goals/{gid}/messages", headers=bob, json={"body": "Hello protégé"})
    )
    for who in (ada, bob):
        thread = ok(client.get(f"{API}/goals/{gid}/messages", headers=who))
        assert [m["id"] for m in thread["items"]] == [hello["id"], reply["id"]]
        assert (thread["total"], thread["page"], thread["per_page"]) == (2, 1, 50)
    paged = ok(client.get(f"{API}/goals/{gid}/messages?per_page=1&page=2", headers=bob))
    assert [m["id"] for m in paged["items"]] == [reply["id"]] and paged["total"] == 2

    # Check-ins: plan one, list, write the notes afterwards.
    when = later()
    checkin = created(
        client.post(
            f"{API}/goals/{gid}/checkins",
            headers=bob,
            json={"scheduled_at": when, "agenda": "Review the *draft*"},
        )
    )
    assert datetime.fromisoformat(checkin["scheduled_at"]) == datetime.fromisoformat(when)
    assert is_utc(checkin["scheduled_at"]) and "<em>draft</em>" in checkin["agenda_html"]
    assert checkin["author"]["username"] == "bob" and checkin["notes"] == ""
    moved = ok(
        client.patch(
            f"{API}/goals/{gid}/checkins/{checkin['id']}",
            headers=ada,
            json={"scheduled_at": "2031-05-04T18:30+02:00"},
        )
    )
    assert moved["scheduled_at"].startswith("2031-05-04T16:30:00")
    noted = ok(
        client.patch(
            f"{API}/goals/{gid}/checkins/{checkin['id']}",
            headers=ada,
            json={"notes": "Went well; cut slide 4."},
        )
    )
    assert noted["notes"] == "Went well; cut slide 4." and noted["agenda"] == "Review the *draft*"
    for who in (ada, bob):
        assert [
            c["id"] for c in ok(client.get(f"{API}/goals/{gid}/checkins", headers=who))["items"]
        ] == [checkin["id"]]

    # Content written now is private to this phase, forever.
    private_q = ask(client, ada, title="A private question for my mentor only", goal_id=gid)
    private_a = answer(client, bob, public_q["id"], "Private advice: " + ANSWER)

    # Pause and resume, by either party.
    assert ok(client.post(f"{API}/goals/{gid}/pause", headers=bob))["id"] == gid
    assert_error(client.post(f"{API}/goals/{gid}/pause", headers=ada), 409, "conflict")
    ok(client.post(f"{API}/goals/{gid}/resume", headers=ada))
    assert_error(client.post(f"{API}/goals/{gid}/resume", headers=bob), 409, "conflict")

    # Complete with a summary: achieved, and its public history is public again.
    done = ok(
        client.post(
            f"{API}/goals/{gid}/complete",
            headers=ada,
            json={"summary": "I learned to start from the **takeaway**."},
        )
    )
    assert (done["status"], done["visibility"], done["mentor"]) == ("achieved", "open", None)
    for who in ({}, cyd, eve):
        assert ok(client.get(f"{API}/goals/{gid}", headers=who))["status"] == "achieved"
        thread = ok(client.get(f"{API}/questions/{public_q['id']}", headers=who))
        assert {a["id"] for a in thread["answers"]} == {helped["id"], public_a["id"]}
        assert_error(
            client.get(f"{API}/questions/{private_q['id']}", headers=who), 404, "not_found"
        )
        assert_error(client.get(f"{API}/answers/{private_a['id']}", headers=who), 404, "not_found")
    # The owner and the mentor of that phase keep seeing its private content.
    for who in (ada, bob):
        assert (
            ok(client.get(f"{API}/questions/{private_q['id']}", headers=who))["id"]
            == private_q["id"]
        )
        assert (
            ok(client.get(f"{API}/answers/{private_a['id']}", headers=who))["id"] == private_a["id"]
        )
    # The private space belongs to a mentorship in progress; its history stays in the DB.
    before = state()
    assert_error(
        client.post(f"{API}/goals/{gid}/messages", headers=ada, json={"body": "Still there?"}),
        409,
        "conflict",
    )
    assert_error(client.post(f"{API}/goals/{gid}/pause", headers=ada), 409, "conflict")
    assert_error(client.post(f"{API}/goals/{gid}/complete", headers=ada), 409, "conflict")
    assert state() == before
    assert ok(client.get(f"{API}/goals/{gid}/messages", headers=ada))["total"] == 2


def test_complete_without_summary_keeps_the_goal_closed_until_one_is_published(
    client, caller, relaxed_posting
):
    ada, bob, cyd = caller("ada"), caller("bob"), caller("cyd")
    gid = new_goal(client, ada)["id"]
    close_via_api(client, ada, bob, gid, "bob")
    before = state()
    assert_error(
        client.post(f"{API}/goals/{gid}/summary", headers=ada, json={"summary": "Too early"}),
        409,
        "conflict",
    )
    assert_error(client.post(f"{API}/goals/{gid}/complete", headers=bob), 403, "forbidden")
    assert_error(client.post(f"{API}/goals/{gid}/complete", headers=cyd), 404, "not_found")
    assert_error(client.post(f"{API}/goals/{gid}/complete"), 401, "unauthorized")
    assert state() == before

    done = ok(client.post(f"{API}/goals/{gid}/complete", headers=ada))
    assert (done["status"], done["visibility"], done["mentor"]["username"]) == (
        "achieved",
        "closed",
        "bob",
    )
    assert_error(client.get(f"{API}/goals/{gid}", headers=cyd), 404, "not_found")
    assert ok(client.get(f"{API}/goals/{gid}", headers=bob))["status"] == "achieved"

    before = state()
    for body, status, code in [
        ({"summary": ""}, 422, "validation_failed"),
        ({"summary": "x" * 20_001}, 422, "validation_failed"),
        ({"summary": 42}, 422, "validation_failed"),
        ({}, 422, "validation_failed"),
        ({"summary": "Fine", "extra": 1}, 422, "validation_failed"),
    ]:
        error = assert_error(
            client.post(f"{API}/goals/{gid}/summary", headers=ada, json=body), status, code
        )
        assert set(error["fields"]) <= {"summary", "extra"}
    assert_error(
        client.post(f"{API}/goals/{gid}/summary", headers=bob, json={"summary": "Mentor's words"}),
        403,
        "forbidden",
    )
    assert_error(
        client.post(
            f"{API}/goals/{gid}/summary", headers=ada, data="summary", content_type="text/plain"
        ),
        400,
        "bad_request",
    )
    assert state() == before

    published = ok(
        client.post(f"{API}/goals/{gid}/summary", headers=ada, json={"summary": "Slow and steady."})
    )
    assert published["visibility"] == "open"
    assert ok(client.get(f"{API}/goals/{gid}", headers=cyd))["id"] == gid
    assert ok(client.get(f"{API}/goals/{gid}"))["status"] == "achieved"


def test_complete_with_a_bad_summary_changes_nothing(client, caller):
    ada, bob = caller("ada"), caller("bob")
    gid = new_goal(client, ada)["id"]
    close_via_api(client, ada, bob, gid, "bob")
    before = state()
    for body in (
        {"summary": ""},
        {"summary": "   "},
        {"summary": "x" * 20_001},
        {"summary": None},
        {"summary": ["a"]},
        {"summary": "ok", "extra": True},
    ):
        error = assert_error(
            client.post(f"{API}/goals/{gid}/complete", headers=ada, json=body),
            422,
            "validation_failed",
        )
        assert set(error["fields"]) <= {"summary", "extra"}
    assert_error(
        client.post(
            f"{API}/goals/{gid}/complete", headers=ada, data="[1]", content_type="application/json"
        ),
        400,
        "bad_request",
    )
    assert state() == before
    assert ok(client.get(f"{API}/goals/{gid}", headers=ada))["status"] == "active"


def test_release_then_reopen(client, caller, relaxed_posting):
    ada, bob, cyd = caller("ada"), caller("bob"), caller("cyd")
    gid = new_goal(client, ada)["id"]
    public_q = ask(client, ada, goal_id=gid)
    close_via_api(client, ada, bob, gid, "bob")
    private_q = ask(client, ada, title="Written during the first mentorship", goal_id=gid)
    created(client.post(f"{API}/goals/{gid}/messages", headers=bob, json={"body": "Hi"}))

    before = state()
    assert_error(client.post(f"{API}/goals/{gid}/release", headers=ada), 403, "forbidden")
    assert_error(client.post(f"{API}/goals/{gid}/release", headers=cyd), 404, "not_found")
    assert_error(client.post(f"{API}/goals/{gid}/reopen", headers=bob), 403, "forbidden")
    assert_error(client.post(f"{API}/goals/{gid}/pause", headers=cyd), 404, "not_found")
    assert_error(client.post(f"{API}/goals/{gid}/resume"), 401, "unauthorized")
    assert state() == before

    released = ok(client.post(f"{API}/goals/{gid}/release", headers=bob))
    assert (released["visibility"], released["mentor"]) == ("closed", None)
    # The former mentor now sees what everyone sees, plus their own phase's private content.
    assert_error(client.get(f"{API}/goals/{gid}", headers=bob), 404, "not_found")
    assert_error(client.get(f"{API}/goals/{gid}", headers=cyd), 404, "not_found")
    before = state()
    for path, body in [
        ("messages", {"body": "Anyone?"}),
        ("agreement", AGREEMENT),
        ("checkins", {"scheduled_at": later(), "agenda": "Nobody"}),
    ]:
        method = client.put if path == "agreement" else client.post
        assert_error(method(f"{API}/goals/{gid}/{path}", headers=ada, json=body), 409, "conflict")
    assert_error(client.post(f"{API}/goals/{gid}/pause", headers=ada), 409, "conflict")
    assert_error(client.post(f"{API}/goals/{gid}/reopen", headers=bob), 404, "not_found")
    assert state() == before

    reopened = ok(client.post(f"{API}/goals/{gid}/reopen", headers=ada))
    assert (reopened["visibility"], reopened["mentor"]) == ("open", None)
    assert_error(client.post(f"{API}/goals/{gid}/reopen", headers=ada), 409, "conflict")
    for who in ({}, cyd, bob):
        assert (
            ok(client.get(f"{API}/questions/{public_q['id']}", headers=who))["id"] == public_q["id"]
        )
    for who in ({}, cyd):
        assert_error(
            client.get(f"{API}/questions/{private_q['id']}", headers=who), 404, "not_found"
        )
    assert (
        ok(client.get(f"{API}/questions/{private_q['id']}", headers=bob))["id"] == private_q["id"]
    )
    # The open goal has no private space: the owner's thread history remains readable.
    assert_error(
        client.post(f"{API}/goals/{gid}/messages", headers=ada, json={"body": "Hello?"}),
        409,
        "conflict",
    )
    assert ok(client.get(f"{API}/goals/{gid}/messages", headers=ada))["total"] == 1
    assert_error(client.get(f"{API}/goals/{gid}/messages", headers=cyd), 403, "forbidden")

    # A new mentor: they see the public phase and their own, never the earlier private one.
    close_via_api(client, ada, cyd, gid, "cyd")
    assert_error(client.get(f"{API}/questions/{private_q['id']}", headers=cyd), 404, "not_found")
    assert ok(client.get(f"{API}/goals/{gid}/messages", headers=cyd))["total"] == 0
    assert ok(client.get(f"{API}/goals/{gid}/messages", headers=ada))["total"] == 1


# -- invites: answers and conflicts ---------------------------------------------------------


def test_decline_and_withdraw(client, caller):
    ada, bob, cyd = caller("ada"), caller("bob"), caller("cyd")
    gid = new_goal(client, ada)["id"]
    rid = created(invite(client, ada, gid, "bob"))["id"]
    before = state()
    assert_error(
        client.post(f"{API}/mentorship-requests/{rid}/decline", headers=ada), 403, "forbidden"
    )
    assert_error(
        client.post(f"{API}/mentorship-requests/{rid}/decline", headers=cyd), 404, "not_found"
    )
    assert_error(client.delete(f"{API}/mentorship-requests/{rid}", headers=bob), 403, "forbidden")
    assert_error(client.delete(f"{API}/mentorship-requests/{rid}", headers=cyd), 404, "not_found")
    assert_error(client.delete(f"{API}/mentorship-requests/{rid}"), 401, "unauthorized")
    assert state() == before

    declined = ok(client.post(f"{API}/mentorship-requests/{rid}/decline", headers=bob))
    assert declined["status"] == "declined"
    before = state()
    for path, who in [("/decline", bob), ("/accept", bob), ("", ada)]:
        method = client.delete if not path else client.post
        error = assert_error(
            method(f"{API}/mentorship-requests/{rid}{path}", headers=who), 409, "conflict"
        )
        assert "declined" in error["message"]
    assert state() == before

    rid2 = created(invite(client, ada, gid, "bob", "Let me ask once more."))["id"]
    withdrawn = client.delete(f"{API}/mentorship-requests/{rid2}", headers=ada)
    assert ok(withdrawn)["status"] == "withdrawn"
    before = state()
    error = assert_error(
        client.post(f"{API}/mentorship-requests/{rid2}/accept", headers=bob), 409, "conflict"
    )
    assert "withdrawn" in error["message"]
    assert_error(client.delete(f"{API}/mentorship-requests/{rid2}", headers=ada), 409, "conflict")
    assert state() == before
    assert ok(client.get(f"{API}/goals/{gid}", headers=cyd))["visibility"] == "open"


def test_accept_conflicts_and_permissions(client, caller):
    ada, bob, cyd = caller("ada"), caller("bob"), caller("cyd")
    gid = new_goal(client, ada)["id"]
    rid = created(invite(client, ada, gid, "bob"))["id"]
    before = state()
    # The owner sees the invite but may not accept it; a stranger does not see it at all.
    assert_error(
        client.post(f"{API}/mentorship-requests/{rid}/accept", headers=ada), 403, "forbidden"
    )
    assert_error(
        client.post(f"{API}/mentorship-requests/{rid}/accept", headers=cyd), 404, "not_found"
    )
    assert_error(client.post(f"{API}/mentorship-requests/{rid}/accept"), 401, "unauthorized")
    for bad_id in (999_999, 0):
        assert_error(
            client.post(f"{API}/mentorship-requests/{bad_id}/accept", headers=bob), 404, "not_found"
        )
    assert state() == before

    ok(client.post(f"{API}/mentorship-requests/{rid}/accept", headers=bob))
    before = state()
    error = assert_error(
        client.post(f"{API}/mentorship-requests/{rid}/accept", headers=bob), 409, "conflict"
    )
    assert "accepted" in error["message"]
    assert_error(
        client.post(f"{API}/mentorship-requests/{rid}/decline", headers=bob), 409, "conflict"
    )
    assert_error(client.delete(f"{API}/mentorship-requests/{rid}", headers=ada), 409, "conflict")
    # A goal with a mentor takes no new invite.
    assert_error(invite(client, ada, gid, "cyd"), 409, "conflict")
    assert state() == before


def test_an_expired_invite_cannot_be_accepted_and_frees_the_goal(client, caller, app):
    ada, bob, cyd = caller("ada"), caller("bob"), caller("cyd")
    assert app.config["INVITE_TTL_SECONDS"] == 604_800
    gid = new_goal(client, ada)["id"]
    request = created(invite(client, ada, gid, "bob"))
    expires = datetime.fromisoformat(request["expires_at"])
    ttl = expires - datetime.fromisoformat(request["created_at"])
    assert abs(ttl - timedelta(days=7)) < timedelta(seconds=5)
    db.session.execute(
        update(MentorshipRequest)
        .where(MentorshipRequest.id == request["id"])
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()
    error = assert_error(
        client.post(f"{API}/mentorship-requests/{request['id']}/accept", headers=bob),
        409,
        "conflict",
    )
    assert "expired" in error["message"]
    assert_error(
        client.post(f"{API}/mentorship-requests/{request['id']}/decline", headers=bob),
        409,
        "conflict",
    )
    for who in (ada, bob):
        assert (
            ok(client.get(f"{API}/mentorship-requests/{request['id']}", headers=who))["status"]
            == "expired"
        )
    goal = ok(client.get(f"{API}/goals/{gid}", headers=cyd))
    assert (goal["visibility"], goal["mentor"]) == ("open", None)
    assert db.session.scalar(select(func.count(Mentorship.id))) == 0
    # An expired invite no longer blocks a new one.
    assert created(invite(client, ada, gid, "cyd"))["status"] == "pending"


def test_invite_bad_input_changes_nothing(client, caller, relaxed_posting):
    ada, bob, cyd = caller("ada"), caller("bob"), caller("cyd")
    gid = new_goal(client, ada)["id"]
    hidden = new_goal(client, cyd, title="A goal that will be closed soon")["id"]
    close_via_api(client, cyd, bob, hidden, "bob")
    path = f"{API}/goals/{gid}/mentorship-requests"
    before = state()
    for body, fields in [
        ({"mentor": "ada", "message": "Mentor myself?"}, {"mentor"}),
        ({"mentor": "nobody_here", "message": "Hello?"}, {"mentor"}),
        ({"mentor": "", "message": "Hello?"}, {"mentor"}),
        ({"mentor": 42, "message": "Hello?"}, {"mentor"}),
        ({"mentor": None, "message": "Hello?"}, {"mentor"}),
        ({"mentor": ["bob"], "message": "Hello?"}, {"mentor"}),
        ({"mentor": "bob", "message": ""}, {"message"}),
        ({"mentor": "bob", "message": "   "}, {"message"}),
        ({"mentor": "bob", "message": "x" * 2001}, {"message"}),
        ({"mentor": "bob", "message": 7}, {"message"}),
        ({"mentor": "bob"}, {"message"}),
        ({"message": "Hello?"}, {"mentor"}),
        ({}, {"mentor", "message"}),
        ({"mentor": "bob", "message": "Hi", "expires_at": "2099-01-01"}, {"expires_at"}),
    ]:
        error = assert_error(client.post(path, headers=ada, json=body), 422, "validation_failed")
        assert set(error["fields"]) == fields, (body, error)
    assert_error(client.post(path, headers=ada), 422, "validation_failed")
    # Someone else's goal they can see: 403; a hidden or missing goal: 404.
    assert_error(invite(client, bob, gid, "cyd"), 403, "forbidden")
    assert_error(invite(client, ada, hidden, "cyd"), 404, "not_found")
    assert_error(invite(client, ada, 999_999, "cyd"), 404, "not_found")
    assert_error(invite(client, {}, gid, "bob"), 401, "unauthorized")
    for data, content_type in [
        ("mentor=bob&message=hi", "application/x-www-form-urlencoded"),
        ('{"mentor": "bob"', "application/json"),
        ('["bob"]', "application/json"),
        ("mentor bob", "text/plain"),
    ]:
        assert_error(
            client.post(path, headers=ada, data=data, content_type=content_type), 400, "bad_request"
        )
    assert state() == before

    first = created(invite(client, ada, gid, "bob"))
    before = state()
    error = assert_error(invite(client, ada, gid, "cyd"), 409, "conflict")
    assert "pending" in error["message"]
    assert_error(invite(client, ada, gid, "bob"), 409, "conflict")
    assert state() == before
    assert (
        ok(client.get(f"{API}/mentorship-requests/{first['id']}", headers=ada))["status"]
        == "pending"
    )


def test_mentor_candidates_are_for_the_owner_only(client, caller, relaxed_posting):
    ada = caller("ada")
    bob, cyd, dan = caller("bob"), caller("cyd"), caller("dan")
    caller("tia", mentor_available=True, mentor_topics=["speaking"])
    caller("busy", mentor_available=False, mentor_topics=["speaking"])
    gid = new_goal(client, ada)["id"]
    q = ask(client, ada, goal_id=gid)
    voted = answer(client, bob, q["id"])
    helped = answer(client, cyd, q["id"], "Record yourself once and watch it back, honestly.")
    for voter in (dan, caller("vic"), caller("wes")):
        ok(client.post(f"{API}/answers/{voted['id']}/votes", headers=voter, json={"value": 1}))
    ok(client.post(f"{API}/answers/{helped['id']}/helpful", headers=ada))
    answer(client, ada, q["id"], "Answering my own question to note what I found.")

    items = ok(client.get(f"{API}/goals/{gid}/mentor-candidates", headers=ada))["items"]
    names = [c["username"] for c in items]
    assert names[:2] == ["cyd", "bob"]  # helped-me ranks above votes
    assert "tia" in names and "busy" not in names and "ada" not in names
    assert [c["user"]["username"] for c in items] == names
    scores = [c["score"] for c in items]
    assert scores == sorted(scores, reverse=True) and len(set(scores)) == len(scores)
    assert (items[1]["helpful_on_goal"], items[1]["votes_on_goal"]) == (0, 3)
    tia = items[names.index("tia")]
    assert "topic" in tia["reason"] and tia["answers"] == [] and tia["helpful_on_goal"] == 0
    assert all(c["reason"] for c in items)

    before = state()
    assert_error(client.get(f"{API}/goals/{gid}/mentor-candidates", headers=bob), 403, "forbidden")
    assert_error(client.get(f"{API}/goals/{gid}/mentor-candidates"), 401, "unauthorized")
    assert_error(client.get(f"{API}/goals/999999/mentor-candidates", headers=ada), 404, "not_found")
    close_via_api(client, ada, cyd, gid, "cyd")
    assert_error(client.get(f"{API}/goals/{gid}/mentor-candidates", headers=bob), 404, "not_found")
    assert_error(client.get(f"{API}/goals/{gid}/mentor-candidates", headers=cyd), 403, "forbidden")
    assert ok(client.get(f"{API}/goals/{gid}/mentor-candidates", headers=ada))["items"]
    assert state()["Mentorship"] == before["Mentorship"] + 1


# -- the private space: bad input -----------------------------------------------------------


def test_messages_bad_input_changes_nothing(client, caller, relaxed_posting):
    ada, bob, cyd = caller("ada"), caller("bob"), caller("cyd")
    gid = new_goal(client, ada)["id"]
    path = f"{API}/goals/{gid}/messages"
    before = state()
    error = assert_error(client.post(path, headers=ada, json={"body": "Hello?"}), 409, "conflict")
    assert "closed mentorship" in error["message"]
    assert_error(client.post(path, headers=cyd, json={"body": "Hello?"}), 409, "conflict")
    assert state() == before

    close_via_api(client, ada, bob, gid, "bob")
    assert created(client.post(path, headers=ada, json={"body": "x" * 5000}))
    before = state()
    for body in (
        {"body": "x" * 5001},
        {"body": ""},
        {"body": " \n "},
        {"body": 42},
        {"body": None},
        {"body": ["hi"]},
        {},
        {"body": "hi", "to": "bob"},
        {"body": "bell \x07 character"},
    ):
        error = assert_error(client.post(path, headers=bob, json=body), 422, "validation_failed")
        assert set(error["fields"]) <= {"body", "to"} and error["fields"]
    for data, content_type in [
        ("body=hi", "application/x-www-form-urlencoded"),
        ('{"body": "hi"', "application/json"),
        ("null", "application/json"),
    ]:
        assert_error(
            client.post(path, headers=bob, data=data, content_type=content_type), 400, "bad_request"
        )
    assert_error(client.post(path, json={"body": "hi"}), 401, "unauthorized")
    assert_error(client.get(path), 401, "unauthorized")
    for who in (cyd,):
        assert_error(client.post(path, headers=who, json={"body": "Let me in"}), 404, "not_found")
        assert_error(client.get(path, headers=who), 404, "not_found")
    for query in ("per_page=0", "per_page=101", "page=0", "page=x"):
        assert_error(client.get(f"{path}?{query}", headers=ada), 422, "validation_failed")
    assert_error(
        client.post(f"{API}/goals/999999/messages", headers=ada, json={"body": "hi"}),
        404,
        "not_found",
    )
    assert state() == before


def test_agreement_bad_input_changes_nothing(client, caller):
    ada, bob, cyd = caller("ada"), caller("bob"), caller("cyd")
    gid = new_goal(client, ada)["id"]
    path = f"{API}/goals/{gid}/agreement"
    before = state()
    assert_error(client.put(path, headers=ada, json=AGREEMENT), 409, "conflict")
    assert state() == before

    close_via_api(client, ada, bob, gid, "bob")
    ok(client.put(path, headers=ada, json=AGREEMENT))
    before = state()
    for body, field in [
        ({**AGREEMENT, "response_time_hours": "soon"}, "response_time_hours"),
        ({**AGREEMENT, "response_time_hours": 2.5}, "response_time_hours"),
        ({**AGREEMENT, "response_time_hours": True}, "response_time_hours"),
        ({**AGREEMENT, "response_time_hours": 0}, "response_time_hours"),
        ({**AGREEMENT, "response_time_hours": 721}, "response_time_hours"),
        ({**AGREEMENT, "response_time_hours": None}, "response_time_hours"),
        ({k: v for k, v in AGREEMENT.items() if k != "response_time_hours"}, "response_time_hours"),
        ({**AGREEMENT, "modes": ["carrier pigeon"]}, "modes"),
        ({**AGREEMENT, "modes": []}, "modes"),
        ({**AGREEMENT, "modes": "video"}, "modes"),
        ({**AGREEMENT, "modes": [1]}, "modes"),
        ({**AGREEMENT, "cadence": ""}, "cadence"),
        ({**AGREEMENT, "cadence": "x" * 201}, "cadence"),
        ({**AGREEMENT, "cadence": 3}, "cadence"),
        ({**AGREEMENT, "success_criteria": ""}, "success_criteria"),
        ({**AGREEMENT, "success_criteria": "x" * 5001}, "success_criteria"),
        ({**AGREEMENT, "version": 7}, "version"),
        ({**AGREEMENT, "mode": ["video"]}, "mode"),
    ]:
        error = assert_error(client.put(path, headers=bob, json=body), 422, "validation_failed")
        assert field in error["fields"], (body, error)
    error = assert_error(client.put(path, headers=bob, json={}), 422, "validation_failed")
    assert set(error["fields"]) == {"modes", "cadence", "response_time_hours", "success_criteria"}
    assert_error(
        client.put(
            path, headers=bob, data="modes=video", content_type="application/x-www-form-urlencoded"
        ),
        400,
        "bad_request",
    )
    assert_error(client.put(path, json=AGREEMENT), 401, "unauthorized")
    assert_error(client.put(path, headers=cyd, json=AGREEMENT), 404, "not_found")
    assert state() == before
    assert ok(client.get(path, headers=bob))["version"] == 1


def test_agreement_accepts_the_legacy_response_hours_name(client, caller):
    ada, bob = caller("ada"), caller("bob")
    gid = new_goal(client, ada)["id"]
    close_via_api(client, ada, bob, gid, "bob")
    path = f"{API}/goals/{gid}/agreement"
    legacy = {k: v for k, v in AGREEMENT.items() if k != "response_time_hours"}
    before = state()
    for body in (
        {**legacy, "response_hours": "soon"},
        {**AGREEMENT, "response_hours": 12},
    ):  # both names at once is ambiguous
        error = assert_error(client.put(path, headers=bob, json=body), 422, "validation_failed")
        assert set(error["fields"]) == {"response_hours"}, error
    assert state() == before
    saved = ok(client.put(path, headers=bob, json={**legacy, "response_hours": 12}))
    assert saved["response_time_hours"] == 12 and saved["response_hours"] == 12


def test_checkins_bad_input_changes_nothing(client, caller, relaxed_posting):
    ada, bob, cyd = caller("ada"), caller("bob"), caller("cyd")
    gid = new_goal(client, ada)["id"]
    path = f"{API}/goals/{gid}/checkins"
    before = state()
    assert_error(
        client.post(path, headers=ada, json={"scheduled_at": later(), "agenda": "a"}),
        409,
        "conflict",
    )
    assert state() == before
    assert ok(client.get(path, headers=ada))["items"] == []

    close_via_api(client, ada, bob, gid, "bob")
    checkin = created(
        client.post(path, headers=ada, json={"scheduled_at": "2031-01-31T17:00Z", "agenda": "Plan"})
    )
    one = f"{path}/{checkin['id']}"
    before = state()
    for body, field in [
        ({"scheduled_at": "tomorrow at five", "agenda": "Plan"}, "scheduled_at"),
        ({"scheduled_at": "2031-13-40T25:00Z", "agenda": "Plan"}, "scheduled_at"),
        ({"scheduled_at": "2031-01-31T17:00", "agenda": "Plan"}, "scheduled_at"),  # no zone
        ({"scheduled_at": "", "agenda": "Plan"}, "scheduled_at"),
        ({"scheduled_at": 1_700_000_000, "agenda": "Plan"}, "scheduled_at"),
        ({"scheduled_at": "x" * 65, "agenda": "Plan"}, "scheduled_at"),
        ({"agenda": "Plan"}, "scheduled_at"),
        ({"scheduled_at": later(), "agenda": ""}, "agenda"),
        ({"scheduled_at": later(), "agenda": "x" * 5001}, "agenda"),
        ({"scheduled_at": later()}, "agenda"),
        ({"scheduled_at": later(), "agenda": "Plan", "notes": 5}, "notes"),
        ({"scheduled_at": later(), "agenda": "Plan", "place": "cafe"}, "place"),
    ]:
        error = assert_error(client.post(path, headers=bob, json=body), 422, "validation_failed")
        assert field in error["fields"], (body, error)
    for body, field in [
        ({"scheduled_at": "next week"}, "scheduled_at"),
        ({"scheduled_at": "2031-02-01T09:00"}, "scheduled_at"),
        ({"agenda": ""}, "agenda"),
        ({"notes": "x" * 20_001}, "notes"),
        ({"notes": ["a"]}, "notes"),
        ({"done": True}, "done"),
    ]:
        error = assert_error(client.patch(one, headers=bob, json=body), 422, "validation_failed")
        assert field in error["fields"], (body, error)
    assert_error(
        client.patch(one, headers=bob, data="notes", content_type="text/plain"), 400, "bad_request"
    )
    assert_error(
        client.post(path, headers=bob, data='{"agenda": 1', content_type="application/json"),
        400,
        "bad_request",
    )
    assert_error(client.patch(f"{path}/999999", headers=bob, json={"notes": "x"}), 404, "not_found")
    assert_error(client.patch(one, json={"notes": "x"}), 401, "unauthorized")
    assert_error(client.patch(one, headers=cyd, json={"notes": "x"}), 404, "not_found")
    assert_error(client.get(path, headers=cyd), 404, "not_found")
    assert_error(
        client.post(path, headers=cyd, json={"scheduled_at": later(), "agenda": "a"}),
        404,
        "not_found",
    )
    assert state() == before
    assert ok(client.get(path, headers=bob))["items"][0]["agenda"] == "Plan"

    # A check-in of another goal is not reachable through this one.
    other = new_goal(client, ada, title="Another goal of mine for later")["id"]
    close_via_api(client, ada, bob, other, "bob")
    assert_error(
        client.patch(
            f"{API}/goals/{other}/checkins/{checkin['id']}", headers=ada, json={"notes": "x"}
        ),
        404,
        "not_found",
    )


def test_lifecycle_conflicts_on_an_open_goal(client, caller):
    ada, bob = caller("ada"), caller("bob")
    gid = new_goal(client, ada)["id"]
    before = state()
    for action in ("pause", "resume", "release", "reopen", "complete"):
        assert_error(client.post(f"{API}/goals/{gid}/{action}", headers=ada), 409, "conflict")
        assert_error(client.post(f"{API}/goals/{gid}/{action}"), 401, "unauthorized")
        assert_error(client.post(f"{API}/goals/999999/{action}", headers=ada), 404, "not_found")
    assert_error(client.post(f"{API}/goals/{gid}/reopen", headers=bob), 403, "forbidden")
    assert_error(client.post(f"{API}/goals/{gid}/complete", headers=bob), 403, "forbidden")
    assert_error(
        client.post(f"{API}/goals/{gid}/summary", headers=ada, json={"summary": "Not done yet"}),
        409,
        "conflict",
    )
    assert state() == before


# -- the document ---------------------------------------------------------------------------


def test_openapi_documents_the_mentorship_endpoints(client):
    doc = client.get(f"{API}/openapi.json").get_json()
    paths = doc["paths"]
    expected = {
        "/api/v1/goals/{goal_id}/mentor-candidates": {"get"},
        "/api/v1/goals/{goal_id}/mentorship-requests": {"post"},
        "/api/v1/mentorship-requests/{request_id}": {"get", "delete"},
        "/api/v1/mentorship-requests/{request_id}/accept": {"post"},
        "/api/v1/mentorship-requests/{request_id}/decline": {"post"},
        "/api/v1/goals/{goal_id}/summary": {"post"},
        "/api/v1/goals/{goal_id}/messages": {"get", "post"},
        "/api/v1/goals/{goal_id}/agreement": {"get", "put"},
        "/api/v1/goals/{goal_id}/checkins": {"get", "post"},
        "/api/v1/goals/{goal_id}/checkins/{checkin_id}": {"patch"},
        **{
            f"/api/v1/goals/{{goal_id}}/{action}": {"post"}
            for action in ("pause", "resume", "release", "reopen", "complete")
        },
    }
    for path, methods in expected.items():
        assert path in paths, path
        assert methods <= set(paths[path]), (path, set(paths[path]))
    invite_op = paths["/api/v1/goals/{goal_id}/mentorship-requests"]["post"]
    assert {"201", "401", "404", "409", "422"} <= set(invite_op["responses"])
    schemas = doc["components"]["schemas"]
    ref = invite_op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert set(schemas[ref.rsplit("/", 1)[1]]["required"]) == {"mentor", "message"}
    response_ref = invite_op["responses"]["201"]["content"]["application/json"]["schema"]["$ref"]
    assert set(schemas[response_ref.rsplit("/", 1)[1]]["properties"]) >= REQUEST_FIELDS
    agreement = paths["/api/v1/goals/{goal_id}/agreement"]["put"]
    ref = agreement["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert {"modes", "cadence", "response_time_hours", "success_criteria"} <= set(
        schemas[ref.rsplit("/", 1)[1]]["properties"]
    )
    candidates = paths["/api/v1/goals/{goal_id}/mentor-candidates"]["get"]["responses"]
    assert {"200", "401", "403", "404"} <= set(candidates)

"""Mentorship through the pages: invite dialog, dashboard, accept, the private space."""

import pytest

from app.extensions import db
from app.models import Goal, MentorshipRequest, Message
from app.search.indexer import drain
from app.search.service import get_backend
from app.services import mentorship, mentorship_lifecycle
from tests.builders import build_answer, build_goal, build_question
from tests.conftest import csrf_token_from, login
from tests.html_audit import audit


def submit(client, url, data, page):
    """POST a prefixed form (e.g. "message-body") with its own prefixed CSRF field."""
    token = csrf_token_from(client.get(page))
    prefix = next(iter(data)).partition("-")[0] if data and "-" in next(iter(data)) else ""
    key = f"{prefix}-csrf_token" if prefix else "csrf_token"
    return client.post(url, data={key: token, **data})


def button(client, url, page):
    """Press a button-only form (its CSRF field is unprefixed)."""
    return client.post(url, data={"csrf_token": csrf_token_from(client.get(page))})


@pytest.fixture
def world(app, make_user):
    owner, mentor = make_user("owner"), make_user("mentor")
    make_user("stranger")
    goal = build_goal(owner, title="Run a half marathon in spring")
    question = build_question(owner, title="Which shoes for a first half marathon?", goal=goal)
    answer = build_answer(mentor, question, "Get fitted at a running shop; try three pairs.")
    db.session.commit()
    clients = {}
    for name in ("owner", "mentor", "stranger"):
        clients[name] = app.test_client()
        login(clients[name], name)
    clients["anonymous"] = app.test_client()
    return goal, question, answer, clients


def goal_url(goal):
    return f"/goals/{goal.id}"


def test_owner_sees_ranked_candidates_and_invites(world):
    goal, _, _, c = world
    page = c["owner"].get(goal_url(goal)).text
    assert "Invite a mentor" in page and "1 answer in all" in page
    assert 'href="/users/mentor"' in page
    for other in ("mentor", "stranger", "anonymous"):
        assert "Invite a mentor" not in c[other].get(goal_url(goal)).text
    response = submit(
        c["owner"],
        f"{goal_url(goal)}/invite",
        {"invite-mentor": "mentor", "invite-message": "Would you mentor me?"},
        goal_url(goal),
    )
    assert response.status_code == 302
    page = c["owner"].get(goal_url(goal)).text
    assert "Invite sent to" in page and "Withdraw invite" in page
    assert "Invite a mentor" not in page


@pytest.mark.parametrize(
    ("mentor", "message", "error"),
    [
        ("owner", "Hi", "You cannot mentor your own goal."),
        ("ghost", "Hi", "No user with that name."),
        ("mentor", "", "This field is required."),
    ],
)
def test_invite_bad_input_shows_form_errors(world, mentor, message, error):
    goal, _, _, c = world
    response = submit(
        c["owner"],
        f"{goal_url(goal)}/invite",
        {"invite-mentor": mentor, "invite-message": message},
        goal_url(goal),
    )
    assert response.status_code == 422 and error in response.text
    assert db.session.query(MentorshipRequest).count() == 0


def test_invite_on_someone_elses_goal_is_refused(world):
    goal, _, _, c = world
    response = submit(
        c["stranger"],
        f"{goal_url(goal)}/invite",
        {"invite-mentor": "mentor", "invite-message": "Hi"},
        goal_url(goal),
    )
    assert response.status_code in (403, 422)
    assert db.session.query(MentorshipRequest).count() == 0


def test_accept_from_the_dashboard_closes_the_goal_at_once(world):
    goal, question, _answer, c = world
    request = mentorship.invite(goal.owner, goal, "mentor", "Would you mentor me?")
    db.session.commit()
    board = c["mentor"].get("/mentorship")
    assert board.status_code == 200 and "Run a half marathon" in board.text
    assert audit(board.text).inline_scripts == 0
    assert "Run a half marathon" in c["owner"].get("/mentorship").text  # invites out
    invite_page = c["mentor"].get(f"/mentorship/requests/{request.id}")
    assert invite_page.status_code == 200 and "Would you mentor me?" in invite_page.text
    assert c["stranger"].get(f"/mentorship/requests/{request.id}").status_code == 404
    response = button(c["mentor"], f"/mentorship/requests/{request.id}/accept", "/mentorship")
    assert response.status_code == 302 and response.location.endswith(goal_url(goal))
    for outsider in ("stranger", "anonymous"):
        for url in (goal_url(goal), f"/questions/{question.id}"):
            assert c[outsider].get(url).status_code == 404
    page = c["mentor"].get(goal_url(goal))
    assert page.status_code == 200 and "Closed mentorship" in page.text
    assert page.headers["Cache-Control"].startswith("private")
    again = button(c["mentor"], f"/mentorship/requests/{request.id}/accept", "/mentorship")
    assert again.status_code == 302
    assert "no longer pending" in c["mentor"].get("/mentorship").text


def test_decline_and_withdraw_buttons(world):
    goal, _, _, c = world
    request = mentorship.invite(goal.owner, goal, "mentor", "Would you mentor me?")
    db.session.commit()
    button(c["mentor"], f"/mentorship/requests/{request.id}/decline", "/mentorship")
    assert db.session.get(MentorshipRequest, request.id).status == "declined"
    second = mentorship.invite(goal.owner, goal, "stranger", "Or you?")
    db.session.commit()
    button(c["owner"], f"/mentorship/requests/{second.id}/withdraw", goal_url(goal))
    db.session.expire_all()
    assert db.session.get(MentorshipRequest, second.id).status == "withdrawn"
    assert db.session.get(Goal, goal.id).visibility == "open"
    assert c["owner"].post(f"/mentorship/requests/{second.id}/explode").status_code in (400, 404)


def test_private_space_messages_agreement_checkins(world):
    goal, _, _, c = world
    request = mentorship.invite(goal.owner, goal, "mentor", "Please?")
    mentorship.accept(request.mentor, request)
    db.session.commit()
    url = goal_url(goal)
    assert (
        submit(c["owner"], f"{url}/messages", {"message-body": "zqx hello mentor"}, url).status_code
        == 302
    )
    empty = submit(c["owner"], f"{url}/messages", {"message-body": ""}, url)
    assert empty.status_code == 422 and "This field is required." in empty.text
    huge = submit(c["owner"], f"{url}/messages", {"message-body": "x" * 5001}, url)
    assert huge.status_code == 422
    assert db.session.query(Message).count() == 1
    agreement = {
        "agreement-modes": ["video", "message"],
        "agreement-cadence": "Every Monday",
        "agreement-response_hours": "24",
        "agreement-success_criteria": "Sub-two-hour half marathon",
    }
    assert submit(c["mentor"], f"{url}/agreement", agreement, url).status_code == 302
    bad = submit(
        c["mentor"], f"{url}/agreement", {**agreement, "agreement-response_hours": "0"}, url
    )
    assert bad.status_code == 422
    plan = {"checkin-scheduled_at": "2027-03-01T18:30", "checkin-agenda": "Review the plan"}
    assert submit(c["owner"], f"{url}/checkins", plan, url).status_code == 302
    assert (
        submit(
            c["owner"],
            f"{url}/checkins",
            {"checkin-scheduled_at": "soon", "checkin-agenda": "x"},
            url,
        ).status_code
        == 422
    )
    page = c["mentor"].get(url).text
    assert "zqx hello mentor" in page and "Every Monday" in page and "Review the plan" in page
    assert "Version 1 of 1" in page and "2027-03-01 18:30 UTC" in page
    parsed = audit(page)
    assert parsed.inline_scripts == 0 and parsed.handlers == []
    for outsider in ("stranger", "anonymous"):
        response = c[outsider].post(f"{url}/messages", data={"message-body": "let me in"})
        assert response.status_code in (400, 302, 404)  # CSRF, login, or hidden
    assert db.session.query(Message).count() == 1


def test_lifecycle_buttons_and_published_summary(world):
    goal, question, _, c = world
    request = mentorship.invite(goal.owner, goal, "mentor", "Please?")
    db.session.commit()
    button(c["mentor"], f"/mentorship/requests/{request.id}/accept", "/mentorship")
    url = goal_url(goal)
    button(c["mentor"], f"{url}/mentorship/pause", url)
    assert "(paused)" in c["owner"].get(url).text
    button(c["owner"], f"{url}/mentorship/resume", url)
    assert "(paused)" not in c["owner"].get(url).text
    response = submit(
        c["owner"],
        f"{url}/mentorship/complete",
        {"summary-summary": "Slow **easy** runs built my base."},
        url,
    )
    assert response.status_code == 302
    page = c["anonymous"].get(url)
    assert page.status_code == 200 and "<strong>easy</strong>" in page.text
    assert c["anonymous"].get(f"/questions/{question.id}").status_code == 200
    profile = c["anonymous"].get("/users/owner").text
    assert f'href="{url}#summary-title">What they learned' in profile


def test_release_then_reopen(world):
    goal, _question, _, c = world
    request = mentorship.invite(goal.owner, goal, "mentor", "Please?")
    db.session.commit()
    button(c["mentor"], f"/mentorship/requests/{request.id}/accept", "/mentorship")
    url = goal_url(goal)
    response = button(c["mentor"], f"{url}/mentorship/release", url)
    assert response.status_code == 302
    assert c["mentor"].get(url).status_code == 404
    assert "A goal you mentored" in c["mentor"].get("/mentorship").text
    assert "Reopen to the public" in c["owner"].get(url).text
    button(c["owner"], f"{url}/mentorship/reopen", url)
    assert c["anonymous"].get(url).status_code == 200
    assert c["owner"].post(f"{url}/mentorship/explode", data={"csrf_token": "x"}).status_code in (
        400,
        404,
    )


def test_profile_counts_answers_hidden_by_a_closed_goal(world):
    goal, _question, _, c = world
    request = mentorship.invite(goal.owner, goal, "stranger", "Please?")
    mentorship.accept(db.session.get(MentorshipRequest, request.id).mentor, request)
    db.session.commit()
    page = c["anonymous"].get("/users/mentor").text
    assert "Also 1 answer on goals that are now closed mentorships" in page
    assert "Which shoes" not in page and "running shop" not in page
    assert "Which shoes" in c["owner"].get("/users/mentor").text


def test_published_summary_is_searchable_and_private_content_is_not(world):
    goal, _, _, c = world
    request = mentorship.invite(goal.owner, goal, "mentor", "Please?")
    mentorship.accept(request.mentor, request)
    private = build_question(
        goal.owner,
        title="Private zqxkneepain question in mentorship",
        goal=db.session.get(Goal, goal.id),
    )
    mentorship_lifecycle.complete(
        goal.owner,
        db.session.get(Goal, goal.id),
        "Tempo zqxfartlek sessions twice a week changed everything.",
    )
    backend = get_backend()
    drain(backend)
    found = c["anonymous"].get("/api/v1/search?q=zqxfartlek").get_json()["items"]
    assert [(item["type"], item["id"]) for item in found] == [("goal", goal.id)]
    assert c["anonymous"].get("/api/v1/search?q=zqxkneepain").get_json()["items"] == []
    assert f"question:{private.id}" not in backend.doc_ids()


def test_summary_form_after_completing_without_one(world):
    goal, _, _, c = world
    request = mentorship.invite(goal.owner, goal, "mentor", "Please?")
    db.session.commit()
    button(c["mentor"], f"/mentorship/requests/{request.id}/accept", "/mentorship")
    url = goal_url(goal)
    assert submit(c["owner"], f"{url}/mentorship/complete", {}, url).status_code == 302
    page = c["owner"].get(url).text
    assert page.count("Publish what I learned") == 1
    assert f'action="/goals/{goal.id}/summary"' in page
    assert "Publish what I learned" not in c["mentor"].get(url).text
    response = submit(
        c["owner"],
        f"/goals/{goal.id}/summary",
        {"summary-summary": "Consistency beat **intensity**."},
        url,
    )
    assert response.status_code == 302
    assert "<strong>intensity</strong>" in c["anonymous"].get(url).text

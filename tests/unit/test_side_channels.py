"""Rule 7 item by item: reputation, times, positions and oracles outsiders could read.

Service-level tests, each with the outside view (web or API) that showed the leak.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import select

from app.core.errors import Conflict, ServiceError, ValidationFailed
from app.extensions import db
from app.models import GoalEvent, Notification
from app.services import (
    blocks,
    goals,
    helpful,
    mentorship,
    mentorship_lifecycle,
    moderation,
    private_space,
    profiles,
    questions,
    votes,
)
from app.services.accounts import update_profile
from app.services.reputation import SEALED
from tests.builders import build_answer, build_goal, build_question
from tests.conftest import api_token, bearer, csrf_token_from, login

API = "/api/v1"
ANSWER = "Practise slow scales every day, then record yourself and listen back."
MENTOR = {"mentor_available": True, "mentor_topics": ["cello"]}


def _close(owner, goal, mentor):
    request = mentorship.invite(owner, goal, mentor.username, "Would you mentor me?")
    return mentorship.accept(mentor, request)


def _fresh(*users):
    db.session.expire_all()
    return users


@pytest.fixture
def pair(app, make_user):
    """An open goal with a public question answered by an outsider and by the mentor-to-be."""
    app.config["RATELIMIT_POSTING"] = "10000 per minute"
    owner, mentor, outsider = (make_user(n) for n in ("olivia", "mentor_one", "pat"))
    goal = build_goal(
        owner, "Play the Elgar cello concerto", tags=("cello",), target_date="2027-06-01"
    )
    question = build_question(
        owner, "Which edition of the Elgar should I buy?", tags=("cello",), goal=goal
    )
    public_answer = build_answer(outsider, question, ANSWER)
    return SimpleNamespace(
        owner=owner,
        mentor=mentor,
        outsider=outsider,
        goal=goal,
        question=question,
        public_answer=public_answer,
    )


# -- anonymous askers ---------------------------------------------------------------------


def test_votes_on_an_anonymous_question_and_the_askers_own_answer_stay_private(
    app, make_user, client
):
    asker, voter, reader = (make_user(n) for n in ("asha", "ben", "cyd"))
    question = questions.ask_question(
        asker,
        {
            "title": "Am I too old to start the cello?",
            "body": "Be honest.",
            "tags": ["late-start"],
            "anonymous": True,
        },
    )
    own_answer = build_answer(asker, question, ANSWER)
    votes.cast_vote(voter, question, 1)
    votes.cast_vote(voter, own_answer, 1)
    votes.cast_vote(reader, own_answer, -1)
    (asker,) = _fresh(asker)
    assert (asker.reputation, asker.private_reputation) == (0, 2 + 10 - 2)
    # The score of the question itself is public (it names nobody).
    assert question.score == 1
    assert client.get(f"{API}/users/asha").get_json()["reputation"] == 0
    assert "reputation <strong>0</strong>" in client.get("/users/asha").get_data(as_text=True)
    # The asker sees all of it, on the API and on her profile.
    me = client.get(f"{API}/users/me", headers=bearer(api_token(client, "asha"))).get_json()
    assert (me["reputation"], me["public_reputation"]) == (10, 0)
    login(client, "asha")
    assert "reputation <strong>10</strong>" in client.get("/users/asha").get_data(as_text=True)
    # Withdrawing takes it back from the same (private) counter.
    votes.withdraw_vote(voter, question)
    (asker,) = _fresh(asker)
    assert (asker.reputation, asker.private_reputation) == (0, 8)


def test_a_block_by_an_anonymous_asker_is_not_announced(app, make_user):
    asker, blocked_user = make_user("asha"), make_user("sam")
    question = questions.ask_question(
        asker,
        {
            "title": "Am I too old to start the cello?",
            "body": "Be honest.",
            "tags": ["late-start"],
            "anonymous": True,
        },
    )
    own_answer = build_answer(asker, question, ANSWER)
    blocks.block(asker, "sam")
    # No "the asker has blocked you": the answer and comments post like anyone's...
    answer = build_answer(blocked_user, question, ANSWER + " From sam.")
    questions.add_comment(blocked_user, question=question, body="What is your goal?")
    questions.add_comment(blocked_user, answer=own_answer, body="Good point.")
    # ...and the blocker hears nothing of them.
    assert (
        db.session.scalar(select(Notification.id).where(Notification.user_id == asker.id)) is None
    )
    assert answer.id is not None
    # A named asker's block still refuses, with the reason.
    named = build_question(asker, "How do I tune worn cello pegs?", tags=("cello",))
    with pytest.raises(ServiceError, match="blocked you"):
        build_answer(blocked_user, named, ANSWER)


# -- closed goals: reputation, scores, notifications ------------------------------------------


def test_private_phase_reputation_counts_for_its_owner_only(app, pair, client, make_user):
    owner, mentor, outsider, goal = pair.owner, pair.mentor, pair.outsider, pair.goal
    rival = make_user("rival", **MENTOR)
    votes.cast_vote(
        owner,
        build_answer(
            rival,
            build_question(outsider, "How do I keep a steady bow on long notes?", tags=("cello",)),
            ANSWER,
        ),
        1,
    )
    update_profile(mentor, MENTOR)
    _close(owner, goal, mentor)
    private_q = questions.ask_question(
        owner,
        {
            "title": "Is my vibrato too wide in bar 12?",
            "body": "Listen.",
            "goal_id": goal.id,
            "tags": ["cello"],
        },
    )
    private_a = build_answer(mentor, private_q, ANSWER)
    votes.cast_vote(owner, private_a, 1)
    helpful.mark_helpful(owner, private_a)
    votes.cast_vote(mentor, private_q, 1)
    owner, mentor = _fresh(owner, mentor)
    assert (mentor.reputation, mentor.private_reputation) == (0, 25)
    assert (owner.reputation, owner.private_reputation) == (0, 2)
    # The mentor is notified (they can see it); the mark's private, so is its score.
    assert (
        db.session.scalar(
            select(Notification.kind).where(
                Notification.user_id == mentor.id, Notification.kind == "helpful"
            )
        )
        == "helpful"
    )
    # Public order: rival (10 public) stays above the mentor (25 private).
    page = client.get("/mentors").get_data(as_text=True)
    assert page.index("rival") < page.index("mentor_one")
    assert client.get(f"{API}/users/mentor_one").get_json()["reputation"] == 0
    # The chart others see has nothing for the mentor; the mentor's own has it.
    assert profiles.reputation_chart(profiles.reputation_history(None, mentor)).total == 0
    extras_self = profiles.profile_extras(mentor, mentor)
    assert extras_self["rep_chart"].total == 25 and extras_self["shown_reputation"] == 25
    assert profiles.profile_extras(outsider, mentor)["rep_chart"].total == 0


def test_public_phase_posts_are_frozen_for_votes_and_marks_while_closed(app, pair, client):
    owner, mentor, outsider, goal, question, public_answer = (
        pair.owner,
        pair.mentor,
        pair.outsider,
        pair.goal,
        pair.question,
        pair.public_answer,
    )
    votes.cast_vote(owner, public_answer, 1)
    _close(owner, goal, mentor)
    token = bearer(api_token(client, "olivia"))
    for method, url, body in (
        ("POST", f"/answers/{public_answer.id}/votes", {"value": -1}),
        ("DELETE", f"/answers/{public_answer.id}/votes", None),
        ("POST", f"/answers/{public_answer.id}/helpful", None),
    ):
        response = client.open(API + url, method=method, json=body, headers=token)
        assert response.status_code == 409, (url, response.get_json())
        assert response.get_json()["error"]["message"] == SEALED
    with pytest.raises(Conflict):
        votes.cast_vote(mentor, question, 1)
    # The thread page offers no vote or "helped me" buttons that would answer 409.
    private_answer = build_answer(mentor, question, ANSWER + " privately")
    page_client = app.test_client()
    login(page_client, "olivia")
    page = page_client.get(f"/questions/{question.id}").get_data(as_text=True)
    assert f"/answers/{public_answer.id}/vote" not in page
    assert f"/answers/{public_answer.id}/helpful" not in page
    assert f"/answers/{private_answer.id}/vote" in page
    assert f"/answers/{private_answer.id}/helpful" in page
    (outsider,) = _fresh(outsider)
    assert outsider.reputation == 10  # the public vote cast while open stays, unchanged
    # Nothing reached the outsider: no "helped me" notification, nor email.
    assert (
        db.session.scalar(
            select(Notification.id).where(
                Notification.user_id == outsider.id, Notification.kind == "helpful"
            )
        )
        is None
    )
    mentorship_lifecycle.reopen(owner, goal)
    body = client.get(f"{API}/answers/{public_answer.id}").get_json()
    assert (body["score"], body["helpful"]) == (1, False)
    # Open again: votes count in public as before.
    votes.cast_vote(mentor, public_answer, 1)
    (outsider,) = _fresh(outsider)
    assert outsider.reputation == 20


def test_helped_me_notifies_only_an_author_who_can_see_the_answer(app, pair, make_user):
    owner, mentor, goal = pair.owner, pair.mentor, pair.goal
    second = make_user("mentor_two")
    _close(owner, goal, mentor)
    private_q = questions.ask_question(
        owner,
        {
            "title": "Is my vibrato too wide in bar 12?",
            "body": "Listen.",
            "goal_id": goal.id,
            "tags": ["cello"],
        },
    )
    first_phase_answer = build_answer(mentor, private_q, ANSWER)
    mentorship_lifecycle.release(mentor, goal)
    _close(owner, goal, second)
    # Mentor one no longer sees the goal: the mark is kept (and counts for them, privately)
    # but tells them nothing of what happens in the second mentorship.
    assert helpful.mark_helpful(owner, first_phase_answer)
    assert (
        db.session.scalar(
            select(Notification.id).where(
                Notification.user_id == mentor.id, Notification.kind == "helpful"
            )
        )
        is None
    )
    (mentor,) = _fresh(mentor)
    assert (mentor.reputation, mentor.private_reputation) == (0, 15)


# -- a reopened goal shows no trace ----------------------------------------------------------


def test_a_private_answer_does_not_move_the_questions_activity_time(app, pair, client):
    owner, mentor, outsider, goal, question = (
        pair.owner,
        pair.mentor,
        pair.outsider,
        pair.goal,
        pair.question,
    )
    other = build_question(outsider, "How do I keep a steady bow on long notes?", tags=("cello",))
    _close(owner, goal, mentor)
    db.session.refresh(question)
    before = question.updated_at
    build_answer(mentor, question, ANSWER + " privately")
    db.session.refresh(question)
    assert question.updated_at == before and question.answer_count == 1
    mentorship_lifecycle.reopen(owner, goal)
    items = client.get(f"{API}/questions?sort=active").get_json()["items"]
    assert [q["id"] for q in items] == [other.id, question.id]
    feed = client.get("/feeds/tags/cello.atom").get_data(as_text=True)
    assert feed.index(f"/questions/{other.id}") < feed.index(f"/questions/{question.id}")


def test_milestone_positions_status_and_target_date_after_reopen(app, pair, client):
    owner, mentor, goal = pair.owner, pair.mentor, pair.goal
    first = goals.add_milestone(owner, goal, {"title": "Learn the first movement"})
    goals.add_milestone(owner, goal, {"title": "Play it for a teacher"})
    _close(owner, goal, mentor)
    goals.add_milestone(owner, goal, {"title": "Private: fix the vibrato"})
    goals.add_milestone(owner, goal, {"title": "Private: memorise the cadenza"})
    with pytest.raises(Conflict):
        goals.update_milestone(owner, first, {"done": True})
    with pytest.raises(Conflict):
        goals.update_milestone(owner, first, {"due_date": "2027-01-01"})
    goals.edit_goal(owner, goal, {"status": "abandoned", "target_date": "2028-01-01"})
    assert goal.status == "abandoned"  # the pair sees the change while closed
    mentorship_lifecycle.reopen(owner, goal)
    goals.add_milestone(owner, goal, {"title": "Perform it"})
    body = client.get(f"{API}/goals/{goal.id}").get_json()
    assert (body["status"], body["target_date"]) == ("active", "2027-06-01")
    page = client.get(f"/goals/{goal.id}").get_data(as_text=True)
    assert "abandoned" not in page and "2028" not in page
    # Positions the public sees run 1, 2, 3: no gap where the private milestones are.
    db.session.expire_all()
    public = [m.position for m in goal.milestones if m.mentorship_id is None]
    assert sorted(public) == [1, 2, 3]


def test_answered_in_links_are_frozen_while_closed_and_never_point_inside(app, pair, client):
    owner, mentor, outsider, goal, question = (
        pair.owner,
        pair.mentor,
        pair.outsider,
        pair.goal,
        pair.question,
    )
    earlier = build_question(outsider, "How do I choose a cello edition?", tags=("cello",))
    later = build_question(owner, "Which cello edition for a beginner, again?", tags=("cello",))
    _close(owner, goal, mentor)
    # The question was asked after "earlier": only the freeze stops the link.
    question.created_at = earlier.created_at.replace(year=earlier.created_at.year + 1)
    db.session.commit()
    with pytest.raises(Conflict):
        questions.set_answered_in(owner, question, earlier.id)
    private_q = questions.ask_question(
        owner,
        {
            "title": "Is my vibrato too wide in bar 12?",
            "body": "Listen.",
            "goal_id": goal.id,
            "tags": ["cello"],
        },
    )
    later.created_at = private_q.created_at.replace(year=private_q.created_at.year + 1)
    db.session.commit()
    # A public thread may not link into the closed goal (even by someone who sees it).
    with pytest.raises(ValidationFailed):
        questions.set_answered_in(owner, later, private_q.id)
    mentorship_lifecycle.reopen(owner, goal)
    assert client.get(f"{API}/questions/{question.id}").status_code == 200
    db.session.refresh(question)
    assert question.answered_in_id is None


# -- smaller oracles -----------------------------------------------------------------------


def test_a_second_mentor_sees_only_their_own_history(app, pair, make_user, client):
    owner, mentor, goal = pair.owner, pair.mentor, pair.goal
    second = make_user("mentor_two")
    _close(owner, goal, mentor)
    mentorship_lifecycle.release(mentor, goal)
    _close(owner, goal, second)
    kinds = [e.kind for e in mentorship.goal_history(goal, second)]
    assert kinds == ["closed"]
    assert len(mentorship.goal_history(goal, owner)) == 3
    assert all(e.mentorship_id is not None for e in db.session.scalars(select(GoalEvent)))
    login(client, "mentor_two")
    page = client.get(f"/goals/{goal.id}").get_data(as_text=True)
    assert "mentor_one" not in page


def test_the_invite_page_hides_a_goal_that_closed_with_someone_else(app, pair, make_user, client):
    owner, mentor, outsider, goal = pair.owner, pair.mentor, pair.outsider, pair.goal
    declined = mentorship.invite(owner, goal, "pat", "Would you mentor me?")
    mentorship.decline(outsider, declined)
    _close(owner, goal, mentor)
    login(client, "pat")
    page = client.get(f"/mentorship/requests/{declined.id}").get_data(as_text=True)
    assert goal.title not in page and "now private" in page
    owners_client = app.test_client()
    login(owners_client, "olivia")
    page = owners_client.get(f"/mentorship/requests/{declined.id}").get_data(as_text=True)
    assert goal.title in page


def test_tags_used_only_on_private_posts_look_like_any_other_name(app, pair, client):
    owner, mentor, goal = pair.owner, pair.mentor, pair.goal
    _close(owner, goal, mentor)
    questions.ask_question(
        owner,
        {
            "title": "Is my vibrato too wide in bar 12?",
            "body": "Listen.",
            "goal_id": goal.id,
            "tags": ["zqprivonly"],
        },
    )
    token = bearer(api_token(client, "pat"))
    for tag in ("zqprivonly", "zqneverused"):
        assert client.put(f"{API}/follows/tag/{tag}", headers=token).status_code == 204
        assert client.delete(f"{API}/follows/tag/{tag}", headers=token).status_code == 204
    assert client.delete(f"{API}/follows/tag/zqneverused2", headers=token).status_code == 204
    private = client.get("/mentors?topic=zqprivonly").get_data(as_text=True)
    unknown = client.get("/mentors?topic=zqnevertag").get_data(as_text=True)
    assert private.replace("zqprivonly", "T") == unknown.replace("zqnevertag", "T")


def test_flagging_a_hidden_post_answers_like_a_missing_one(app, pair, make_user, client):
    public_answer = pair.public_answer
    admin = make_user("admin1")
    admin.role = "admin"
    db.session.commit()
    moderation.hide(admin, "answer", public_answer.id)
    token = bearer(api_token(client, "mentor_one"))
    hidden = client.post(
        f"{API}/flags",
        headers=token,
        json={"type": "answer", "id": public_answer.id, "reason": "spam"},
    )
    missing = client.post(
        f"{API}/flags", headers=token, json={"type": "answer", "id": 999999, "reason": "spam"}
    )
    assert hidden.status_code == missing.status_code == 404
    assert hidden.get_json() == missing.get_json()


def test_opening_a_notification_by_get_changes_nothing(app, pair, client):
    owner, question = pair.owner, pair.question
    note = db.session.scalar(select(Notification).where(Notification.user_id == owner.id))
    login(client, "olivia")
    response = client.get(f"/notifications/{note.id}")
    assert response.status_code == 302
    db.session.refresh(note)
    assert note.read_at is None
    page = client.get("/notifications")
    html = page.get_data(as_text=True)
    assert f'action="/notifications/{note.id}"' in html  # a button, no JavaScript needed
    response = client.post(f"/notifications/{note.id}", data={"csrf_token": csrf_token_from(page)})
    assert response.status_code == 302 and f"/questions/{question.id}" in response.location
    db.session.refresh(note)
    assert note.read_at is not None


@pytest.mark.parametrize("end", ["release", "reopen"])
def test_a_former_mentor_keeps_their_phases_messages(app, pair, client, end):
    owner, mentor, goal = pair.owner, pair.mentor, pair.goal
    _close(owner, goal, mentor)
    private_space.send_message(owner, goal, "zqhello mentor")
    private_space.send_message(mentor, goal, "zqhello protege")
    if end == "release":
        mentorship_lifecycle.release(mentor, goal)
    else:
        mentorship_lifecycle.reopen(owner, goal)
    token = bearer(api_token(client, "mentor_one"))
    body = client.get(f"{API}/goals/{goal.id}/messages", headers=token).get_json()
    assert [m["body"] for m in body["items"]] == ["zqhello mentor", "zqhello protege"]
    login(client, "mentor_one")
    page = client.get(f"/goals/{goal.id}/messages").get_data(as_text=True)
    assert "zqhello protege" in page
    assert (goal.title in page) == (end == "reopen")
    # Nobody else gets anything there.
    other = bearer(api_token(client, "pat"))
    assert client.get(f"{API}/goals/{goal.id}/messages", headers=other).status_code in (403, 404)

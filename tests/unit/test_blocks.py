"""Blocking: no answers, comments, invites or messages from a blocked user (service, web, API)."""

import pytest

from app.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.models import Answer, Block, Comment, Goal, MentorshipRequest, Message
from app.services import blocks, candidates, mentorship, private_space, questions
from tests.builders import ANSWER_TEXT, build_answer, build_goal, build_question
from tests.conftest import api_token, bearer, csrf_token_from, login
from tests.helpers import count


@pytest.fixture
def people(make_user):
    return make_user("alice"), make_user("troll"), make_user("mentor")


def test_block_is_idempotent_and_refuses_bad_input(people):
    alice, troll, _ = people
    blocks.block(alice, "troll")
    blocks.block(alice, "TROLL")
    assert count(Block) == 1 and blocks.blocked(alice.id, troll.id)
    assert not blocks.blocked(troll.id, alice.id)
    assert blocks.blocked_either_way(troll.id, alice.id)
    with pytest.raises(ValidationFailed):
        blocks.block(alice, "alice")
    with pytest.raises(NotFound):
        blocks.block(alice, "nobody")
    blocks.unblock(alice, "troll")
    blocks.unblock(alice, "troll")
    assert count(Block) == 0


def test_a_blocked_user_cannot_answer_or_comment(people):
    alice, troll, mentor = people
    question = build_question(alice)
    answer = build_answer(mentor, question)
    blocks.block(alice, "troll")
    with pytest.raises(Forbidden):
        questions.post_answer(troll, question, ANSWER_TEXT)
    with pytest.raises(Forbidden):
        questions.add_comment(troll, question=question, body="Hello")
    # Comments on a third person's answer are theirs to allow.
    questions.add_comment(troll, answer=answer, body="Fine here")
    assert count(Answer) == 1 and count(Comment) == 1
    # The block is one way: alice can still answer troll.
    questions.post_answer(
        alice, build_question(troll, title="A question by the troll here"), ANSWER_TEXT
    )


def test_blocks_stop_invites_accepts_messages_and_suggestions(people):
    alice, troll, mentor = people
    goal = build_goal(alice)
    question = build_question(alice, goal=goal)
    build_answer(troll, question)
    build_answer(mentor, question)
    blocks.block(alice, "troll")
    names = [c["user"].username for c in candidates.mentor_candidates(alice, goal)]
    assert names == ["mentor"]
    with pytest.raises(ValidationFailed, match="cannot invite"):
        mentorship.invite(alice, goal, "troll", "Hi")
    blocks.unblock(alice, "troll")
    request = mentorship.invite(alice, goal, "troll", "Hi")
    blocks.block(troll, "alice")  # the invitee blocks the sender before answering
    with pytest.raises(Conflict):
        mentorship.accept(troll, request)
    assert db.session.get(MentorshipRequest, request.id).status == "pending"
    mentorship.withdraw(alice, request)
    blocks.unblock(troll, "alice")
    mentorship.accept(mentor, mentorship.invite(alice, goal, "mentor", "Please?"))
    goal = db.session.get(Goal, goal.id)
    blocks.block(mentor, "alice")
    with pytest.raises(Forbidden):
        private_space.send_message(alice, goal, "Are you there?")
    private_space.send_message(mentor, goal, "Still here, but blocking you")
    assert count(Message) == 1


def test_block_through_the_profile_page_and_the_api(app, client, people):
    alice = people[0]
    login(client, "alice")
    token = csrf_token_from(client.get("/users/troll"))
    assert client.post("/users/troll/block", data={"csrf_token": token}).status_code == 302
    page = client.get("/users/troll").text
    assert "You blocked this user" in page and "Unblock" in page
    assert client.post("/users/troll/block", data={}).status_code == 400  # no CSRF token
    assert client.post("/users/troll/explode", data={"csrf_token": token}).status_code == 404
    api = app.test_client()
    headers = bearer(api_token(api, "troll"))
    response = api.post(
        f"/api/v1/questions/{build_question(alice).id}/answers",
        headers=headers,
        json={"body": ANSWER_TEXT},
    )
    assert response.status_code == 403 and response.get_json()["error"]["message"]
    assert api.put("/api/v1/users/alice/block", headers=headers).status_code == 204
    assert api.put("/api/v1/users/alice/block", headers=headers).status_code == 204
    assert api.put("/api/v1/users/nobody/block", headers=headers).status_code == 404
    assert api.put("/api/v1/users/troll/block", headers=headers).status_code == 422
    assert api.put("/api/v1/users/alice/block").status_code == 401
    assert api.delete("/api/v1/users/alice/block", headers=headers).status_code == 204
    assert count(Block) == 1  # alice's block of troll stays
    # SPEC §3 spells it POST: the same block, idempotent, same errors.
    assert api.post("/api/v1/users/alice/block", headers=headers).status_code == 204
    assert api.post("/api/v1/users/alice/block", headers=headers).status_code == 204
    assert count(Block) == 2
    assert api.post("/api/v1/users/nobody/block", headers=headers).status_code == 404
    assert api.post("/api/v1/users/troll/block", headers=headers).status_code == 422
    assert api.post("/api/v1/users/alice/block").status_code == 401
    assert api.delete("/api/v1/users/alice/block", headers=headers).status_code == 204
    assert count(Block) == 1

"""API v1 votes and helped-me marks: one vote each, changeable, and the reputation they move."""

import itertools

import pytest

from app.models import Vote
from tests.api.qa_helpers import (
    ANSWER,
    API,
    QUESTION,
    assert_error,
    count,
    created,
    ok,
    reputation,
    snapshot,
)


@pytest.fixture
def thread(client, caller):
    """ada asks, bob answers; cyd is a third reader who votes."""
    people = {name: caller(name) for name in ("ada", "bob", "cyd")}
    q = created(client.post(f"{API}/questions", headers=people["ada"], json=QUESTION))
    a = created(
        client.post(
            f"{API}/questions/{q['id']}/answers", headers=people["bob"], json={"body": ANSWER}
        )
    )
    return people, q, a


def score_of(client, path: str) -> int:
    return ok(client.get(API + path))["score"]


def test_answer_votes_move_score_and_reputation(client, thread):
    people, _, a = thread
    path = f"/answers/{a['id']}"
    vote = f"{API}{path}/votes"

    assert ok(client.post(vote, headers=people["cyd"], json={"value": 1})) == {
        "value": 1,
        "score": 1,
    }
    assert reputation("bob") == 10
    # Repeating the same vote changes nothing.
    assert ok(client.post(vote, headers=people["cyd"], json={"value": 1})) == {
        "value": 1,
        "score": 1,
    }
    assert reputation("bob") == 10 and count(Vote) == 1
    # Changing it moves both: +10 becomes -2.
    assert ok(client.post(vote, headers=people["cyd"], json={"value": -1}))["score"] == -1
    assert reputation("bob") == -2 and count(Vote) == 1
    ok(client.post(vote, headers=people["cyd"], json={"value": -1}))
    assert reputation("bob") == -2 and score_of(client, path) == -1
    # A second voter adds up.
    ok(client.post(vote, headers=people["ada"], json={"value": 1}))
    assert score_of(client, path) == 0 and reputation("bob") == 8
    # Withdrawing takes it all back; withdrawing twice is harmless.
    assert client.delete(vote, headers=people["cyd"]).status_code == 204
    assert client.delete(vote, headers=people["cyd"]).status_code == 204
    assert score_of(client, path) == 1 and reputation("bob") == 10
    assert client.delete(vote, headers=people["ada"]).status_code == 204
    assert score_of(client, path) == 0 and reputation("bob") == 0 and count(Vote) == 0
    # The voters' own reputation never moves.
    assert reputation("cyd") == 0 and reputation("ada") == 0


def test_question_votes_move_score_and_reputation(client, thread):
    people, q, _ = thread
    path = f"/questions/{q['id']}"
    vote = f"{API}{path}/votes"
    ok(client.post(vote, headers=people["bob"], json={"value": 1}))
    assert reputation("ada") == 2 and score_of(client, path) == 1
    ok(client.post(vote, headers=people["bob"], json={"value": 1}))
    assert reputation("ada") == 2 and score_of(client, path) == 1
    ok(client.post(vote, headers=people["cyd"], json={"value": -1}))
    assert reputation("ada") == 0 and score_of(client, path) == 0
    ok(client.post(vote, headers=people["bob"], json={"value": -1}))
    assert reputation("ada") == -4 and score_of(client, path) == -2
    assert client.delete(vote, headers=people["bob"]).status_code == 204
    assert client.delete(vote, headers=people["cyd"]).status_code == 204
    assert reputation("ada") == 0 and score_of(client, path) == 0


def test_helped_me_gives_15_once_and_can_be_taken_back(client, caller, thread):
    people, q, a = thread
    mark = f"{API}/answers/{a['id']}/helpful"
    assert ok(client.post(mark, headers=people["ada"]))["helpful"] is True
    assert ok(client.post(mark, headers=people["ada"]))["helpful"] is True
    assert reputation("bob") == 15
    ok(client.post(f"{API}/answers/{a['id']}/votes", headers=people["ada"], json={"value": 1}))
    assert reputation("bob") == 25
    assert client.delete(mark, headers=people["ada"]).status_code == 204
    assert client.delete(mark, headers=people["ada"]).status_code == 204
    assert reputation("bob") == 10
    assert ok(client.get(f"{API}/answers/{a['id']}"))["helpful"] is False
    # Several answers can help; marking one's own answer earns nothing.
    dan = caller("dan")
    other = created(
        client.post(
            f"{API}/questions/{q['id']}/answers",
            headers=dan,
            json={"body": "Another angle: rehearse with a timer."},
        )
    )
    own = created(
        client.post(
            f"{API}/questions/{q['id']}/answers",
            headers=people["ada"],
            json={"body": "What I found myself in the end: practise."},
        )
    )
    for aid in (a["id"], other["id"], own["id"]):
        ok(client.post(f"{API}/answers/{aid}/helpful", headers=people["ada"]))
    assert reputation("bob") == 25 and reputation("dan") == 15 and reputation("ada") == 0
    answers = ok(client.get(f"{API}/questions/{q['id']}"))["answers"]
    assert all(item["helpful"] for item in answers)


BAD_VOTES = [
    {"value": 0},
    {"value": 2},
    {"value": -2},
    {"value": "1"},
    {"value": True},
    {"value": 1.0},
    {"value": None},
    {},
    {"value": 1, "extra": 1},
    {"value": [1]},
    {"value": 10**30},
    {"value": "up"},
]


def test_bad_votes_are_422_and_write_nothing(client, thread):
    people, q, a = thread
    before = snapshot()
    for body, path in itertools.product(
        BAD_VOTES, (f"/questions/{q['id']}/votes", f"/answers/{a['id']}/votes")
    ):
        error = assert_error(
            client.post(API + path, headers=people["cyd"], json=body), 422, "validation_failed"
        )
        assert set(error["fields"]) <= {"value", "extra"}
    assert snapshot() == before and reputation("bob") == 0 and reputation("ada") == 0


def test_votes_without_a_body_are_422(client, thread):
    people, q, _ = thread
    error = assert_error(
        client.post(f"{API}/questions/{q['id']}/votes", headers=people["cyd"]),
        422,
        "validation_failed",
    )
    assert "value" in error["fields"]
    assert count(Vote) == 0

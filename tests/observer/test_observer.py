"""The observer suite: no side channel out of a closed goal or an anonymous question (rule 7).

For each scenario an outsider — an anonymous reader and a signed-in user with no part in
it — snapshots every public surface it can reach (``observer.Observer.snapshot``), then the
scenario acts, and the snapshots must be equal. One closed goal walks its whole life:

    open → closed (mentor one) → private questions, answers, votes, helped-me, milestones,
    status, target date, comments, messages → release → closed again (mentor two) and more
    private activity → reopen: the public sees exactly what it saw before the goal closed.

The anonymous-question scenario votes on the question and on the asker's own answer under
it, and lets a user the asker blocked answer it: nothing about the asker moves.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from app.core.errors import ServiceError
from app.extensions import db
from app.models import Answer, Milestone, Question
from app.services import (
    blocks,
    goals,
    helpful,
    mentorship,
    mentorship_lifecycle,
    private_space,
    questions,
    votes,
)
from tests.builders import build_answer, build_goal, build_question
from tests.observer.observer import Observer, Surfaces, assert_unchanged

ANSWER = "Practise slow scales every day, then record yourself and listen back."
PRIVATE_TAG = "zqprivonly"
MENTOR_PROFILE = {"mentor_available": True, "mentor_topics": ["cello"], "skills": ["cello"]}


def _next_ids(model, count: int) -> list[int]:
    top = db.session.scalar(select(func.coalesce(func.max(model.id), 0)))
    return [top + i for i in range(1, count + 1)]


def _refused(call, *args) -> None:
    """Activity the service refuses (409 for the pair) must refuse, not half-happen."""
    with pytest.raises(ServiceError):
        call(*args)


def _snap(observers, s):
    return [o.snapshot(s) for o in observers]


@pytest.fixture
def people(app, make_user):
    app.config["RATELIMIT_POSTING"] = "10000 per minute"
    names = ("olivia", "mentor_one", "mentor_two", "pat", "sam")
    return {n: make_user(n, **({} if n == "sam" else MENTOR_PROFILE)) for n in names}


def test_a_closed_goal_leaves_no_trace_outside(app, people):
    olivia, m1, m2, pat = (people[n] for n in ("olivia", "mentor_one", "mentor_two", "pat"))
    goal = build_goal(
        olivia, "Play the Elgar cello concerto", tags=("cello",), target_date="2027-06-01"
    )
    goals.add_milestone(olivia, goal, {"title": "Learn the first movement"})
    goals.add_milestone(olivia, goal, {"title": "Play it for a teacher"})
    q0 = build_question(m1, "How do I keep a steady bow on long notes?", tags=("cello",))
    a0 = build_answer(pat, q0, ANSWER)
    q1 = build_question(
        olivia, "Which edition of the Elgar concerto should I buy?", tags=("cello",), goal=goal
    )
    a1 = build_answer(pat, q1, ANSWER + " Pat's edition advice.")
    a2 = build_answer(m1, q1, ANSWER + " Mentor one's advice.")
    votes.cast_vote(olivia, a1, 1)
    votes.cast_vote(m2, a0, 1)
    helpful.mark_helpful(m1, a0)

    s = Surfaces(
        usernames=["olivia", "mentor_one", "mentor_two", "pat"],
        questions=[q0.id, q1.id],
        answers=[a0.id, a1.id, a2.id],
        goals=[goal.id],
        tags=["cello"],
        private_tags=[PRIVATE_TAG],
        probe_questions=_next_ids(Question, 2),
        probe_answers=_next_ids(Answer, 3),
        probe_milestones=_next_ids(Milestone, 1),
    )
    observers = [Observer(app), Observer(app, "pat")]
    before_closing = _snap(observers, s)

    request = mentorship.invite(olivia, goal, "mentor_one", "Would you mentor me?")
    mentorship.accept(m1, request)
    closed = _snap(observers, s)

    # Inside the closed goal, with mentor one.
    q2 = questions.ask_question(
        olivia,
        {
            "title": "Is my vibrato too wide in bar 12?",
            "body": "Recording attached.",
            "goal_id": goal.id,
            "tags": [PRIVATE_TAG],
        },
    )
    a3 = build_answer(m1, q2, ANSWER + " Narrower, from the forearm.")
    votes.cast_vote(olivia, a3, 1)
    helpful.mark_helpful(olivia, a3)
    votes.cast_vote(m1, q2, 1)
    a4 = build_answer(m1, q1, ANSWER + " A private word on editions.")
    votes.cast_vote(olivia, a4, 1)
    helpful.mark_helpful(olivia, a4)
    _refused(votes.cast_vote, olivia, a1, -1)  # public-phase answers: frozen while closed
    _refused(votes.withdraw_vote, olivia, a1)
    _refused(helpful.mark_helpful, olivia, a1)
    _refused(votes.cast_vote, olivia, a2, 1)
    _refused(questions.set_answered_in, olivia, q1, q0.id)
    first, _ = goal.milestones[0], goal.milestones[1]
    _refused(goals.update_milestone, olivia, first, {"done": True})
    m3 = goals.add_milestone(olivia, goal, {"title": "Private: fix the vibrato"})
    goals.update_milestone(olivia, m3, {"done": True})
    goals.edit_goal(olivia, goal, {"target_date": "2027-12-31"})
    questions.add_comment(m1, answer=a1, body="@pat had a point here, privately.")
    goals.add_journal_entry(olivia, goal, "Practised bar 12 for an hour.")
    private_space.send_message(olivia, goal, "See you Thursday.")
    assert_unchanged(observers, closed, s, "activity inside the closed goal")

    mentorship_lifecycle.release(m1, goal)
    # A second mentorship on the same goal.
    request = mentorship.invite(olivia, goal, "mentor_two", "Take over?")
    mentorship.accept(m2, request)
    a5 = build_answer(m2, q1, ANSWER + " Mentor two's private view.")
    votes.cast_vote(olivia, a5, 1)
    helpful.mark_helpful(olivia, a5)
    q3 = questions.ask_question(
        olivia,
        {
            "title": "How do I memorise the cadenza fast?",
            "body": "Two weeks left.",
            "goal_id": goal.id,
            "tags": [PRIVATE_TAG],
        },
    )
    votes.cast_vote(m2, q3, 1)
    goals.edit_goal(olivia, goal, {"status": "abandoned"})
    assert_unchanged(observers, closed, s, "the release and a second mentorship")

    mentorship_lifecycle.reopen(olivia, goal)
    # What the public sees again is what it saw before the goal closed; the goal's own
    # updated_at moves with the reopening, which is public (and so is the closing).
    assert_unchanged(
        observers,
        before_closing,
        s,
        "the private phases, after reopening,",
        mask=lambda shot: _mask_goal_time(shot, goal.id),
    )

    # The pair keeps what they earned in there, and sees it.
    db.session.expire_all()
    assert (m1.reputation, m1.private_reputation) == (0, 10 + 15 + 10 + 15)
    assert (m2.reputation, m2.private_reputation) == (0, 10 + 15)
    assert (olivia.reputation, olivia.private_reputation) == (0, 2 + 2)
    assert (pat.reputation, pat.private_reputation) == (15 + 10 + 10, 0)
    assert a3.id in s.probe_answers and a4.id in s.probe_answers and a5.id in s.probe_answers
    assert {q2.id, q3.id} == set(s.probe_questions)


def _mask_goal_time(shot: dict, goal_id: int) -> dict:
    return {key: _mask(key, value, goal_id) for key, value in shot.items()}


def _mask(key: str, value, goal_id: int):
    if not key.startswith("API ") or not isinstance(value, tuple):
        return value
    status, body = value
    try:
        data = json.loads(body)
    except ValueError:
        return value
    for item in _goal_objects(data):
        if item.get("id") == goal_id:
            item["updated_at"] = "MASKED"
    return status, json.dumps(data, sort_keys=True)


def _goal_objects(data):
    if isinstance(data, dict):
        if "visibility" in data and "updated_at" in data:
            yield data
        for value in data.values():
            yield from _goal_objects(value)
    elif isinstance(data, list):
        for value in data:
            yield from _goal_objects(value)


def test_an_anonymous_asker_stays_anonymous(app, make_user):
    app.config["RATELIMIT_POSTING"] = "10000 per minute"
    asha, ben, cy = (make_user(n, **MENTOR_PROFILE) for n in ("asha", "ben", "cyd"))
    make_user("sam")
    qp = build_question(ben, "How do I tune a cello with worn pegs?", tags=("cello",))
    ap = build_answer(asha, qp, ANSWER)
    qa = questions.ask_question(
        asha,
        {
            "title": "Am I too old to start the cello at 50?",
            "body": "Be honest.",
            "tags": ["late-start"],
            "anonymous": True,
        },
    )
    aa = build_answer(asha, qa, ANSWER + " (the asker adds context)")
    blocks.block(asha, "sam")
    # Lists show the anonymous question's own score, which votes move in the open; what
    # must not move is anything about its asker: profiles, user objects, names with
    # numbers on her other threads, the mentors directory and its order.
    s = Surfaces(
        usernames=["asha", "ben", "cyd"],
        questions=[qp.id],
        answers=[ap.id],
        tags=["cello"],
        question_lists=False,
    )
    observers = [Observer(app), Observer(app, "sam")]
    before = _snap(observers, s)

    votes.cast_vote(ben, qa, 1)
    votes.cast_vote(cy, qa, 1)
    votes.cast_vote(ben, aa, 1)
    votes.cast_vote(cy, aa, 1)
    assert_unchanged(observers, before, s, "votes on an anonymous question")

    # Blocked by the asker, sam answers and comments like anyone: a refusal would name her.
    sam = observers[1]
    response = sam.client.post(
        f"/api/v1/questions/{qa.id}/answers",
        headers=sam.headers,
        json={"body": ANSWER + " From sam."},
    )
    assert response.status_code == 201, response.get_json()
    response = sam.client.post(
        f"/api/v1/answers/{aa.id}/comments",
        headers=sam.headers,
        json={"body": "Thanks for the context."},
    )
    assert response.status_code == 201, response.get_json()
    db.session.expire_all()
    assert asha.reputation == 0 and asha.private_reputation == 2 + 2 + 10 + 10

"""Mentorship rules at the service level (SPEC §1 "Open → closed mentorship")."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.core.visibility import can_view_answer, can_view_goal, can_view_question, get_question
from app.core.visible_queries import visible_answers, visible_questions
from app.extensions import db
from app.models import (
    Goal,
    GoalEvent,
    Mentorship,
    MentorshipRequest,
    Message,
    Question,
    SearchOutbox,
    User,
)
from app.models.base import utcnow
from app.services import (
    candidates,
    goals,
    helpful,
    mentorship,
    mentorship_board,
    mentorship_lifecycle,
    private_space,
    questions,
    votes,
)
from tests.builders import ANSWER_TEXT, build_answer, build_goal, build_question


def fresh(model, id_):
    db.session.commit()  # end the read snapshot so we see what other sessions committed
    return db.session.get(model, id_)


@pytest.fixture
def pair(make_user):
    owner, mentor, stranger = make_user("owner"), make_user("mentor"), make_user("stranger")
    goal = build_goal(owner, title="Run a half marathon in spring")
    return owner, mentor, stranger, goal


def close(owner, mentor, goal):
    request = mentorship.invite(owner, goal, mentor.username, "Would you mentor me?")
    return mentorship.accept(mentor, request)


# -- invites --------------------------------------------------------------------------------


def test_invite_bad_input_changes_nothing(pair, make_user):
    owner, mentor, stranger, goal = pair
    cases = [
        (lambda: mentorship.invite(stranger, goal, mentor.username, "Hi"), Forbidden),
        (lambda: mentorship.invite(owner, goal, owner.username, "Hi"), ValidationFailed),
        (lambda: mentorship.invite(owner, goal, "nobody-here", "Hi"), ValidationFailed),
        (lambda: mentorship.invite(owner, goal, None, "Hi"), ValidationFailed),
        (lambda: mentorship.invite(owner, goal, mentor.username, ""), ValidationFailed),
        (lambda: mentorship.invite(owner, goal, mentor.username, "x" * 2001), ValidationFailed),
    ]
    for call, error in cases:
        with pytest.raises(error):
            call()
    assert db.session.scalar(select(func.count(MentorshipRequest.id))) == 0


def test_one_pending_invite_per_goal(pair, make_user):
    owner, mentor, _, goal = pair
    first = mentorship.invite(owner, goal, mentor.username, "Would you mentor me?")
    with pytest.raises(Conflict):
        mentorship.invite(owner, goal, make_user("other").username, "Or you?")
    mentorship.withdraw(owner, first)
    assert fresh(MentorshipRequest, first.id).status == "withdrawn"
    second = mentorship.invite(owner, goal, "MENTOR", "Again, please?")  # case-insensitive
    assert second.status == "pending" and second.mentor_id == mentor.id


def test_accept_closes_the_goal_in_one_transaction(pair):
    owner, mentor, stranger, goal = pair
    question = build_question(owner, goal=goal)
    answer = build_answer(stranger, question)
    db.session.query(SearchOutbox).delete()
    db.session.commit()
    request = mentorship.invite(owner, goal, mentor.username, "Would you mentor me?")
    with pytest.raises(Forbidden):
        mentorship.accept(stranger, request)
    with pytest.raises(Forbidden):
        mentorship.accept(owner, request)
    phase = mentorship.accept(mentor, request)
    goal = fresh(Goal, goal.id)
    assert (goal.visibility, goal.mentor_id) == ("closed", mentor.id)
    assert phase.state == "active" and fresh(MentorshipRequest, request.id).status == "accepted"
    assert [e.kind for e in mentorship.goal_history(goal)] == ["closed"]
    queued = {(r.doc_type, r.doc_id) for r in db.session.scalars(select(SearchOutbox))}
    assert {("goal", goal.id), ("question", question.id), ("answer", answer.id)} <= queued
    for viewer in (None, stranger):
        assert not can_view_goal(viewer, goal) and not can_view_question(viewer, question)
        assert not can_view_answer(viewer, answer)
    assert can_view_answer(mentor, answer) and can_view_answer(owner, answer)


def test_accepting_twice_or_after_withdraw_or_expiry_is_a_conflict(pair, make_user, app):
    owner, mentor, _, goal = pair
    request = mentorship.invite(owner, goal, mentor.username, "Would you mentor me?")
    mentorship.withdraw(owner, request)
    with pytest.raises(Conflict, match="withdrawn"):
        mentorship.accept(mentor, request)
    with pytest.raises(Conflict):
        mentorship.withdraw(owner, request)
    late = mentorship.invite(owner, goal, mentor.username, "Second try")
    late.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    with pytest.raises(Conflict, match="expired"):
        mentorship.accept(mentor, late)
    assert mentorship.get_request(owner, late.id).status == "expired"  # lazy expiry on read
    assert fresh(Goal, goal.id).visibility == "open"
    third = mentorship.invite(owner, goal, mentor.username, "Third try")
    mentorship.accept(mentor, third)
    with pytest.raises(Conflict):
        mentorship.accept(mentor, third)
    with pytest.raises(Conflict):
        mentorship.decline(mentor, third)


def test_decline_and_expiry_command(pair, make_user):
    owner, mentor, _, goal = pair
    request = mentorship.invite(owner, goal, mentor.username, "Would you mentor me?")
    with pytest.raises(Forbidden):
        mentorship.decline(owner, request)
    assert mentorship.decline(mentor, request).status == "declined"
    other_goal = build_goal(owner, title="Learn to juggle five balls")
    stale = mentorship.invite(owner, other_goal, mentor.username, "Juggling?")
    stale.expires_at = utcnow() - timedelta(days=1)
    db.session.commit()
    assert mentorship.expire_due_invites() == 1
    assert fresh(MentorshipRequest, stale.id).status == "expired"
    assert mentorship.expire_due_invites() == 0


def test_requests_are_visible_to_their_two_parties_only(pair):
    owner, mentor, stranger, goal = pair
    request = mentorship.invite(owner, goal, mentor.username, "Would you mentor me?")
    assert mentorship.get_request(owner, request.id) is request
    assert mentorship.get_request(mentor, request.id) is request
    for viewer in (stranger, None):
        with pytest.raises(NotFound):
            mentorship.get_request(viewer, request.id)
    with pytest.raises(NotFound):
        mentorship.get_request(owner, "1")


@pytest.mark.parametrize("rival", ["withdraw", "accept"])
def test_concurrent_accept_and_withdraw_leave_one_outcome(app, pair, rival):
    owner, mentor, _, goal = pair
    request_id = mentorship.invite(owner, goal, mentor.username, "Would you mentor me?").id
    owner_id, mentor_id = owner.id, mentor.id
    db.session.commit()
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def run(action):
        with app.app_context():
            request = db.session.get(MentorshipRequest, request_id)
            start.wait()
            try:
                if action == "accept":
                    mentorship.accept(db.session.get(User, mentor_id), request)
                else:
                    mentorship.withdraw(db.session.get(User, owner_id), request)
                outcomes.append(action)
            except Conflict:
                outcomes.append("conflict")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(a,)) for a in ("accept", rival)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) in (["accept", "conflict"], ["conflict", rival]), outcomes
    goal = fresh(Goal, goal.id)
    phases = db.session.scalar(select(func.count(Mentorship.id)))
    status = db.session.get(MentorshipRequest, request_id).status
    if "accept" in outcomes:
        assert (goal.visibility, phases, status) == ("closed", 1, "accepted")
    else:
        assert (goal.visibility, phases, status) == ("open", 0, "withdrawn")


# -- what closing means for content ---------------------------------------------------------


def test_content_created_while_closed_is_private_forever(pair, make_user):
    owner, mentor, stranger, goal = pair
    public_q = build_question(owner, title="Which shoes for a first half marathon?", goal=goal)
    public_a = build_answer(stranger, public_q)
    phase = close(owner, mentor, goal)
    private_q = build_question(owner, title="My knee hurts after long runs, what now?", goal=goal)
    private_a = build_answer(mentor, public_q, "Private advice: " + ANSWER_TEXT)
    comment = questions.add_comment(mentor, question=public_q, body="Private comment here")
    milestone = goals.add_milestone(owner, goal, {"title": "Private milestone"})
    entry = goals.add_journal_entry(owner, goal, "Private journal entry")
    for item in (private_q, private_a, comment, milestone, entry):
        assert item.mentorship_id == phase.id
    assert public_q.mentorship_id is None
    assert fresh(Question, public_q.id).answer_count == 1  # the private answer is not counted
    mentorship_lifecycle.reopen(owner, fresh(Goal, goal.id))
    goal = fresh(Goal, goal.id)
    assert goal.visibility == "open" and goal.mentor_id is None
    later = make_user("later")
    for viewer in (None, stranger, later):
        assert can_view_question(viewer, public_q) and can_view_answer(viewer, public_a)
        assert not can_view_question(viewer, private_q)
        assert not can_view_answer(viewer, private_a)
        with pytest.raises(NotFound):
            get_question(viewer, private_q.id)
        assert questions.comments_for(viewer, public_q, [public_a]) == {}
        contents = goals.goal_contents(viewer, goal)
        assert contents["milestones"] == [] and contents["journal"] == []
        ids = set(db.session.scalars(visible_questions(viewer).with_only_columns(Question.id)))
        assert private_q.id not in ids and public_q.id in ids
        answer_ids = {a.id for a in db.session.scalars(visible_answers(viewer))}
        assert private_a.id not in answer_ids and public_a.id in answer_ids
    for participant in (owner, mentor):
        assert can_view_question(participant, private_q)
        assert can_view_answer(participant, private_a)
        assert len(goals.goal_contents(participant, goal)["journal"]) == 1
    # A later mentor sees the public phase and their own phase, never the earlier one.
    close(owner, later, goal)
    assert can_view_question(later, public_q) and not can_view_question(later, private_q)
    assert not can_view_answer(later, private_a)
    assert goals.goal_contents(later, fresh(Goal, goal.id))["milestones"] == []


def test_public_phase_content_is_frozen_while_closed(pair):
    owner, mentor, stranger, goal = pair
    question = build_question(owner, goal=goal)
    answer = build_answer(stranger, question)
    milestone = goals.add_milestone(owner, goal, {"title": "Public milestone"})
    close(owner, mentor, goal)
    goal = fresh(Goal, goal.id)
    for call in (
        lambda: questions.edit_question(owner, question, {"title": "A private new title"}),
        lambda: helpful.set_outcome(owner, question, "What happened in private"),
        lambda: goals.edit_goal(owner, goal, {"description": "Private words"}),
        lambda: goals.update_milestone(owner, milestone, {"title": "Private title"}),
    ):
        with pytest.raises(Conflict):
            call()
    assert fresh(Question, question.id).title != "A private new title"
    # Nor ticks, helped-me marks or votes: they would reappear on reopening (rule 7).
    for call in (
        lambda: goals.update_milestone(owner, milestone, {"done": True}),
        lambda: helpful.mark_helpful(owner, answer),
        lambda: votes.cast_vote(mentor, answer, 1),
    ):
        with pytest.raises(Conflict):
            call()
    # Status and target date may change (restored on reopening, see test_side_channels).
    goals.edit_goal(owner, goal, {"status": "active", "target_date": "2027-04-01"})
    private = build_question(owner, title="A private question in the mentorship", goal=goal)
    questions.edit_question(owner, private, {"body": "Edited in private"})


# -- lifecycle ------------------------------------------------------------------------------


def test_pause_resume_release_reopen(pair, make_user):
    owner, mentor, stranger, goal = pair
    close(owner, mentor, goal)
    goal = fresh(Goal, goal.id)
    with pytest.raises(Forbidden):
        mentorship_lifecycle.pause(stranger, goal)
    assert mentorship_lifecycle.pause(mentor, goal).state == "paused"
    with pytest.raises(Conflict):
        mentorship_lifecycle.pause(owner, goal)
    assert mentorship_lifecycle.resume(owner, goal).state == "active"
    with pytest.raises(Conflict):
        mentorship_lifecycle.resume(owner, goal)
    with pytest.raises(Forbidden):
        mentorship_lifecycle.release(owner, goal)
    mentorship_lifecycle.release(mentor, goal)
    goal = fresh(Goal, goal.id)
    assert (goal.visibility, goal.mentor_id) == ("closed", None)
    assert not can_view_goal(mentor, goal) and can_view_goal(owner, goal)
    with pytest.raises(Conflict):
        build_question(owner, title="Who answers this now that nobody mentors?", goal=goal)
    with pytest.raises(Conflict):
        private_space.send_message(owner, goal, "Hello?")
    with pytest.raises(Forbidden):
        mentorship_lifecycle.reopen(mentor, goal)
    mentorship_lifecycle.reopen(owner, goal)
    with pytest.raises(Conflict):
        mentorship_lifecycle.reopen(owner, fresh(Goal, goal.id))
    kinds = [e.kind for e in mentorship.goal_history(goal)]
    assert kinds == ["closed", "paused", "resumed", "released", "reopened"]


def test_complete_then_publish_summary(pair):
    owner, mentor, stranger, goal = pair
    public_q = build_question(owner, title="Public question before the mentorship", goal=goal)
    close(owner, mentor, goal)
    private_q = build_question(owner, title="Private question during the mentorship", goal=goal)
    goal = fresh(Goal, goal.id)
    with pytest.raises(Forbidden):
        mentorship_lifecycle.complete(mentor, goal)
    with pytest.raises(Conflict):
        mentorship_lifecycle.publish_summary(owner, goal, "Too early")
    mentorship_lifecycle.complete(owner, goal)
    goal = fresh(Goal, goal.id)
    assert (goal.status, goal.visibility, goal.mentor_id) == ("achieved", "closed", mentor.id)
    assert not can_view_goal(stranger, goal)
    with pytest.raises(ValidationFailed):
        mentorship_lifecycle.publish_summary(owner, goal, "")
    mentorship_lifecycle.publish_summary(owner, goal, "I learned to **pace** myself.")
    goal = fresh(Goal, goal.id)
    assert goal.visibility == "open" and "<strong>pace</strong>" in goal.summary_html
    assert can_view_question(stranger, public_q) and not can_view_question(stranger, private_q)


def test_complete_with_summary_in_one_call(pair):
    owner, mentor, stranger, goal = pair
    close(owner, mentor, goal)
    goal = mentorship_lifecycle.complete(owner, fresh(Goal, goal.id), "Slow runs build the base.")
    assert fresh(Goal, goal.id).visibility == "open" and can_view_goal(stranger, goal)


# -- private space --------------------------------------------------------------------------


def test_messages(pair, make_user):
    owner, mentor, stranger, goal = pair
    with pytest.raises(Conflict):
        private_space.send_message(owner, goal, "Messages on an open goal?")
    close(owner, mentor, goal)
    goal = fresh(Goal, goal.id)
    for bad in ("", "x" * 5001, None, 42):
        with pytest.raises(ValidationFailed):
            private_space.send_message(owner, goal, bad)
    private_space.send_message(owner, goal, "Hello **mentor**")
    private_space.send_message(mentor, goal, "Hello protégé")
    with pytest.raises(Forbidden):
        private_space.send_message(stranger, goal, "Let me in")
    page = private_space.list_messages(mentor, goal)
    assert [m.body for m in page.items] == ["Hello **mentor**", "Hello protégé"]
    assert page.total == 2 and "<strong>mentor</strong>" in page.items[0].body_html
    # A later mentor does not read the earlier pair's messages; the owner reads both.
    mentorship_lifecycle.reopen(owner, goal)
    later = make_user("later")
    close(owner, later, fresh(Goal, goal.id))
    goal = fresh(Goal, goal.id)
    private_space.send_message(later, goal, "New mentor here")
    assert [m.body for m in private_space.list_messages(later, goal).items] == ["New mentor here"]
    assert private_space.list_messages(owner, goal).total == 3
    assert db.session.scalar(select(func.count(Message.id))) == 3


def test_agreement_versions(pair):
    owner, mentor, _, goal = pair
    close(owner, mentor, goal)
    goal = fresh(Goal, goal.id)
    data = {
        "modes": ["video", "message"],
        "cadence": "Every other Monday",
        "response_hours": 48,
        "success_criteria": "Finish a half marathon under 2h",
    }
    first = private_space.set_agreement(owner, goal, data)
    second = private_space.set_agreement(mentor, goal, {**data, "response_hours": 24})
    assert (first.version, second.version) == (1, 2)
    assert first.mode_list == ["message", "video"]
    assert private_space.current_agreement(goal).response_hours == 24
    assert [a.version for a in private_space.agreement_versions(goal)] == [2, 1]
    bad = [
        {**data, "modes": ["carrier pigeon"]},
        {**data, "modes": []},
        {**data, "response_hours": 0},
        {**data, "response_hours": "soon"},
        {**data, "cadence": ""},
        {**data, "success_criteria": ""},
        {**data, "extra": 1},
    ]
    for payload in bad:
        with pytest.raises(ValidationFailed):
            private_space.set_agreement(owner, goal, payload)
    assert private_space.current_agreement(goal).version == 2


def test_checkins(pair):
    owner, mentor, _, goal = pair
    close(owner, mentor, goal)
    goal = fresh(Goal, goal.id)
    when = (utcnow() + timedelta(days=3)).isoformat()
    checkin = private_space.add_checkin(
        owner, goal, {"scheduled_at": when, "agenda": "Review long runs"}
    )
    for bad in (
        {"scheduled_at": "tomorrow", "agenda": "x"},
        {"scheduled_at": "2027-01-01T10:00", "agenda": "x"},  # no time zone
        {"scheduled_at": when, "agenda": ""},
        {"agenda": "x"},
    ):
        with pytest.raises(ValidationFailed):
            private_space.add_checkin(owner, goal, bad)
    private_space.update_checkin(mentor, goal, checkin, {"notes": "Went well; add hills."})
    [listed] = private_space.list_checkins(owner, goal)
    assert listed.notes == "Went well; add hills."
    assert [c.id for c in private_space.upcoming_checkins(mentor)] == [checkin.id]
    [row] = mentorship_board.board(mentor)["live"]
    assert (row.mentorship.goal_id, row.goal_visible, row.role) == (goal.id, True, "mentor")
    assert row.next_checkin.id == checkin.id


def test_candidates_rank_answerers_by_helped_me_then_votes(pair, make_user):
    owner, mentor, stranger, goal = pair
    question = build_question(owner, goal=goal)
    helped = build_answer(mentor, question)
    voted = build_answer(stranger, question)
    helpful.mark_helpful(owner, helped)
    votes.cast_vote(make_user("voter"), voted, 1)
    topical = make_user("topical", mentor_available=True, mentor_topics=["speaking"])
    make_user("busy", mentor_available=False, mentor_topics=["speaking"])
    ranked = candidates.mentor_candidates(owner, fresh(Goal, goal.id))
    names = [c["user"].username for c in ranked]
    assert names[:2] == ["mentor", "stranger"] and "topical" in names
    assert "busy" not in names and "owner" not in names
    assert ranked[0]["reason"].startswith("1 helpful answer")
    assert "topic" in ranked[names.index(topical.username)]["reason"]
    with pytest.raises(Forbidden):
        candidates.mentor_candidates(stranger, goal)


def test_history_records_who_did_what(pair):
    owner, mentor, _, goal = pair
    close(owner, mentor, goal)
    event = db.session.scalar(select(GoalEvent))
    assert (event.kind, event.actor_id, event.visibility) == ("closed", mentor.id, "closed")

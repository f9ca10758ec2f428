"""View data computed in services for the pages (issue 16 §2): lists, journey, dashboard,
profile. Each rule here is also checked through the pages in tests/web/test_product_pages.py.
"""

from datetime import UTC, datetime, timedelta

import pytest

from app.extensions import db
from app.models import Milestone
from app.models.base import utcnow
from app.services import goals, helpful, mentorship, mentorship_lifecycle, private_space, questions
from app.services.journey import milestone_line, next_checkin, space_partner
from app.services.listing import ago, excerpt, question_cards
from app.services.mentor_record import helped_by_tag
from app.services.mentorship_board import board, reply_status
from tests.builders import build_answer, build_goal, build_question

AGREEMENT = {
    "modes": ["message"],
    "cadence": "weekly",
    "response_hours": 24,
    "success_criteria": "A finished race.",
}


@pytest.fixture
def pair(make_user):
    owner, mentor, stranger = make_user("owner"), make_user("mentor"), make_user("stranger")
    goal = build_goal(owner, title="Run a half marathon in spring", tags=("running",))
    return owner, mentor, stranger, goal


def close(owner, mentor, goal):
    request = mentorship.invite(owner, goal, mentor.username, "Would you mentor me?")
    return mentorship.accept(mentor, request)


# -- lists ----------------------------------------------------------------------------------


def test_excerpt_is_plain_text_cut_at_a_word():
    html = "<p>Tom &amp; Jerry <strong>run</strong></p><p>every day</p><pre>x</pre>"
    assert excerpt(html) == "Tom & Jerry run every day x"
    assert excerpt("<p>" + "word " * 100 + "</p>", limit=22) == "word word word word…"
    assert excerpt("") == "" and excerpt(None) == ""
    assert excerpt("<p>" + "x" * 50 + "</p>", limit=10) == "x" * 10 + "…"
    # Escaping is the template's job: the excerpt is text, so markup stays text there.
    assert excerpt("<p>&lt;script&gt;</p>") == "<script>"


def test_ago_reads_both_ways():
    now = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
    assert ago(now - timedelta(seconds=20), now) == "just now"
    assert ago(now - timedelta(minutes=1), now) == "1 minute ago"
    assert ago(now - timedelta(hours=5), now) == "5 hours ago"
    assert ago(now - timedelta(days=3), now) == "3 days ago"
    assert ago(now - timedelta(days=400), now) == "1 year ago"
    assert ago(now + timedelta(days=2, hours=1), now) == "in 2 days"
    assert ago(datetime(2026, 1, 10, 11, 0), now) == "1 hour ago"  # naive means UTC
    assert ago(None, now) == ""


def test_question_cards_show_helped_and_last_answer(make_user):
    asker, helper = make_user("asker"), make_user("helper")
    answered = build_question(asker, title="How do I pace a long run?")
    quiet = build_question(asker, title="Which shoes for trail running?")
    answer = build_answer(helper, answered)
    helpful.mark_helpful(asker, answer)
    db.session.commit()
    cards = question_cards(None, [answered, quiet])
    assert cards[answered.id].helped and cards[answered.id].last_answer_at == answer.created_at
    assert not cards[quiet.id].helped and cards[quiet.id].last_answer_at is None
    assert cards[quiet.id].excerpt == "Any tips?"
    assert question_cards(None, []) == {}


def test_question_cards_never_show_a_private_answer(pair):
    """A public question whose helpful answer was written while the goal was closed: after
    the goal reopens, outsiders see neither the mark nor the answer's time in lists."""
    owner, mentor, stranger, goal = pair
    question = build_question(owner, title="How far should my long run be?", goal=goal)
    db.session.commit()
    close(owner, mentor, goal)
    private = build_answer(mentor, question)
    helpful.mark_helpful(owner, private)
    mentorship_lifecycle.reopen(owner, goal)
    db.session.commit()
    for outsider in (None, stranger):
        card = question_cards(outsider, [question])[question.id]
        assert not card.helped and card.last_answer_at is None
    assert question_cards(owner, [question])[question.id].helped


# -- goal journey ---------------------------------------------------------------------------


def test_milestone_line_marks_the_next_step():
    ms = [
        Milestone(title=t, done=d, position=i)
        for i, (t, d) in enumerate([("a", True), ("b", False), ("c", True), ("d", False)])
    ]
    line = milestone_line(ms)
    assert [s.state for s in line.steps] == ["done", "next", "done", "todo"]
    assert [s.number for s in line.steps] == [1, 2, 3, 4]
    assert (line.done, line.total, line.percent) == (2, 4, 50)
    empty = milestone_line([])
    assert empty.steps == [] and empty.percent == 0


def test_space_partner_is_the_other_person(pair):
    owner, mentor, stranger, _goal = pair
    assert space_partner(owner, owner, mentor) is mentor
    assert space_partner(mentor, owner, mentor) is owner
    assert space_partner(stranger, owner, mentor) is None
    assert space_partner(owner, owner, None) is None
    assert space_partner(None, owner, mentor) is None


def test_next_checkin_is_the_first_from_now(pair):
    owner, mentor, _stranger, goal = pair
    close(owner, mentor, goal)
    now = utcnow()
    later = private_space.add_checkin(
        owner, goal, {"scheduled_at": now + timedelta(days=9), "agenda": "Review"}
    )
    soon = private_space.add_checkin(
        owner, goal, {"scheduled_at": now + timedelta(days=2), "agenda": "Plan"}
    )
    db.session.commit()
    checkins = private_space.list_checkins(owner, goal)
    assert next_checkin(checkins, now) == soon
    assert next_checkin(checkins, now + timedelta(days=3)) == later
    assert next_checkin(checkins, now + timedelta(days=10)) is None


# -- who owes a reply -----------------------------------------------------------------------


def test_reply_status_follows_the_latest_message(pair):
    owner, mentor, _stranger, goal = pair
    ms = close(owner, mentor, goal)
    private_space.send_message(owner, goal, "Hello, shall we start?")
    db.session.commit()
    assert reply_status(ms) is None  # no agreed response time yet
    private_space.set_agreement(owner, goal, AGREEMENT)
    db.session.commit()
    status = reply_status(ms)
    assert status.owed_by_id == mentor.id and status.hours == 24 and not status.overdue
    assert status.due_at == status.message.created_at + timedelta(hours=24)
    assert reply_status(ms, now=status.due_at + timedelta(minutes=1)).overdue
    private_space.send_message(mentor, goal, "Yes: three runs this week.")
    db.session.commit()
    assert reply_status(ms).owed_by_id == owner.id


def test_board_rows_for_both_roles(pair, make_user):
    owner, mentor, _stranger, goal = pair
    ms = close(owner, mentor, goal)
    private_space.set_agreement(owner, goal, AGREEMENT)
    private_space.send_message(owner, goal, "Hello, shall we start?")
    checkin = private_space.add_checkin(
        mentor, goal, {"scheduled_at": utcnow() + timedelta(days=1), "agenda": "First plan"}
    )
    other_goal = build_goal(mentor, title="Learn to swim a full kilometre", tags=("swimming",))
    pending = mentorship.invite(mentor, other_goal, owner.username, "Could you help me?")
    db.session.commit()

    mine = board(mentor)
    (row,) = mine["live"]
    assert row.mentorship == ms and row.role == "mentor" and row.partner == owner
    assert row.next_checkin == checkin and row.you_owe and mine["owed_by_you"] == 1
    assert mine["invites_out"] == [pending] and mine["invites_in"] == []
    assert mine["open_goals"] == [other_goal]

    theirs = board(owner)
    (row,) = theirs["live"]
    assert row.role == "protégé" and row.partner == mentor and not row.you_owe
    assert row.reply.owed_by_id == mentor.id and theirs["owed_by_you"] == 0
    assert theirs["invites_in"] == [pending] and theirs["open_goals"] == []


def test_board_lists_past_mentorships_without_private_titles(pair):
    owner, mentor, _stranger, goal = pair
    close(owner, mentor, goal)
    mentorship_lifecycle.release(mentor, goal)
    db.session.commit()
    mine = board(mentor)
    assert mine["live"] == []
    (past,) = mine["past"]
    assert past.role == "mentor" and not past.goal_visible  # closed to the former mentor
    (own,) = board(owner)["past"]
    assert own.goal_visible


# -- where a mentor helped ------------------------------------------------------------------


def test_helped_by_tag_counts_public_named_activity_only(pair, make_user):
    owner, mentor, stranger, goal = pair
    asker = make_user("asker")
    for title, tags in [
        ("How do I pace a long run?", ("running",)),
        ("What should I eat before a race?", ("running", "food")),
        ("Which stove for camping trips?", ("food",)),
    ]:
        question = build_question(asker, title=title, tags=tags)
        helpful.mark_helpful(asker, build_answer(mentor, question))
    unmarked = build_question(asker, title="How do I stretch after running?", tags=("yoga",))
    build_answer(mentor, unmarked)
    # Inside a closed goal: never counted, not even for the mentor or the owner.
    private_q = build_question(owner, title="How do I train for hills?", tags=("hills",), goal=goal)
    db.session.commit()
    close(owner, mentor, goal)
    helpful.mark_helpful(owner, build_answer(mentor, private_q))
    # The anonymous asker's own answer on their own question would name them.
    anon_q = questions.ask_question(
        stranger,
        {
            "title": "Is a marathon too much in year one?",
            "body": "Honest views please.",
            "tags": ["secret"],
            "anonymous": True,
        },
    )
    helpful.mark_helpful(stranger, build_answer(stranger, anon_q))
    db.session.commit()

    counts = [(t.tag, t.count, t.share) for t in helped_by_tag(mentor)]
    assert counts == [("food", 2, 100), ("running", 2, 100)]
    assert helped_by_tag(stranger) == []
    assert [t.tag for t in helped_by_tag(mentor, limit=1)] == ["food"]
    goals.add_milestone(owner, goal, {"title": "Run 10 km"})  # unrelated writes change nothing
    db.session.commit()
    assert [(t.tag, t.count) for t in helped_by_tag(mentor)] == [("food", 2), ("running", 2)]

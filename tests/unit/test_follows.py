"""Following tags, goals and questions; the following feed; profile extras (services)."""

from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

import pytest
from sqlalchemy import func, select

from app.core import timezones
from app.core.errors import NotFound
from app.extensions import db
from app.models import Follow, Goal
from app.services import follows, mentorship, profiles, votes
from app.services.helpful import mark_helpful
from tests.builders import build_answer, build_goal, build_question


@pytest.fixture
def people(make_user):
    return make_user("alice"), make_user("bob"), make_user("mentor")


def follow_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Follow))


def close_goal(owner, goal, mentor_user) -> Goal:
    mentorship.accept(mentor_user, mentorship.invite(owner, goal, mentor_user.username, "Hi"))
    db.session.expire_all()
    return db.session.get(Goal, goal.id)


def feed_posts(user) -> list:
    return [(item.kind, item.post.id) for item in follows.following_feed(user).items]


def test_follow_and_unfollow_are_idempotent(people):
    alice, bob, _ = people
    goal = build_goal(alice)
    question = build_question(alice)
    for _ in range(2):
        follows.follow(bob, "tag", "Speaking")
        follows.follow(bob, "goal", goal.id)
        follows.follow(bob, "question", str(question.id))
    assert follow_count() == 3
    assert follows.follow_state(bob, "tag", "speaking") is True
    assert follows.follow_state(bob, "goal", goal.id) is True
    assert follows.follow_state(None, "goal", goal.id) is None
    labels = {(f.target_type, f.label) for f in follows.list_follows(bob).items}
    assert labels == {("tag", "speaking"), ("goal", goal.title), ("question", question.title)}
    for _ in range(2):
        follows.unfollow(bob, "tag", "speaking")
        follows.unfollow(bob, "goal", goal.id)
        follows.unfollow(bob, "question", question.id)
    assert follow_count() == 0
    assert follows.follow_state(bob, "goal", goal.id) is False


def test_any_well_formed_tag_name_can_be_followed(people):
    # Whether a tag exists may tell that it is used on private posts only (rule 7): an
    # unused name is followed like any other, and unfollowing a never-followed one is a no-op.
    _, bob, _ = people
    follows.unfollow(bob, "tag", "no-such-tag")
    follows.follow(bob, "tag", "no-such-tag")
    assert follows.follow_state(bob, "tag", "no-such-tag") is True
    follows.unfollow(bob, "tag", "no-such-tag")
    assert follow_count() == 0


@pytest.mark.parametrize(
    "target_type, key",
    [
        ("tag", "Bad Tag!"),
        ("tag", "x" * 36),
        ("goal", 999999),
        ("goal", "abc"),
        ("question", "-1"),
        ("question", "9" * 30),
        ("user", "alice"),
        ("", "1"),
    ],
)
def test_unknown_targets_are_not_found(people, target_type, key):
    _, bob, _ = people
    build_goal(people[0])  # the "speaking" tag exists
    with pytest.raises(NotFound):
        follows.follow(bob, target_type, key)
    with pytest.raises(NotFound):
        follows.unfollow(bob, target_type, key)
    assert follow_count() == 0


def test_hidden_goal_cannot_be_followed_and_its_content_leaves_the_feed(people):
    alice, bob, mentor = people
    goal = build_goal(alice)
    question = build_question(alice, goal=goal, title="How do I pace a twenty minute talk?")
    answer = build_answer(mentor, question)
    other = build_question(alice, title="Which microphone works best for a talk?")
    follows.follow(bob, "goal", goal.id)
    follows.follow(bob, "tag", "speaking")
    follows.follow(bob, "question", question.id)
    assert set(feed_posts(bob)) == {
        ("question", question.id),
        ("answer", answer.id),
        ("question", other.id),
    }
    goal = close_goal(alice, goal, mentor)
    # Nobody outside the pair can follow it now, and the follower's feed drops all of it.
    with pytest.raises(NotFound):
        follows.follow(people[1], "question", question.id)
    assert feed_posts(bob) == [("question", other.id)]
    # The follower's list keeps the rows without titles; unfollowing them still works.
    hidden = [f for f in follows.list_follows(bob).items if not f.visible]
    assert {f.target_type for f in hidden} == {"goal", "question"}
    assert all(f.label is None for f in hidden)
    follows.unfollow(bob, "goal", goal.id)
    follows.unfollow(bob, "question", question.id)
    assert follow_count() == 1


def test_a_closed_goal_cannot_be_followed(people, make_user):
    alice, bob, mentor = people
    goal = close_goal(alice, build_goal(alice), mentor)
    with pytest.raises(NotFound):
        follows.follow(bob, "goal", goal.id)
    follows.follow(mentor, "goal", goal.id)  # the participants can see it
    assert follow_count() == 1


def test_feed_is_newest_first_and_paginated(people):
    alice, bob, mentor = people
    question = build_question(alice)
    answers = [
        build_answer(mentor, question, body=f"Answer number {i} with enough words.")
        for i in range(3)
    ]
    follows.follow(bob, "question", question.id)
    page = follows.following_feed(bob, page=1, per_page=2)
    assert [i.post.id for i in page.items] == [answers[2].id, answers[1].id] and page.has_next
    page = follows.following_feed(bob, page=2, per_page=2)
    assert [(i.kind, i.post.id) for i in page.items] == [
        ("answer", answers[0].id),
        ("question", question.id),
    ]
    assert not page.has_next


def test_reputation_history_counts_only_visible_posts(people):
    alice, bob, mentor = people
    public_q = build_question(alice, title="A public question about speaking")
    public_answer = build_answer(mentor, public_q)
    goal = build_goal(alice, title="A goal that will close soon enough")
    hidden_q = build_question(alice, goal=goal, title="A question that will be hidden")
    hidden_answer = build_answer(mentor, hidden_q)
    votes.cast_vote(bob, public_answer, 1)
    votes.cast_vote(bob, hidden_answer, 1)
    votes.cast_vote(bob, public_q, -1)
    mark_helpful(alice, public_answer)
    history = profiles.reputation_history(None, mentor)
    assert len(history) == profiles.CHART_WEEKS and history[-1].points == 20 + 15
    close_goal(alice, goal, mentor)
    assert profiles.reputation_history(None, mentor)[-1].points == 10 + 15
    assert profiles.reputation_history(mentor, mentor)[-1].points == 20 + 15
    assert profiles.reputation_history(None, alice)[-1].points == -2
    assert profiles.helped_count(None, mentor) == 1
    chart = profiles.reputation_chart(profiles.reputation_history(None, mentor))
    assert chart.total == 25 and chart.best.points == 25
    assert chart.bars[-1]["height"] == chart.height


def test_chart_geometry_handles_negative_and_empty_weeks():
    now = datetime(2026, 3, 4, tzinfo=UTC)
    weeks = [profiles.Week(now - timedelta(weeks=2 - i), p) for i, p in enumerate([0, -4, 12])]
    chart = profiles.reputation_chart(weeks, width=30, height=32)
    assert chart.baseline == 24.0
    assert chart.bars[1]["negative"] and chart.bars[1]["y"] == 24.0
    assert chart.bars[2]["y"] == 0.0 and chart.bars[2]["height"] == 24.0
    empty = profiles.reputation_chart([profiles.Week(now, 0)])
    assert empty.total == 0 and empty.best is None


def test_local_time_and_offsets():
    noon = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
    assert timezones.local_time("Asia/Kolkata", noon) == "17:30"
    assert timezones.local_time("Not/AZone", noon) is None
    # A tzdata directory is not a zone either (ZoneInfo raises IsADirectoryError for it).
    assert timezones.local_time("America", noon) is None
    assert timezones.parse_offset("UTC+5:30") == timedelta(hours=5, minutes=30)
    assert timezones.parse_offset("-03:00") == timedelta(hours=-3)
    assert timezones.parse_offset("utc") == timedelta(0)
    for bad in ("UTC+99", "+5:75", "Mars/Base", "", "'; drop table users"):
        assert timezones.parse_offset(bad) is None
    near = timezones.zones_near(timedelta(hours=1), 0, noon)
    assert "Europe/Berlin" in near and "Europe/London" not in near


def test_svg_template_is_well_formed(app, people):
    from flask import render_template_string

    alice, bob, mentor = people
    answer = build_answer(mentor, build_question(alice))
    votes.cast_vote(bob, answer, 1)
    with app.test_request_context():
        html = render_template_string(
            '{% include "users/_rep_chart.html" %}',
            rep_chart=profiles.reputation_chart(profiles.reputation_history(None, mentor)),
        )
    svg = html[html.index("<svg") : html.index("</svg>") + 6]
    root = ElementTree.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.find("{http://www.w3.org/2000/svg}title").text.endswith("10 in total")
    assert len(root.findall("{http://www.w3.org/2000/svg}rect")) == 1


def test_chart_leaves_out_anonymous_questions_except_for_the_asker(people):
    from app.services import questions

    alice, bob, mentor = people
    secret = questions.ask_question(
        alice,
        {
            "title": "A question I ask anonymously here",
            "body": "Shh.",
            "tags": ["speaking"],
            "anonymous": True,
        },
    )
    self_answer = build_answer(alice, secret, body="Answering my own anonymous question.")
    votes.cast_vote(bob, secret, 1)
    votes.cast_vote(bob, self_answer, 1)
    mark_helpful(alice, build_answer(mentor, secret))
    assert profiles.reputation_history(None, alice)[-1].points == 0
    assert profiles.reputation_history(bob, alice)[-1].points == 0
    assert profiles.reputation_history(alice, alice)[-1].points == 12
    assert profiles.reputation_history(None, mentor)[-1].points == 15
    assert profiles.helped_count(None, mentor) == 1

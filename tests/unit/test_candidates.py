"""Mentor candidates for a goal: answerers first, then recommended mentors (SPEC §1)."""

import pytest
from sqlalchemy import event

from app.core.timezones import tz_difference, utc_offset_hours
from app.extensions import db
from app.models import Goal
from app.search.indexer import drain
from app.search.service import get_backend
from app.services import blocks, candidates, helpful, mentorship, votes
from app.services.accounts import update_profile
from app.services.mentor_ranking import PostedAnswer, Profile, TagRecord, Thread, rank_mentors
from tests.builders import build_answer, build_goal, build_question

INTERVIEW_GOAL = {
    "title": "Pass my software engineering interviews",
    "description": "I want to prepare for coding interviews at tech companies: algorithms, "
    "whiteboard practice and system design rounds.",
    "tags": ("interviews",),
}


def names(items):
    return [c["user"].username for c in items]


def fresh_goal(goal):
    db.session.commit()
    return db.session.get(Goal, goal.id)


# -- the scorer on plain data -----------------------------------------------------------------


def test_rank_mentors_weighs_helpful_answers_in_similar_threads_and_explains():
    threads = [Thread(1, 1.0, ("interviews",)), Thread(2, 0.5, ("interviews", "python"))]
    answers = [
        PostedAnswer(10, 1, 3, True, 100),
        PostedAnswer(10, 2, 0, True, 101),
        PostedAnswer(10, 2, 1, True, 102),
        PostedAnswer(11, 1, 9, False, 103),
        PostedAnswer(12, 99, 50, True, 104),
    ]  # not on a similar thread: ignored
    profiles = {i: Profile(i) for i in (10, 11, 12)}
    ranked = rank_mentors(
        goal_tags={"interviews"}, threads=threads, answers=answers, profiles=profiles
    )
    assert [r.user_id for r in ranked] == [10, 11]
    top = ranked[0]
    assert top.reason == "3 helpful answers on [interviews, python]"
    assert (top.helpful, top.answers, top.votes) == (3, 3, 4)
    assert top.answer_ids[0] == 100  # the best evidence first
    assert ranked[1].reason == "1 answer, 9 votes on [interviews]"
    assert ranked[0].score > ranked[1].score


def test_rank_mentors_topics_time_zone_and_exclusions():
    profiles = {
        1: Profile(1, mentor_topics=frozenset({"python"}), utc_offset=3.0),
        2: Profile(2, mentor_topics=frozenset({"python"}), utc_offset=-5.0),
        3: Profile(3, skills=frozenset({"python"}), utc_offset=1.0),
        4: Profile(4, available=False, mentor_topics=frozenset({"python"}), utc_offset=1.0),
        5: Profile(5, mentor_topics=frozenset({"python"}), utc_offset=1.0),  # excluded
        6: Profile(6, mentor_topics=frozenset({"cooking"}), utc_offset=1.0),  # no overlap
    }
    ranked = rank_mentors(
        goal_tags={"python"},
        threads=[],
        answers=[],
        profiles=profiles,
        owner_offset=1.0,
        exclude={5},
    )
    assert [r.user_id for r in ranked] == [1, 2, 3]
    assert ranked[0].reason == "mentors on your topic [python]; 2 h from your time zone"
    assert ranked[1].reason == "mentors on your topic [python]"  # 6 h: not worth a mention
    assert ranked[2].reason == "skilled in your topic [python]; same time zone as you"


def test_rank_mentors_track_record_on_the_goal_tags():
    profiles = {1: Profile(1), 2: Profile(2)}
    records = {1: TagRecord(answers=4, helpful=2, votes=7, tags=("interviews",))}
    ranked = rank_mentors(
        goal_tags={"interviews"}, threads=[], answers=[], profiles=profiles, tag_records=records
    )
    assert [r.user_id for r in ranked] == [1]  # no evidence at all: not recommended
    assert ranked[0].reason == "2 helpful answers on [interviews]"


def test_time_zone_helpers():
    assert tz_difference(1, -5) == 6 and tz_difference(11, -11) == 2
    assert tz_difference(None, 3) is None
    assert utc_offset_hours("UTC") == 0
    assert utc_offset_hours("Asia/Kolkata") == 5.5
    for bad in ("Not/AZone", "", None, "../../etc/passwd"):
        assert utc_offset_hours(bad) is None


# -- from the database and the index -------------------------------------------------------------


@pytest.fixture
def interviews(app, make_user):
    """A goal about interviews, and a public thread elsewhere that is very much like it."""
    owner = make_user("owner", timezone="Europe/Berlin")
    asker = make_user("asker")
    thread = build_question(
        asker,
        title="How do I prepare for coding interviews at tech companies?",
        body="Algorithms, whiteboard practice, system design rounds?",
        tags=("interviews",),
    )
    unrelated = build_question(
        asker,
        title="Why does my sourdough bread not rise?",
        body="The starter bubbles but the loaf stays flat.",
        tags=("baking",),
    )
    goal = build_goal(
        owner,
        title=INTERVIEW_GOAL["title"],
        tags=INTERVIEW_GOAL["tags"],
        description=INTERVIEW_GOAL["description"],
    )
    return owner, asker, goal, thread, unrelated


def test_similar_thread_answerers_are_recommended_with_a_reason(interviews, make_user):
    owner, asker, goal, thread, unrelated = interviews
    coach = make_user("coach", mentor_available=True)
    baker = make_user("baker", mentor_available=True)
    quiet = make_user("quiet", mentor_available=False)
    helped = build_answer(coach, thread)
    build_answer(quiet, thread)
    build_answer(owner, thread)
    build_answer(baker, unrelated)
    helpful.mark_helpful(asker, helped)
    topical = make_user(
        "topical", mentor_available=True, mentor_topics=["interviews"], timezone="Europe/Paris"
    )
    drain(get_backend())
    ranked = candidates.mentor_candidates(owner, fresh_goal(goal))
    assert names(ranked) == ["coach", "topical"]  # never quiet (unavailable), owner, baker
    coach_item = ranked[0]
    # Users who never set a time zone have UTC: one hour from Berlin in any season.
    assert coach_item["reason"] == "1 helpful answer on [interviews]; 1 h from your time zone"
    assert [a.id for a in coach_item["answers"]] == [helped.id]
    assert (coach_item["helpful"], coach_item["votes"]) == (0, 0)  # those count this goal
    assert ranked[1]["reason"] == "mentors on your topic [interviews]; same time zone as you"
    assert ranked[1]["answers"] == []
    assert topical.id == ranked[1]["user"].id


def test_goal_answerers_come_first_then_recommendations(interviews, make_user):
    owner, asker, goal, thread, _ = interviews
    star = make_user("star", mentor_available=True)
    helpful.mark_helpful(asker, build_answer(star, thread))
    votes.cast_vote(
        make_user("voter"),
        build_answer(star, thread, "A second angle: mock interviews with a friend."),
        1,
    )
    own = build_question(
        owner, title="Which algorithms book should I read first?", tags=("interviews",), goal=goal
    )
    helper = make_user("helper")  # not available: still first, as an answerer on the goal
    helpful.mark_helpful(owner, build_answer(helper, own))
    drain(get_backend())
    ranked = candidates.mentor_candidates(owner, fresh_goal(goal))
    assert names(ranked) == ["helper", "star"]
    assert ranked[0]["reason"].startswith("1 helpful answer and 0 votes on this goal")
    assert ranked[1]["reason"].startswith("1 helpful answer on [interviews]")
    assert len(ranked[1]["answers"]) == 2


def test_time_zone_fit_orders_equal_mentors(interviews, make_user):
    owner, _, goal, _, _ = interviews
    for name, zone in (
        ("far", "America/New_York"),
        ("near", "Europe/Helsinki"),
        ("same", "Europe/Paris"),
        ("odd", "Asia/Kolkata"),
    ):
        make_user(name, mentor_available=True, mentor_topics=["interviews"], timezone=zone)
    ranked = candidates.mentor_candidates(owner, fresh_goal(goal))
    assert names(ranked) == ["same", "near", "odd", "far"]
    reasons = [c["reason"] for c in ranked]
    assert reasons[0].endswith("; same time zone as you")
    assert reasons[1].endswith("; 1 h from your time zone")
    assert reasons[3] == "mentors on your topic [interviews]"


def test_never_the_owner_blocked_either_way_or_unavailable(interviews, make_user):
    owner, _, goal, thread, _ = interviews
    owner_profile = {"mentor_available": True, "mentor_topics": ["interviews"]}
    update_profile(owner, owner_profile)
    blocked_by_owner = make_user("pest", **owner_profile)
    blocks_owner = make_user("grumpy", **owner_profile)
    make_user("resting", mentor_available=False, mentor_topics=["interviews"])
    kept = make_user("kept", **owner_profile)
    for user in (blocked_by_owner, blocks_owner, kept, owner):
        build_answer(user, thread)
    blocks.block(owner, "pest")
    blocks.block(blocks_owner, "owner")
    drain(get_backend())
    assert names(candidates.mentor_candidates(owner, fresh_goal(goal))) == ["kept"]
    blocks.unblock(owner, "pest")
    assert sorted(names(candidates.mentor_candidates(owner, fresh_goal(goal)))) == ["kept", "pest"]


def test_private_content_never_makes_a_candidate(interviews, make_user):
    """An answer under a goal that has closed is no evidence for anyone else's goal."""
    owner, _, goal, _, _ = interviews
    other_owner, its_mentor = make_user("other"), make_user("its-mentor")
    closed_goal = build_goal(
        other_owner, title="Get hired after coding interviews", tags=("careers",)
    )
    secret_thread = build_question(
        other_owner,
        title="How do I prepare for coding interviews at tech companies fast?",
        body="Algorithms, whiteboard practice and system design rounds, in two weeks.",
        tags=("careers",),
        goal=closed_goal,
    )
    insider = make_user("insider", mentor_available=True)
    helpful.mark_helpful(other_owner, build_answer(insider, secret_thread))
    drain(get_backend())
    # While the goal is public its thread is evidence, as it should be.
    assert "insider" in names(candidates.mentor_candidates(owner, fresh_goal(goal)))
    request = mentorship.invite(other_owner, closed_goal, its_mentor.username, "Mentor me?")
    mentorship.accept(its_mentor, request)
    # The index has not caught up yet: the gate alone must keep the thread out.
    assert "insider" not in names(candidates.mentor_candidates(owner, fresh_goal(goal)))
    drain(get_backend())
    assert "insider" not in names(candidates.mentor_candidates(owner, fresh_goal(goal)))
    # The closed goal's own owner still sees answerers on their goal first, as before.
    assert names(candidates.mentor_candidates(other_owner, fresh_goal(closed_goal)))[0] == "insider"


def test_a_broken_index_still_lists_answerers_and_topic_mentors(interviews, make_user, monkeypatch):
    owner, _, goal, _, _ = interviews
    make_user("topical", mentor_available=True, mentor_topics=["interviews"])

    def broken(*args, **kwargs):
        raise OSError("index gone")

    monkeypatch.setattr(type(get_backend()), "similar", broken)
    assert names(candidates.mentor_candidates(owner, fresh_goal(goal))) == ["topical"]


def test_recommendations_take_a_handful_of_queries(interviews, make_user):
    owner, asker, goal, thread, _ = interviews
    for i in range(8):
        user = make_user(f"mentor{i}", mentor_available=True, mentor_topics=["interviews"])
        helpful.mark_helpful(
            asker, build_answer(user, thread, f"Practise daily, tip {i} of many good ones.")
        )
    drain(get_backend())
    goal = fresh_goal(goal)
    statements = []
    engine = db.engine

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        ranked = candidates.mentor_candidates(owner, goal)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(ranked) == 8
    assert len(statements) <= 14, "\n\n".join(statements)


def test_similar_hits_are_cached_until_the_index_changes(interviews, make_user, monkeypatch):
    owner, asker, goal, thread, _ = interviews
    helpful.mark_helpful(asker, build_answer(make_user("coach", mentor_available=True), thread))
    drain(get_backend())
    backend_type = type(get_backend())
    real, calls = backend_type.similar, []

    def counting(self, *args, **kwargs):
        calls.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(backend_type, "similar", counting)
    first = names(candidates.mentor_candidates(owner, fresh_goal(goal)))
    assert names(candidates.mentor_candidates(owner, fresh_goal(goal))) == first == ["coach"]
    assert len(calls) == 1
    build_question(asker, title="Mock interviews with friends: worth it?", tags=("interviews",))
    drain(get_backend())  # the index changed: looked up again
    before = len(calls)  # drain() computed the new question's similar list meanwhile
    candidates.mentor_candidates(owner, fresh_goal(goal))
    assert len(calls) == before + 1

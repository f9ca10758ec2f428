"""Notifications at the service level: which events notify whom, and what readers see later.

Each event creates exactly the expected notification inside its own transaction; nobody is
notified about their own action or by someone they blocked; a notification whose subject
has become hidden (its goal closed since) no longer shows its title or text.
"""

import pytest
from sqlalchemy import select

from app.core.errors import ValidationFailed
from app.extensions import db
from app.models import Follow, Notification, Tag, User
from app.services import (
    helpful,
    mentorship,
    mentorship_lifecycle,
    notification_feed,
    private_space,
    questions,
)
from app.services.blocks import block
from tests.builders import build_answer, build_goal, build_question


def notes(user=None) -> list[tuple]:
    """(recipient username, kind, subject_type, subject_id, actor username) for every row."""
    db.session.expire_all()
    query = select(Notification).order_by(Notification.id)
    if user is not None:
        query = query.where(Notification.user_id == user.id)
    rows = []
    for note in db.session.scalars(query):
        recipient = db.session.get(User, note.user_id).username
        rows.append(
            (
                recipient,
                note.kind,
                note.subject_type,
                note.subject_id,
                note.actor.username if note.actor else None,
            )
        )
    return rows


def clear() -> None:
    db.session.execute(Notification.__table__.delete())
    db.session.commit()


@pytest.fixture
def people(make_user):
    return {name: make_user(name) for name in ("asker", "mentor", "reader", "stranger")}


def follow(user, target_type, target_id) -> None:
    db.session.add(Follow(user_id=user.id, target_type=target_type, target_id=target_id))
    db.session.commit()


# -- each event ---------------------------------------------------------------------------


def test_answer_notifies_the_asker_once(people):
    question = build_question(people["asker"])
    answer = build_answer(people["mentor"], question)
    assert notes() == [("asker", "answer", "answer", answer.id, "mentor")]


def test_own_answer_comment_and_helped_me_notify_nobody(people):
    asker = people["asker"]
    question = build_question(asker)
    answer = build_answer(asker, question)
    questions.add_comment(asker, question=question, body="Adding a detail.")
    questions.add_comment(asker, answer=answer, body="Answering myself here.")
    helpful.mark_helpful(asker, answer)
    assert notes() == []


def test_comments_notify_the_post_owner(people):
    asker, mentor, reader = people["asker"], people["mentor"], people["reader"]
    question = build_question(asker)
    answer = build_answer(mentor, question)
    clear()
    on_question = questions.add_comment(reader, question=question, body="Which conference?")
    on_answer = questions.add_comment(asker, answer=answer, body="Thanks, which shop?")
    assert notes() == [
        ("asker", "comment", "comment", on_question.id, "reader"),
        ("mentor", "comment", "comment", on_answer.id, "asker"),
    ]


def test_helped_me_notifies_the_answerer_once(people):
    asker, mentor = people["asker"], people["mentor"]
    answer = build_answer(mentor, build_question(asker))
    clear()
    helpful.mark_helpful(asker, answer)
    helpful.unmark_helpful(asker, answer)
    helpful.mark_helpful(asker, answer)
    assert notes() == [("mentor", "helpful", "answer", answer.id, "asker")]


def test_invite_and_each_answer_to_it_notify_the_other_party(people):
    asker, mentor = people["asker"], people["mentor"]
    goal = build_goal(asker, title="Run a half marathon in spring")
    first = mentorship.invite(asker, goal, mentor.username, "Would you mentor me?")
    assert notes() == [("mentor", "invite", "request", first.id, "asker")]
    clear()
    mentorship.withdraw(asker, first)
    assert notes() == [("mentor", "invite_withdrawn", "request", first.id, "asker")]
    clear()
    second = mentorship.invite(asker, goal, mentor.username, "Again, please?")
    mentorship.decline(mentor, second)
    assert notes() == [
        ("mentor", "invite", "request", second.id, "asker"),
        ("asker", "invite_declined", "request", second.id, "mentor"),
    ]
    clear()
    third = mentorship.invite(asker, goal, mentor.username, "Third time lucky?")
    mentorship.accept(mentor, third)
    assert notes() == [
        ("mentor", "invite", "request", third.id, "asker"),
        ("asker", "invite_accepted", "request", third.id, "mentor"),
    ]


def test_private_messages_notify_the_other_party(people):
    asker, mentor = people["asker"], people["mentor"]
    goal = build_goal(asker, title="Run a half marathon in spring")
    mentorship.accept(mentor, mentorship.invite(asker, goal, mentor.username, "Please?"))
    clear()
    one = private_space.send_message(asker, goal, "When shall we talk?")
    two = private_space.send_message(mentor, goal, "Tuesday works.")
    assert notes() == [
        ("mentor", "message", "message", one.id, "asker"),
        ("asker", "message", "message", two.id, "mentor"),
    ]
    item = notification_feed.list_notifications(mentor).items[0]
    assert item.text == "asker sent you a private message on “Run a half marathon in spring”."
    assert item.url == f"/goals/{goal.id}#messages"


def test_a_failed_event_leaves_no_notification(people):
    asker, mentor = people["asker"], people["mentor"]
    question = build_question(asker)
    with pytest.raises(ValidationFailed):
        questions.post_answer(mentor, question, "too short")
    with pytest.raises(ValidationFailed):
        questions.add_comment(mentor, question=question, body="x" * 601)
    assert notes() == []


# -- blocks ---------------------------------------------------------------------------------


def test_nothing_from_a_blocked_actor(people):
    asker, mentor, reader = people["asker"], people["mentor"], people["reader"]
    question = build_question(asker)
    answer = build_answer(mentor, question)
    clear()
    block(mentor, asker.username)  # the answerer blocks the asker
    helpful.mark_helpful(asker, answer)  # allowed, but the answerer hears nothing of it
    follow(mentor, "question", question.id)
    build_answer(asker, question, "Answering my own question for the record, in detail.")
    questions.add_comment(reader, answer=answer, body="Good point!")
    assert [(r, k, a) for r, k, _, _, a in notes()] == [("mentor", "comment", "reader")]


# -- following ------------------------------------------------------------------------------


def test_followers_of_question_goal_or_tag_hear_once_per_answer(people, make_user):
    asker, mentor, reader, stranger = (people[n] for n in ("asker", "mentor", "reader", "stranger"))
    third = make_user("third")
    goal = build_goal(asker, title="Run a half marathon in spring", tags=("running",))
    question = build_question(asker, goal=goal, tags=("running", "shoes"))
    tag_ids = {t.name: t.id for t in db.session.scalars(select(Tag))}
    follow(reader, "question", question.id)
    follow(reader, "goal", goal.id)
    follow(reader, "tag", tag_ids["running"])  # three reasons, one notification
    follow(stranger, "tag", tag_ids["shoes"])
    follow(third, "goal", goal.id)
    follow(mentor, "tag", tag_ids["running"])  # the answerer: nothing about their own answer
    follow(asker, "question", question.id)  # the asker gets "answer", not both
    answer = build_answer(mentor, question)
    assert sorted(notes()) == sorted(
        [
            ("asker", "answer", "answer", answer.id, "mentor"),
            ("reader", "followed_answer", "answer", answer.id, "mentor"),
            ("stranger", "followed_answer", "answer", answer.id, "mentor"),
            ("third", "followed_answer", "answer", answer.id, "mentor"),
        ]
    )
    item = notification_feed.list_notifications(reader).items[0]
    assert item.text == (
        "mentor answered “How do I write a conference abstract?”, which you follow."
    )
    assert item.url == f"/questions/{question.id}#answer-{answer.id}"


def test_followers_who_cannot_see_the_answer_hear_nothing(people):
    asker, mentor, reader = people["asker"], people["mentor"], people["reader"]
    goal = build_goal(asker, title="Run a half marathon in spring", tags=("running",))
    question = build_question(asker, goal=goal)
    follow(reader, "goal", goal.id)
    follow(reader, "question", question.id)
    mentorship.accept(mentor, mentorship.invite(asker, goal, mentor.username, "Please?"))
    clear()
    answer = build_answer(mentor, question, "Private advice: start with three runs a week.")
    assert notes() == [("asker", "answer", "answer", answer.id, "mentor")]


def test_private_comment_on_a_public_answer_skips_its_outsider_author(people):
    """A public answerer whose goal closed since cannot see comments written in private."""
    asker, mentor, reader = people["asker"], people["mentor"], people["reader"]
    goal = build_goal(asker, title="Run a half marathon in spring")
    question = build_question(asker, goal=goal)
    public_answer = build_answer(reader, question)
    mentorship.accept(mentor, mentorship.invite(asker, goal, mentor.username, "Please?"))
    clear()
    questions.add_comment(mentor, answer=public_answer, body="I disagree with this one.")
    assert notes() == []


# -- reading: the gate at read time ---------------------------------------------------------


def test_a_closed_goal_hides_title_and_actor_from_a_non_participant(people):
    asker, mentor, reader = people["asker"], people["mentor"], people["reader"]
    goal = build_goal(asker, title="Run a half marathon in spring")
    question = build_question(asker, title="Which shoes for a first half marathon?", goal=goal)
    answer = build_answer(reader, question)
    comment = questions.add_comment(asker, answer=answer, body="Thanks, which shop?")
    helpful.mark_helpful(asker, answer)
    before = notification_feed.list_notifications(reader)
    assert [i.kind for i in before.items] == ["helpful", "comment"]
    assert all("Which shoes" in i.text and i.visible for i in before.items)
    mentorship.accept(mentor, mentorship.invite(asker, goal, mentor.username, "Please?"))
    after = notification_feed.list_notifications(reader)
    assert after.total == 2 and notification_feed.unread_count(reader) == 2
    for item in after.items:
        assert not item.visible and item.url is None and item.actor is None
        assert item.subject_id is None and item.text == notification_feed.HIDDEN_TEXT
        assert "Which shoes" not in item.text and "asker" not in item.text
    # The owner still sees everything about their own thread.
    owner_items = notification_feed.list_notifications(asker).items
    assert [i.kind for i in owner_items] == ["invite_accepted", "answer"]
    assert owner_items[1].visible and "Which shoes" in owner_items[1].text
    assert comment.id  # the comment itself still exists


def test_invite_text_names_the_goal_only_while_visible(people, make_user):
    asker, mentor = people["asker"], people["mentor"]
    other = make_user("othermentor")
    goal = build_goal(asker, title="Run a half marathon in spring")
    request = mentorship.invite(asker, goal, mentor.username, "Please?")
    mentorship.decline(mentor, request)
    mentorship.accept(other, mentorship.invite(asker, goal, other.username, "You then?"))
    item = notification_feed.list_notifications(mentor).items[0]
    assert item.kind == "invite" and item.visible
    assert item.text == "asker invited you to mentor a goal."
    assert item.url == f"/mentorship/requests/{request.id}"
    mine = notification_feed.list_notifications(asker).items
    assert [i.text for i in mine] == [
        "othermentor accepted your invite to mentor “Run a half marathon in spring”.",
        "mentor declined your invite to mentor “Run a half marathon in spring”.",
    ]


def test_anonymous_asker_is_not_named_to_the_answerer(people):
    asker, mentor = people["asker"], people["mentor"]
    question = questions.ask_question(
        asker,
        {
            "title": "How do I ask for a raise?",
            "body": "Details.",
            "tags": ["career"],
            "anonymous": True,
        },
    )
    answer = build_answer(mentor, question)
    helpful.mark_helpful(asker, answer)
    questions.add_comment(asker, answer=answer, body="Thanks, that helps.")
    items = notification_feed.list_notifications(mentor).items
    assert [i.kind for i in items] == ["comment", "helpful"]
    for item in items:
        assert item.actor is None and item.actor_name == notification_feed.ANONYMOUS
        assert "asker" not in item.text and item.text.startswith("anonymous protégé")


# -- unread count and mark read -------------------------------------------------------------


def test_mark_read_all_or_own_ids_only(people):
    asker, mentor, reader = people["asker"], people["mentor"], people["reader"]
    question = build_question(asker)
    build_answer(mentor, question)
    build_answer(reader, question, "Another view: write the abstract last, after the talk.")
    other = build_answer(asker, build_question(mentor, title="How do I prepare my slides?"))
    mine = [
        n.id
        for n in db.session.scalars(
            select(Notification).where(Notification.user_id == asker.id).order_by(Notification.id)
        )
    ]
    theirs = db.session.scalar(
        select(Notification.id).where(
            Notification.user_id == mentor.id, Notification.subject_id == other.id
        )
    )
    assert notification_feed.unread_count(asker) == 2
    for bad in (
        [theirs],
        [mine[0], theirs],
        [999_999],
        "1",
        [True],
        ["1"],
        [1.5],
        {"a": 1},
        [0],
        [-3],
        [2**40],
        list(range(1, 102)),
    ):
        with pytest.raises(ValidationFailed):
            notification_feed.mark_read(asker, bad)
    assert notification_feed.unread_count(asker) == 2
    assert notification_feed.unread_count(mentor) == 1
    assert notification_feed.mark_read(asker, [mine[0]]) == 1
    assert notification_feed.mark_read(asker, [mine[0]]) == 1  # idempotent
    assert notification_feed.mark_read(asker, []) == 1  # nothing given: nothing changes
    page = notification_feed.list_notifications(asker, unread_only=True)
    assert [i.id for i in page.items] == [mine[1]]
    assert notification_feed.mark_read(asker) == 0
    assert notification_feed.unread_count(mentor) == 1  # someone else's stay unread


def test_list_is_newest_first_and_paginated(people):
    asker = people["asker"]
    question = build_question(asker)
    answers = [
        build_answer(people[name], question, f"Answer number {i}: practise out loud.")
        for i, name in enumerate(("mentor", "reader", "stranger"))
    ]
    first = notification_feed.list_notifications(asker, page=1, per_page=2)
    second = notification_feed.list_notifications(asker, page=2, per_page=2)
    assert first.total == 3 and [i.subject_id for i in first.items + second.items] == [
        a.id for a in reversed(answers)
    ]


def test_feed_and_email_agree_on_what_a_former_mentor_may_read(people, make_user):
    """Both readers load the subject through one rule: they can never disagree."""
    from app.services import email_content

    asker, mentor = people["asker"], people["mentor"]
    goal = build_goal(asker, title="Learn to sail a dinghy")
    mentorship.accept(mentor, mentorship.invite(asker, goal, mentor.username, "Please?"))
    clear()
    private_space.send_message(asker, goal, "zqxsailone: ready for Saturday?")
    private_space.send_message(mentor, goal, "zqxsailtwo: yes, bring gloves.")
    mentorship_lifecycle.release(mentor, goal)
    later = make_user("later")
    mentorship.accept(later, mentorship.invite(asker, goal, later.username, "You then?"))
    db.session.expire_all()
    for user, readable in ((mentor, False), (asker, True)):
        for note in db.session.scalars(
            select(Notification).where(
                Notification.user_id == user.id, Notification.kind == "message"
            )
        ):
            feed = notification_feed.describe(note, user)
            mail = email_content.describe(note, user)
            assert feed.visible is readable and (mail is not None) is readable
            if not readable:
                assert "zqxsail" not in feed.text and "sail" not in feed.text


# -- @mentions ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Ask @reader and @Stranger, or @reader again.", ["reader", "stranger"]),
        ("mail me at someone@reader.org or see https://x.org/@reader", []),
        ("@ab is too short, @" + "x" * 31 + " too long; (@mentor)", ["mentor"]),
        ("", []),
        (" ".join(f"@user{i:02d}" for i in range(15)), [f"user{i:02d}" for i in range(10)]),
    ],
)
def test_mentioned_usernames(text, expected):
    from app.services.notification_events import mentioned_usernames

    assert mentioned_usernames(text) == expected


def test_mentions_in_answers_and_comments_notify_once_and_respect_blocks(people, make_user):
    asker, mentor, reader, stranger = (people[n] for n in ("asker", "mentor", "reader", "stranger"))
    question = build_question(asker)
    follow(reader, "question", question.id)
    block(stranger, "mentor")  # stranger blocked mentor: no mention from them
    answer = build_answer(mentor, question, "Ask @reader, @asker, @stranger and @nobody here.")
    assert sorted(notes()) == sorted(
        [
            ("asker", "answer", "answer", answer.id, "mentor"),  # one notification, not two
            ("reader", "mention", "answer", answer.id, "mentor"),  # mention wins over follow
        ]
    )
    clear()
    comment = questions.add_comment(reader, answer=answer, body="Thanks @asker and @mentor!")
    assert sorted(notes()) == sorted(
        [
            ("mentor", "comment", "comment", comment.id, "reader"),
            ("asker", "mention", "comment", comment.id, "reader"),
        ]
    )
    item = notification_feed.list_notifications(asker).items[0]
    assert item.text == (
        "reader mentioned you in a comment on “How do I write a conference abstract?”."
    )


def test_a_mention_on_a_closed_goal_does_not_reach_outsiders(people):
    asker, mentor = people["asker"], people["mentor"]
    goal = build_goal(asker, title="Run a half marathon in spring")
    question = build_question(asker, goal=goal)
    mentorship.accept(mentor, mentorship.invite(asker, goal, mentor.username, "Please?"))
    clear()
    questions.add_comment(mentor, question=question, body="Maybe @reader knows?")
    assert [n[0] for n in notes()] == ["asker"]  # the owner's "comment", nothing for reader

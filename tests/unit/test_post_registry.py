"""The post-type registry (app/core/posts.py): every type's url, place, flags and gate."""

import pytest
from flask import url_for

from app.core.posts import (
    ANSWER,
    COMMENT,
    GOAL,
    INDEXED,
    POST_TYPES,
    QUESTION,
    can_view_post,
    hidden_by_moderators,
    is_public_post,
    parent_of,
    post_type_of,
    thread_of,
    url_of,
)
from app.extensions import db
from app.models.moderation import FLAG_TARGETS
from app.search.indexer import BUILDERS
from app.services import mentorship, questions
from app.services.post_views import shown_for
from tests.builders import build_answer, build_goal, build_question


@pytest.fixture
def thread(make_user):
    """A goal with a question, an answer and a comment on each, by alice; bob answers."""
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    goal = build_goal(alice)
    question = build_question(alice, goal=goal)
    answer = build_answer(bob, question)
    on_question = questions.add_comment(bob, question=question, body="Which conference?")
    on_answer = questions.add_comment(alice, answer=answer, body="Thanks, trying it.")
    return {
        "people": (alice, bob, carol),
        GOAL: goal,
        QUESTION: question,
        ANSWER: answer,
        "on_question": on_question,
        COMMENT: on_answer,
    }


def test_every_type_is_registered_once_with_its_model():
    assert list(POST_TYPES) == [GOAL, QUESTION, ANSWER, COMMENT]
    assert all(post_type.name == name for name, post_type in POST_TYPES.items())
    assert len({post_type.model for post_type in POST_TYPES.values()}) == 4


def test_flags_match_what_the_product_does():
    indexed = {name for name, t in POST_TYPES.items() if t.indexed}
    assert indexed == {GOAL, QUESTION, ANSWER} == set(INDEXED) == set(BUILDERS)
    assert {name for name, t in POST_TYPES.items() if t.flaggable} == set(FLAG_TARGETS)
    assert {name for name, t in POST_TYPES.items() if t.votable} == {QUESTION, ANSWER}
    assert POST_TYPES[COMMENT].doc_type is None and POST_TYPES[GOAL].doc_type == GOAL


def test_urls_parents_threads_and_authors(thread):
    alice, bob, _ = thread["people"]
    goal, question, answer = thread[GOAL], thread[QUESTION], thread[ANSWER]
    on_question, on_answer = thread["on_question"], thread[COMMENT]
    assert url_of(goal) == f"/goals/{goal.id}"
    assert url_of(question) == f"/questions/{question.id}"
    assert url_of(answer) == f"/questions/{question.id}#answer-{answer.id}"
    assert url_of(on_question) == f"/questions/{question.id}#comment-{on_question.id}"
    assert url_of(on_answer) == f"/questions/{question.id}#comment-{on_answer.id}"

    assert parent_of(goal) is None and parent_of(question) is goal
    assert parent_of(answer) is question
    assert parent_of(on_question) is question and parent_of(on_answer) is answer
    assert thread_of(goal) is None
    assert all(thread_of(p) is question for p in (question, answer, on_question, on_answer))
    assert thread_of(object()) is None and parent_of(object()) is None

    authors = {GOAL: alice, QUESTION: alice, ANSWER: bob, COMMENT: alice}
    for name, author in authors.items():
        post = thread[name]
        assert post_type_of(post) is POST_TYPES[name]
        assert POST_TYPES[name].author_id(post) == author.id


def test_urls_are_the_pages_routes(app, thread):
    with app.test_request_context():
        goal, question = thread[GOAL], thread[QUESTION]
        assert url_of(goal) == url_for("goals.show", goal_id=goal.id)
        assert url_of(question) == url_for("questions.show", question_id=question.id)


def test_can_view_on_a_closed_goal_owner_and_mentor_yes_outsider_no(thread):
    alice, bob, carol = thread["people"]
    mentorship.accept(bob, mentorship.invite(alice, thread[GOAL], "bob", "Would you mentor me?"))
    db.session.expire_all()
    for name in (GOAL, QUESTION, ANSWER, COMMENT):
        post = thread[name]
        assert POST_TYPES[name].can_view(alice, post), name
        assert POST_TYPES[name].can_view(bob, post), name
        assert not POST_TYPES[name].can_view(carol, post), name
        assert not POST_TYPES[name].can_view(None, post), name
        assert can_view_post(alice, post) and not can_view_post(carol, post)
        assert not is_public_post(post)
    assert not can_view_post(alice, object())


def test_open_posts_are_public_and_hiding_reaches_down(thread):
    assert all(is_public_post(thread[name]) for name in POST_TYPES)
    assert not any(hidden_by_moderators(thread[name]) for name in POST_TYPES)
    question = thread[QUESTION]
    question.hidden_at = question.created_at
    db.session.commit()
    assert not hidden_by_moderators(thread[GOAL])
    assert all(hidden_by_moderators(thread[n]) for n in (QUESTION, ANSWER, COMMENT))
    # Hidden by moderators is not private: still flaggable-public content for admins.
    assert is_public_post(question)


def test_shown_for_hides_an_anonymous_asker_and_a_closed_link(thread):
    alice, bob, carol = thread["people"]
    asked = questions.ask_question(
        alice,
        {"title": "Anonymous: how do I ask?", "body": "Any tips?", "tags": ["speaking"]}
        | {"anonymous": True},
    )
    asked.answered_in_id = thread[QUESTION].id
    db.session.commit()
    comment = questions.add_comment(alice, question=asked, body="Still unsure.")
    mentorship.accept(bob, mentorship.invite(alice, thread[GOAL], "bob", "Would you mentor me?"))
    db.session.expire_all()
    to_carol = shown_for(carol, [asked, comment, thread[ANSWER]])
    assert [s.author for s in to_carol] == [False, False, True]
    assert to_carol[0].answered_in is None  # the linked thread is closed to carol
    to_alice = shown_for(alice, [asked])
    assert to_alice[0].author and to_alice[0].answered_in.id == thread[QUESTION].id

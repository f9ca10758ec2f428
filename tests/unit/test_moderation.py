"""Moderation rules at the service level: flagging, hiding, dismissing, suspending, the log."""

import pytest

from app.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.core.visibility import can_view_answer, can_view_comment, can_view_goal, can_view_question
from app.core.visible_queries import visible_answers, visible_goals, visible_questions
from app.extensions import db
from app.models import ApiToken, Question, User
from app.models.moderation import Flag, ModerationAction
from app.services import (
    accounts,
    candidates,
    mentorship,
    moderation,
    moderation_queue,
    questions,
)
from app.services.tokens import issue_token, user_for_token
from tests.builders import build_answer, build_goal, build_question
from tests.conftest import PASSWORD
from tests.helpers import count


@pytest.fixture
def people(make_user):
    admin = make_user("admin")
    accounts.set_role("admin", "admin")
    return admin, make_user("alice"), make_user("bob")


def fresh(model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


def test_flag_refuses_bad_input_and_changes_nothing(people):
    _admin, alice, bob = people
    question = build_question(alice)
    cases = [
        (("nonsense", question.id, "spam", ""), ValidationFailed),
        (("question", question.id, "because", ""), ValidationFailed),
        (("question", question.id, None, ""), ValidationFailed),
        (("question", question.id, "spam", "x" * 501), ValidationFailed),
        (("question", question.id, "spam", 42), ValidationFailed),
        (("question", question.id, "spam", "bad\x00byte"), ValidationFailed),
        (("question", 999_999, "spam", ""), NotFound),
        (("question", "1", "spam", ""), NotFound),
        (("question", True, "spam", ""), NotFound),
        (("question", -1, "spam", ""), NotFound),
        (("question", 2**40, "spam", ""), NotFound),
    ]
    for args, error in cases:
        with pytest.raises(error):
            moderation.flag(bob, *args)
    with pytest.raises(Forbidden, match="own post"):
        moderation.flag(alice, "question", question.id, "spam")
    with pytest.raises(Forbidden):
        moderation.flag(None, "question", question.id, "spam")
    assert count(Flag) == 0


def test_flag_twice_is_a_conflict(people):
    _, alice, bob = people
    question = build_question(alice)
    record = moderation.flag(bob, "question", question.id, "spam", "  selling pills  ")
    assert record.details == "selling pills" and record.status == "open"
    with pytest.raises(Conflict, match="already flagged"):
        moderation.flag(bob, "question", question.id, "abuse")
    assert count(Flag) == 1


def test_private_mentorship_content_cannot_be_flagged(people, make_user):
    admin, alice, bob = people
    goal = build_goal(alice)
    mentorship.accept(bob, mentorship.invite(alice, goal, "bob", "Would you mentor me?"))
    question = build_question(alice, goal=goal)  # written while closed: private
    answer = build_answer(bob, question)
    with pytest.raises(Forbidden, match="block"):
        moderation.flag(alice, "answer", answer.id, "abuse")
    with pytest.raises(Forbidden, match="block"):
        moderation.flag(bob, "goal", goal.id, "abuse")
    # Outsiders and admins do not learn it exists; admins cannot hide it either.
    with pytest.raises(NotFound):
        moderation.flag(make_user("carol"), "question", question.id, "spam")
    with pytest.raises(NotFound):
        moderation.flag(admin, "question", question.id, "spam")
    with pytest.raises(NotFound):
        moderation.hide(admin, "answer", answer.id)
    assert count(Flag) == 0


def test_hide_resolves_flags_logs_and_hides_from_everyone_but_admin_and_author(people, make_user):
    admin, alice, bob = people
    carol = make_user("carol")
    question = build_question(alice)
    moderation.flag(bob, "question", question.id, "spam")
    moderation.flag(carol, "question", question.id, "abuse", "rude")
    queue = moderation_queue.open_flags(admin)
    assert queue.total == 1
    item = queue.items[0]
    assert (item.count, item.reasons, item.author.username) == (2, {"spam": 1, "abuse": 1}, "alice")
    assert item.url == f"/questions/{question.id}" and item.excerpt == question.title

    moderation.hide(admin, "question", question.id, "spam wave")
    question = fresh(Question, question.id)
    assert question.hidden_at is not None
    assert (
        count(Flag, Flag.status == "actioned") == 2
        and moderation_queue.open_flags(admin).total == 0
    )
    assert [
        (a.action, a.target_type, a.reason) for a in moderation_queue.audit_log(admin).items
    ] == [("hide", "question", "spam wave")]
    for viewer in (None, bob):
        assert not can_view_question(viewer, question)
    assert can_view_question(alice, question) and can_view_question(admin, question)
    for viewer in (None, bob, alice, admin):  # lists leave it out for everyone
        assert (
            question.id
            not in db.session.scalars(
                visible_questions(viewer).with_only_columns(Question.id)
            ).all()
        )
    with pytest.raises(Conflict, match="already hidden"):
        moderation.hide(admin, "question", question.id)
    with pytest.raises(NotFound):  # like a missing post: no "already hidden" oracle
        moderation.flag(make_user("dave"), "question", question.id, "spam")
    assert moderation_queue.hidden_posts(admin).total == 1

    moderation.unhide(admin, "question", question.id)
    assert can_view_question(None, fresh(Question, question.id))
    with pytest.raises(Conflict, match="not hidden"):
        moderation.unhide(admin, "question", question.id)
    assert count(ModerationAction) == 2 and moderation_queue.hidden_posts(admin).total == 0


def test_hiding_cascades_down_the_thread(people):
    admin, alice, bob = people
    goal = build_goal(alice)
    question = build_question(alice, goal=goal)
    answer = build_answer(bob, question)
    comment = questions.add_comment(bob, answer=answer, body="See also the docs.")
    moderation.hide(admin, "goal", goal.id)
    db.session.expire_all()
    for check, item in (
        (can_view_goal, goal),
        (can_view_question, question),
        (can_view_answer, answer),
        (can_view_comment, comment),
    ):
        assert not check(None, item) and not check(bob, item)
        assert check(admin, item)
    assert can_view_question(alice, question)  # the goal's author
    assert not db.session.scalars(visible_goals(None)).all()
    assert not db.session.scalars(visible_answers(admin)).all()
    moderation.unhide(admin, "goal", goal.id)
    db.session.expire_all()
    assert can_view_comment(None, comment) and can_view_answer(bob, answer)


def test_hiding_an_answer_keeps_the_answer_count_honest(people):
    admin, alice, bob = people
    question = build_question(alice)
    answer = build_answer(bob, question)
    assert fresh(Question, question.id).answer_count == 1
    moderation.hide(admin, "answer", answer.id)
    assert fresh(Question, question.id).answer_count == 0
    assert can_view_answer(bob, answer) and not can_view_answer(alice, answer)
    moderation.unhide(admin, "answer", answer.id)
    assert fresh(Question, question.id).answer_count == 1


def test_admin_actions_are_404_for_everyone_else(people):
    _admin, alice, bob = people
    question = build_question(alice)
    moderation.flag(bob, "question", question.id, "spam")
    for user in (None, alice, bob):
        for call in (
            lambda u: moderation.hide(u, "question", question.id),
            lambda u: moderation.unhide(u, "question", question.id),
            lambda u: moderation.dismiss(u, "question", question.id),
            lambda u: moderation.suspend(u, "bob", "spam"),
            lambda u: moderation.unsuspend(u, "bob"),
            lambda u: moderation_queue.open_flags(u),
            lambda u: moderation_queue.hidden_posts(u),
            lambda u: moderation_queue.audit_log(u),
        ):
            with pytest.raises(NotFound):
                call(user)
    assert count(ModerationAction) == 0 and fresh(Question, question.id).hidden_at is None


def test_dismiss(people):
    admin, alice, bob = people
    question = build_question(alice)
    record = moderation.flag(bob, "question", question.id, "off_topic")
    with pytest.raises(NotFound):
        moderation.dismiss_flag(admin, 999_999)
    with pytest.raises(ValidationFailed):
        moderation.dismiss(admin, "post", question.id)
    assert moderation.dismiss_flag(admin, record.id, "fine as it is") == 1
    assert fresh(Flag, record.id).status == "dismissed"
    with pytest.raises(Conflict):
        moderation.dismiss_flag(admin, record.id)
    with pytest.raises(Conflict, match="no open flags"):
        moderation.dismiss(admin, "question", question.id)
    assert can_view_question(None, fresh(Question, question.id))
    assert [a.action for a in moderation_queue.audit_log(admin).items] == ["dismiss"]


def test_suspend_rules_and_effects(people, make_user):
    admin, alice, bob = people
    plain, _ = issue_token(bob)
    version = bob.session_version
    for args, error in (
        ((admin, "bob", ""), ValidationFailed),
        ((admin, "bob", "   "), ValidationFailed),
        ((admin, "bob", "x" * 501), ValidationFailed),
        ((admin, "nobody", "spam"), NotFound),
        ((admin, "admin", "spam"), Forbidden),
    ):
        with pytest.raises(error):
            moderation.suspend(*args)
    make_user("admin2")
    accounts.set_role("admin2", "admin")
    with pytest.raises(Forbidden, match="Admins"):
        moderation.suspend(admin, "admin2", "power struggle")
    assert count(ModerationAction) == 0

    moderation.suspend(admin, "BOB", "Repeated spam")
    bob = fresh(User, bob.id)
    assert bob.is_suspended and bob.suspended_reason == "Repeated spam"
    assert bob.session_version == version + 1
    assert user_for_token(plain) is None
    assert count(ApiToken, ApiToken.revoked_at.is_(None)) == 0
    assert not accounts.account_usable(bob)
    with pytest.raises(Conflict, match="already suspended"):
        moderation.suspend(admin, "bob", "again")
    # Sign-in says why, but only after the password checked out.
    assert accounts.authenticate("bob", "wrong password!") is None
    with pytest.raises(Forbidden, match="Repeated spam"):
        accounts.authenticate("bob", PASSWORD)
    with pytest.raises(Forbidden):
        moderation.flag(bob, "question", build_question(alice).id, "spam")

    moderation.unsuspend(admin, "bob", "appeal accepted")
    assert accounts.authenticate("bob", PASSWORD).id == bob.id
    with pytest.raises(Conflict, match="not suspended"):
        moderation.unsuspend(admin, "bob")
    assert [a.action for a in moderation_queue.audit_log(admin).items] == ["unsuspend", "suspend"]


def test_deleted_accounts_fail_sign_in_generically(people):
    _, alice, _ = people
    alice.deleted_at = alice.created_at
    db.session.commit()
    assert accounts.authenticate("alice", PASSWORD) is None
    assert not accounts.account_usable(alice)


def test_flagged_post_that_turned_private_shows_nothing_in_the_queue(people):
    admin, alice, bob = people
    goal = build_goal(alice)
    question = build_question(alice, goal=goal)
    moderation.flag(bob, "question", question.id, "spam")
    mentorship.accept(bob, mentorship.invite(alice, goal, "bob", "Would you mentor me?"))
    item = moderation_queue.open_flags(admin).items[0]
    assert item.target is None and item.excerpt == "" and item.author is None
    assert moderation.dismiss(admin, "question", question.id) == 1


def test_lists_paginate(people, make_user):
    admin, alice, _ = people
    for n in range(3):
        question = build_question(alice, title=f"Question number {n} about abstracts")
        moderation.flag(make_user(f"reporter{n}"), "question", question.id, "spam")
    page = moderation_queue.open_flags(admin, page=2, per_page=2)
    assert page.total == 3 and len(page.items) == 1


def test_hidden_answers_and_suspended_users_are_no_mentor_candidates(people, make_user):
    admin, alice, bob = people
    carol = make_user("carol")
    goal = build_goal(alice)
    question = build_question(alice, goal=goal)
    hidden = build_answer(bob, question)
    build_answer(carol, question)
    names = {c["user"].username for c in candidates.mentor_candidates(alice, goal)}
    assert {"bob", "carol"} <= names
    moderation.hide(admin, "answer", hidden.id)
    moderation.suspend(admin, "carol", "spam")
    names = {c["user"].username for c in candidates.mentor_candidates(alice, goal)}
    assert "bob" not in names and "carol" not in names

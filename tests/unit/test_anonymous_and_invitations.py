"""Anonymous questions (who may see the asker) and invitations to answer: service rules."""

import pytest
from sqlalchemy import func, select

from app.core.asker import asker_view, can_see_asker, reveals_asker
from app.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.core.visibility import get_question
from app.extensions import db
from app.models import AnswerInvitation, Goal, Notification, Question
from app.models.users import ROLE_ADMIN
from app.search.indexer import answer_document, question_document
from app.services import blocks, questions
from app.services.invitations import MAX_INVITATIONS, invite_to_answer, list_invitations
from tests.builders import ANSWER_TEXT, build_answer, build_goal, build_question


def ask_anonymously(owner, title="How do I ask for a raise quietly?", **extra):
    return questions.ask_question(
        owner,
        {"title": title, "body": "Details here.", "tags": ["career"], "anonymous": True, **extra},
    )


@pytest.fixture
def people(make_user):
    asker, other, admin = make_user("hiddenzq"), make_user("reader"), make_user("boss")
    admin.role = ROLE_ADMIN
    db.session.commit()
    return asker, other, admin


def test_only_the_asker_and_admins_see_who_asked(people):
    asker, other, admin = people
    question = ask_anonymously(asker)
    assert question.anonymous is True
    assert can_see_asker(asker, question) and can_see_asker(admin, question)
    assert not can_see_asker(None, question) and not can_see_asker(other, question)
    assert [asker_view(u, question) for u in (None, other, asker, admin)] == [
        "hidden",
        "hidden",
        "self",
        "admin",
    ]
    assert reveals_asker(other, question, asker.id) and not reveals_asker(other, question, other.id)
    public = build_question(asker, title="A question asked under my own name")
    assert public.anonymous is False and can_see_asker(None, public)
    assert asker_view(None, public) == "public"


def test_anonymous_must_be_a_boolean_and_not_under_a_goal(people):
    asker, _, _ = people
    with pytest.raises(ValidationFailed) as error:
        ask_anonymously(asker, goal_id=build_goal(asker).id)
    assert "anonymous" in error.value.fields
    with pytest.raises(ValidationFailed) as error:
        ask_anonymously(asker, anonymous="yes")
    assert "anonymous" in error.value.fields
    question = ask_anonymously(asker)
    with pytest.raises(ValidationFailed) as error:
        questions.edit_question(asker, question, {"anonymous": False})
    assert "anonymous" in error.value.fields
    assert db.session.scalar(select(func.count()).select_from(Question)) == 1


def test_profile_lists_leave_anonymous_questions_and_self_answers_out(people):
    asker, other, admin = people
    hidden = ask_anonymously(asker)
    shown = build_question(asker, title="A question asked under my own name")
    own_answer = build_answer(asker, hidden, "Answering my own anonymous question here.")
    answer = build_answer(asker, build_question(other, title="Someone else's question"))
    for viewer in (None, other):
        page = questions.list_questions(viewer, owner=asker)
        assert [q.id for q in page.items] == [shown.id] and page.total == 1
        answers = questions.list_answers(viewer, owner=asker)
        assert [a.id for a in answers.items] == [answer.id] and answers.total == 1
    for viewer in (asker, admin):
        page = questions.list_questions(viewer, owner=asker)
        assert {q.id for q in page.items} == {hidden.id, shown.id} and page.total == 2
        answers = questions.list_answers(viewer, owner=asker)
        assert {a.id for a in answers.items} == {answer.id, own_answer.id}
    # Site-wide lists still show the question itself (without naming the asker).
    assert hidden.id in {q.id for q in questions.list_questions(None).items}


def test_search_documents_have_no_author_for_the_anonymous_asker(people):
    asker, other, _ = people
    hidden = ask_anonymously(asker)
    own = build_answer(asker, hidden, "Answering my own anonymous question here.")
    theirs = build_answer(other, hidden)
    assert question_document(hidden).author == ""
    assert answer_document(own).author == ""
    assert answer_document(theirs).author == "reader"
    assert (
        question_document(build_question(asker, title="A named question of mine")).author
        == "hiddenzq"
    )


# -- invitations ------------------------------------------------------------------------------


@pytest.fixture
def crowd(make_user):
    return [make_user(f"mentor{i}") for i in range(1, 8)]


def invitation_count() -> int:
    db.session.commit()
    return db.session.scalar(select(func.count()).select_from(AnswerInvitation))


def notes_for(user) -> list[Notification]:
    db.session.commit()
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user.id)))


def test_inviting_notifies_each_invitee_once(people, crowd):
    asker, _, _ = people
    question = build_question(asker)
    created = invite_to_answer(asker, question, ["Mentor1", "@mentor2", "mentor1"])
    assert [i.user.username for i in created] == ["mentor1", "mentor2"]
    for user in crowd[:2]:
        [note] = notes_for(user)
        assert (note.kind, note.subject_type, note.subject_id, note.actor_id) == (
            "answer_invitation",
            "question",
            question.id,
            asker.id,
        )
    # Idempotent: inviting again creates nothing and notifies nobody twice.
    assert invite_to_answer(asker, question, ["mentor2", "mentor3"])[0].user.username == ("mentor3")
    assert len(notes_for(crowd[1])) == 1 and invitation_count() == 3
    assert [i.user.username for i in list_invitations(question)] == [
        "mentor1",
        "mentor2",
        "mentor3",
    ]


def test_at_most_five_invitations_per_question(people, crowd):
    asker, _, _ = people
    question = build_question(asker)
    with pytest.raises(ValidationFailed) as error:
        invite_to_answer(asker, question, [u.username for u in crowd[:6]])
    assert "usernames" in error.value.fields and invitation_count() == 0
    invite_to_answer(asker, question, [u.username for u in crowd[:4]])
    with pytest.raises(ValidationFailed) as error:
        invite_to_answer(asker, question, ["mentor5", "mentor6"])
    assert "1 more" in error.value.message
    invite_to_answer(asker, question, ["mentor5"])
    assert invitation_count() == MAX_INVITATIONS
    invite_to_answer(asker, question, ["mentor5"])  # already invited: still fine
    assert not notes_for(crowd[5])


def test_bad_invitations_are_refused_with_reasons(people, crowd):
    asker, other, _ = people
    question = build_question(asker)
    with pytest.raises(ValidationFailed) as error:
        invite_to_answer(asker, question, ["mentor1", "ghost_one", "ghost-two"])
    assert "ghost_one" in error.value.message and "ghost-two" in error.value.message
    with pytest.raises(ValidationFailed):
        invite_to_answer(asker, question, ["hiddenzq"])
    for bad in ([], "mentor1", [""], [1], None):
        with pytest.raises(ValidationFailed):
            invite_to_answer(asker, question, bad)
    blocks.block(crowd[0], "hiddenzq")  # the invitee blocked the asker
    blocks.block(asker, "mentor2")  # the asker blocked the invitee
    for name in ("mentor1", "mentor2"):
        with pytest.raises(ValidationFailed) as error:
            invite_to_answer(asker, question, [name, "mentor3"])
        assert name in error.value.message
    with pytest.raises(Forbidden):
        invite_to_answer(other, question, ["mentor3"])
    assert invitation_count() == 0 and not notes_for(crowd[2])


def test_only_public_questions_take_invitations(people, crowd):
    asker, other, _ = people
    goal = build_goal(asker)
    question = build_question(asker, goal=goal)
    row = db.session.get(Goal, goal.id)
    row.visibility, row.mentor_id = "closed", crowd[6].id
    db.session.commit()
    with pytest.raises(NotFound):
        get_question(other, question.id)  # others never reach the service: 404
    with pytest.raises(Conflict):
        invite_to_answer(asker, question, ["mentor1"])
    assert invitation_count() == 0


def test_anonymous_questions_can_invite_too(people, crowd):
    asker, _, _ = people
    question = ask_anonymously(asker)
    invite_to_answer(asker, question, ["mentor1"])
    assert notes_for(crowd[0])[0].subject_id == question.id
    assert questions.post_answer(crowd[0], question, ANSWER_TEXT).owner_id == crowd[0].id

"""Data ownership at the service level: the export and account deletion (SPEC §1)."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.core.errors import Forbidden, NotFound, ValidationFailed
from app.core.transaction import write_transaction
from app.core.visibility import can_view_goal
from app.extensions import db
from app.models import (
    AnswerInvitation,
    ApiToken,
    Block,
    Follow,
    Goal,
    Mentorship,
    MentorshipRequest,
    Message,
    Notification,
    Question,
    SearchOutbox,
    User,
)
from app.models.base import utcnow
from app.services import (
    blocks,
    candidates,
    follows,
    goals,
    helpful,
    invitations,
    mentorship,
    mentorship_lifecycle,
    private_space,
    questions,
    votes,
)
from app.services.account_deletion import delete_account, get_profile_user
from app.services.accounts import authenticate, register_user
from app.services.data_export import SCHEMA_VERSION, export_user_data
from app.services.passwords import verify_password
from app.services.tokens import issue_token, user_for_token
from tests.builders import build_answer, build_goal, build_question
from tests.conftest import PASSWORD


def fresh(model, id_):
    db.session.commit()  # end the read snapshot so we see what other sessions committed
    return db.session.get(model, id_)


def close(owner, mentor, goal):
    request = mentorship.invite(owner, goal, mentor.username, "Would you mentor me?")
    return mentorship.accept(mentor, request)


def dump(user) -> str:
    return json.dumps(export_user_data(fresh(User, user.id)), ensure_ascii=False)


@pytest.fixture
def two_phases(make_user):
    """A goal mentored by first, released, then mentored by second: marker words per phase."""
    owner, first, second = make_user("owner"), make_user("first"), make_user("second")
    goal = build_goal(owner, title="Learn to play the cello well")
    close(owner, first, goal)
    goal = fresh(Goal, goal.id)
    private_space.send_message(owner, goal, "phaseone owner xylophone")
    private_space.send_message(first, goal, "phaseone mentor quokka")
    build_question(owner, title="Private bowing question zephyr", goal=goal)
    goals.add_journal_entry(owner, goal, "Journal in phase one: marzipan")
    mentorship_lifecycle.release(first, fresh(Goal, goal.id))
    close(owner, second, fresh(Goal, goal.id))
    goal = fresh(Goal, goal.id)
    private_space.send_message(owner, goal, "phasetwo owner narwhal")
    private_space.send_message(second, goal, "phasetwo mentor pangolin")
    build_question(owner, title="Private vibrato question gazebo", goal=goal)
    goals.add_journal_entry(owner, goal, "Journal in phase two: tamarind")
    return owner, first, second, fresh(Goal, goal.id)


PHASE_ONE = ("xylophone", "quokka", "zephyr", "marzipan")
PHASE_TWO = ("narwhal", "pangolin", "gazebo", "tamarind")


# -- export -----------------------------------------------------------------------------------


def test_export_holds_each_party_its_own_phase_only(two_phases):
    owner, first, second, goal = two_phases
    owner_text, first_text, second_text = dump(owner), dump(first), dump(second)
    for word in PHASE_ONE + PHASE_TWO:
        assert word in owner_text
    # Messages both ways of their own phase, never a word of the other phase.
    assert "xylophone" in first_text and "quokka" in first_text
    assert "narwhal" in second_text and "pangolin" in second_text
    for word in (*PHASE_TWO, "zephyr", "marzipan"):
        assert word not in first_text
    for word in PHASE_ONE:
        assert word not in second_text
    # first released: the goal is no longer theirs to see, so not even its title.
    data = json.loads(first_text)
    [phase] = data["mentorships"]
    assert phase["role"] == "mentor" and phase["goal"] == {"id": goal.id, "title": None}
    assert goal.title not in first_text
    assert {m["sender"] for m in phase["messages"]} == {"owner", "first"}


def test_export_shape_and_no_secrets(make_user):
    user = make_user("writer")
    other = make_user("reader")
    goal = build_goal(user, title="Write a short novel this year")
    goals.add_milestone(user, goal, {"title": "Outline the plot"})
    goals.add_journal_entry(user, goal, "Wrote the first chapter today.")
    question = build_question(user, title="How do I outline a novel plot?", goal=goal)
    anon = questions.ask_question(
        user,
        {
            "title": "Is it normal to hate my first draft?",
            "body": "Asking for me.",
            "tags": ["writing"],
            "anonymous": True,
        },
    )
    received = build_answer(other, question, "Start with the ending and work back from it.")
    questions.add_comment(other, question=question, body="Which genre is it?")
    helpful.mark_helpful(user, received)
    helpful.set_outcome(user, question, "I tried the snowflake method and it worked.")
    mine = build_answer(
        user,
        build_question(other, title="Favourite writing software?"),
        "I use plain text files and git for everything.",
    )
    questions.edit_answer(user, mine, "I use plain text files, git and a good editor.")
    votes.cast_vote(user, received, 1)
    follows.follow(user, "tag", "writing")
    blocks.block(user, make_user("troll").username)
    token, _ = issue_token(user)
    data = export_user_data(fresh(User, user.id))
    text = json.dumps(data)
    assert data["schema_version"] == SCHEMA_VERSION and data["generated_at"]
    assert data["profile"]["username"] == "writer"
    assert data["profile"]["email"] == "writer@example.org"
    assert "password" not in text and "$scrypt" not in text and "$argon2" not in text
    assert token not in text and "token_hash" not in text and len(data["api_tokens"]) == 1
    assert data["goals"][0]["milestones"][0]["title"] == "Outline the plot"
    assert data["goals"][0]["journal"][0]["body"] == "Wrote the first chapter today."
    by_title = {q["title"]: q for q in data["questions"]}
    assert by_title["Is it normal to hate my first draft?"]["anonymous"] is True
    assert by_title[question.title]["outcome"]["body"].startswith("I tried the snowflake")
    assert data["answers"][0]["body"] == "I use plain text files, git and a good editor."
    assert data["revisions"][0]["body"] == "I use plain text files and git for everything."
    assert data["votes"] == [
        {
            "target_type": "answer",
            "target_id": received.id,
            "value": 1,
            "created_at": data["votes"][0]["created_at"],
            "updated_at": data["votes"][0]["updated_at"],
        }
    ]
    assert data["helpful_marks"]["given"][0]["answer_id"] == received.id
    assert data["received"]["answers"][0]["author"] == "reader"
    assert data["received"]["comments"][0]["body"] == "Which genre is it?"
    assert data["follows"][0]["target_type"] == "tag"
    assert data["blocks"][0]["username"] == "troll"
    assert anon.id in {q["id"] for q in data["questions"]}
    # The other side: a helped-me received, a notification gate-checked text.
    other_data = export_user_data(fresh(User, other.id))
    assert other_data["helpful_marks"]["received"][0]["answer_id"] == received.id
    assert any(
        "answered" in n["text"] or "helped" in n["text"]
        for n in other_data["notifications"] + data["notifications"]
    )


def test_export_of_received_content_goes_through_the_gate(make_user):
    owner, mentor, answerer = make_user("owner"), make_user("mentor"), make_user("answerer")
    goal = build_goal(owner, title="Pass the driving test soon")
    question = build_question(answerer, title="Which driving school is good?")
    build_answer(owner, question, "The one near the station helped me a lot, honestly.")
    # The answerer's question is public: the owner's answer is theirs, received.
    closed_q = build_question(owner, title="Parallel parking tips please?", goal=goal)
    build_answer(answerer, closed_q, "Use the mirrors and go slowly, every single time.")
    close(owner, mentor, goal)
    # The owner still sees the answer received on their (now closed) goal.
    assert "go slowly" in dump(owner)
    # The answerer wrote it: theirs whole, but the closed question's title is not.
    data = json.loads(dump(answerer))
    mine = {a["question_id"]: a for a in data["answers"]}
    assert mine[closed_q.id]["body"].startswith("Use the mirrors")
    assert mine[closed_q.id]["question"] is None
    assert "Parallel parking" not in json.dumps(data)


def test_export_refuses_deleted_and_suspended(make_user):
    user = make_user("leaver")
    delete_account(user, PASSWORD)
    with pytest.raises(NotFound):
        export_user_data(fresh(User, user.id))
    suspended = make_user("suspended")
    with write_transaction():
        suspended.suspended_at = utcnow()
    with pytest.raises(Forbidden, match="suspended"):
        export_user_data(fresh(User, suspended.id))


# -- deletion ---------------------------------------------------------------------------------


def counts(user_id: int) -> dict:
    db.session.commit()
    return {
        "messages": db.session.scalar(
            select(func.count(Message.id)).where(Message.sender_id == user_id)
        ),
        "tokens": db.session.scalar(
            select(func.count(ApiToken.id)).where(ApiToken.user_id == user_id)
        ),
        "follows": db.session.scalar(
            select(func.count()).select_from(Follow).where(Follow.user_id == user_id)
        ),
        "notifications": db.session.scalar(
            select(func.count(Notification.id)).where(Notification.user_id == user_id)
        ),
        "blocks": db.session.scalar(
            select(func.count())
            .select_from(Block)
            .where((Block.blocker_id == user_id) | (Block.blocked_id == user_id))
        ),
        "invitations": db.session.scalar(
            select(func.count())
            .select_from(AnswerInvitation)
            .where(AnswerInvitation.user_id == user_id)
        ),
    }


def test_wrong_password_changes_nothing(two_phases):
    _owner, _first, second, goal = two_phases
    issue_token(second)
    follows.follow(second, "tag", "speaking")
    before = counts(second.id)
    for bad in ("not my password", "", None, 12345, "x" * 5000):
        with pytest.raises(ValidationFailed) as info:
            delete_account(fresh(User, second.id), bad)
        assert "password" in info.value.fields
    user = fresh(User, second.id)
    assert not user.is_deleted and user.username == "second"
    assert user.email == "second@example.org" and counts(second.id) == before
    assert fresh(Goal, goal.id).mentor_id == second.id


def test_deleting_a_mentor_releases_and_removes_their_messages(two_phases, make_user):
    owner, first, second, goal = two_phases
    plain, _ = issue_token(second)
    follows.follow(second, "goal", str(goal.id))
    blocks.block(second, make_user("pest").username)
    blocks.block(owner, first.username)
    public_q = build_question(owner, title="Where do I buy a cello bow?")
    invitations.invite_to_answer(owner, public_q, [second.username])
    answer = build_answer(second, public_q, "A good local luthier will let you try several.")
    version = fresh(User, second.id).session_version

    delete_account(fresh(User, second.id), PASSWORD)

    user = fresh(User, second.id)
    assert user.is_deleted and user.name == "deleted user"
    assert user.username == f"deleted-{user.id}" and user.email.endswith(".invalid")
    assert user.session_version == version + 1
    assert not verify_password(user.password_hash, PASSWORD)
    assert authenticate("second", PASSWORD) is None
    assert user_for_token(plain) is None
    assert counts(second.id) == {
        "messages": 0,
        "tokens": 0,
        "follows": 0,
        "notifications": 0,
        "blocks": 0,
        "invitations": 0,
    }
    assert (user.display_name, user.bio, user.skills, user.mentor_available) == ("", "", [], False)
    # Their public answer stays; the other party's messages stay, theirs are gone.
    assert db.session.get(type(answer), answer.id).owner_id == user.id
    bodies = set(db.session.scalars(select(Message.body)))
    assert "phasetwo owner narwhal" in bodies and "phasetwo mentor pangolin" not in bodies
    assert "phaseone mentor quokka" in bodies
    # Released: the owner keeps the closed goal and may invite someone else.
    goal = fresh(Goal, goal.id)
    assert goal.visibility == "closed" and goal.mentor_id is None
    ended = db.session.scalar(select(Mentorship).where(Mentorship.mentor_id == user.id))
    assert (ended.state, ended.end_reason) == ("ended", "released")
    assert blocks.blocked(owner.id, first.id)  # other people's blocks are untouched
    with pytest.raises(NotFound):
        get_profile_user(f"deleted-{user.id}")
    # Their posts are queued for re-indexing under the new name.
    assert db.session.scalar(
        select(func.count(SearchOutbox.id)).where(
            SearchOutbox.doc_type == "answer", SearchOutbox.doc_id == answer.id
        )
    )


def test_deleting_an_owner_completes_so_the_mentor_keeps_access(two_phases):
    owner, _first, second, goal = two_phases
    delete_account(fresh(User, owner.id), PASSWORD)
    goal = fresh(Goal, goal.id)
    assert goal.visibility == "closed" and goal.mentor_id == second.id
    assert goal.status == "abandoned" and goal.owner.name == "deleted user"
    assert can_view_goal(fresh(User, second.id), goal)
    live = db.session.scalar(
        select(func.count(Mentorship.id)).where(
            Mentorship.goal_id == goal.id, Mentorship.state != "ended"
        )
    )
    assert live == 0
    bodies = set(db.session.scalars(select(Message.body)))
    assert bodies == {"phaseone mentor quokka", "phasetwo mentor pangolin"}
    # The mentor's export still holds their phase, minus the deleted owner's messages.
    text = dump(second)
    assert "pangolin" in text and "narwhal" not in text


def test_pending_invites_are_withdrawn_and_declined(make_user):
    owner, mentor, other = make_user("owner"), make_user("mentor"), make_user("other")
    sent = mentorship.invite(owner, build_goal(owner), mentor.username, "Mentor me?")
    received = mentorship.invite(
        other, build_goal(other, title="Climb a big mountain"), owner.username, "Mentor me too?"
    )
    delete_account(fresh(User, owner.id), PASSWORD)
    assert fresh(MentorshipRequest, sent.id).status == "withdrawn"
    assert fresh(MentorshipRequest, received.id).status == "declined"


def test_deleting_twice_and_registering_again(make_user):
    user = make_user("twice")
    delete_account(user, PASSWORD)
    with pytest.raises(NotFound, match="already been deleted"):
        delete_account(fresh(User, user.id), PASSWORD)
    # The name and the address are free again.
    again = register_user("twice", "twice@example.org", PASSWORD)
    assert again.id != user.id


def test_a_taken_placeholder_name_gets_a_suffix(make_user):
    first = make_user("someone")
    squatter = make_user(f"deleted-{first.id}")
    delete_account(fresh(User, first.id), PASSWORD)
    user = fresh(User, first.id)
    assert user.is_deleted and user.username.startswith(f"deleted-{first.id}-")
    assert fresh(User, squatter.id).username == f"deleted-{first.id}"


def test_anonymous_question_stays_anonymous_after_deletion(make_user):
    user = make_user("shy")
    question = questions.ask_question(
        user,
        {
            "title": "Am I too old to learn piano?",
            "body": "Honest answers.",
            "tags": ["music"],
            "anonymous": True,
        },
    )
    delete_account(user, PASSWORD)
    question = fresh(Question, question.id)
    assert question.anonymous and question.owner.is_deleted
    assert mentorship.expire_due_invites() == 0  # nothing else disturbed
    assert utcnow() - question.owner.deleted_at < timedelta(minutes=5)


def test_a_deleted_account_is_never_invited_notified_or_suggested(make_user):
    gone, asker, other = make_user("gone"), make_user("asker"), make_user("other")
    goal = build_goal(asker, title="Speak fluent Portuguese by summer")
    question = build_question(asker, title="Best way to practise Portuguese daily?", goal=goal)
    build_answer(gone, question, "Talk to yourself out loud every morning, seriously.")
    own = build_question(gone, title="Is Duolingo enough on its own?")
    assert [c["user"].id for c in candidates.mentor_candidates(asker, goal)] == [gone.id]
    delete_account(gone, PASSWORD)
    gone = fresh(User, gone.id)
    assert candidates.mentor_candidates(asker, fresh(Goal, goal.id)) == []
    with pytest.raises(ValidationFailed):
        invitations.invite_to_answer(asker, build_question(asker), [gone.username])
    with pytest.raises(ValidationFailed):
        mentorship.invite(asker, fresh(Goal, goal.id), gone.username, "Mentor me?")
    build_answer(other, fresh(Question, own.id), "Not quite; add some real conversations.")
    assert counts(gone.id)["notifications"] == 0

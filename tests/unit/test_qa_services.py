"""Q&A rules at the service level: each rule of SPEC §1 has a test here."""

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.core.visibility import get_question
from app.extensions import db
from app.models import Answer, Comment, Goal, Question, Revision, User, Vote
from app.services import goals, helpful, questions, votes
from app.services.revisions import list_revisions
from tests.builders import ANSWER_TEXT, build_answer, build_goal, build_question


def reload(model, id_):
    db.session.commit()  # end the read snapshot so we see what services committed
    return db.session.get(model, id_)


@pytest.fixture
def people(make_user):
    return make_user("asker"), make_user("mentor1"), make_user("mentor2")


def test_goal_with_milestones_journal_and_progress(app, people):
    asker, mentor, _ = people
    goal = build_goal(
        asker,
        description="I **want** to speak",
        tags=["Speaking", "career"],
        target_date="2027-05-01",
    )
    assert [t.name for t in goal.tags] == ["career", "speaking"]  # stored sorted
    assert goal.description_html == "<p>I <strong>want</strong> to speak</p>"
    first = goals.add_milestone(asker, goal, {"title": "Write an abstract"})
    goals.add_milestone(asker, goal, {"title": "Submit it", "due_date": "2027-01-10"})
    goals.update_milestone(asker, first, {"done": True})
    goals.add_journal_entry(asker, goal, "Drafted **three** abstracts")
    goal = reload(Goal, goal.id)
    assert [m.position for m in goal.milestones] == [1, 2]
    assert goals.goal_contents(None, goal)["progress"] == 50
    assert goal.milestones[0].done_at is not None
    assert "<strong>three</strong>" in goal.journal[0].body_html
    goals.update_milestone(asker, first, {"done": False})
    assert goals.goal_contents(None, reload(Goal, goal.id))["progress"] == 0
    for call in (
        lambda: goals.add_milestone(mentor, goal, {"title": "x"}),
        lambda: goals.update_milestone(mentor, first, {"done": True}),
        lambda: goals.add_journal_entry(mentor, goal, "hi"),
        lambda: goals.edit_goal(mentor, goal, {"title": "Hijacked goal title"}),
    ):
        with pytest.raises(Forbidden):
            call()


@pytest.mark.parametrize(
    "data, field",
    [
        ({"title": "Too short", "tags": ["a"]}, "title"),
        ({"title": "x" * 151, "tags": ["a"]}, "title"),
        ({"title": "A fine goal title", "tags": []}, "tags"),
        ({"title": "A fine goal title", "tags": ["a", "b", "c", "d", "e", "f"]}, "tags"),
        ({"title": "A fine goal title", "tags": ["bad tag!"]}, "tags"),
        ({"title": "A fine goal title", "tags": ["a"], "description": "x" * 20_001}, "description"),
        ({"title": "A fine goal title", "tags": ["a"], "target_date": "tomorrow"}, "target_date"),
        ({"title": "A fine\x00goal title", "tags": ["a"]}, "title"),
        ({"title": "A fine goal title", "tags": ["a"], "owner_id": 3}, "owner_id"),
    ],
)
def test_goal_validation(app, people, data, field):
    with pytest.raises(ValidationFailed) as info:
        goals.create_goal(people[0], data)
    assert field in info.value.fields
    assert db.session.scalar(select(db.func.count(Goal.id))) == 0


def test_question_under_a_goal_must_be_the_askers_own(app, people):
    asker, mentor, _ = people
    goal = build_goal(asker)
    question = build_question(asker, goal=goal)
    assert question.goal_id == goal.id
    with pytest.raises(Forbidden):
        build_question(mentor, goal=goal)
    with pytest.raises(NotFound):
        questions.ask_question(
            mentor, {"title": "A question title", "body": "b", "tags": ["a"], "goal_id": 99999}
        )


@pytest.mark.parametrize(
    "data, field",
    [
        ({"title": "Short", "body": "b", "tags": ["a"]}, "title"),
        ({"title": "A good question title", "body": "", "tags": ["a"]}, "body"),
        ({"title": "A good question title", "body": "x" * 20_001, "tags": ["a"]}, "body"),
        ({"title": "A good question title", "body": "b"}, "tags"),
        ({"title": "A good question title", "body": "b", "tags": ["a"], "goal_id": "1"}, "goal_id"),
        ({"title": ["list"], "body": "b", "tags": ["a"]}, "title"),
    ],
)
def test_question_validation(app, people, data, field):
    with pytest.raises(ValidationFailed) as info:
        questions.ask_question(people[0], data)
    assert field in info.value.fields
    assert db.session.scalar(select(db.func.count(Question.id))) == 0


def test_answers_comments_and_their_limits(app, people):
    asker, mentor, _ = people
    question = build_question(asker)
    with pytest.raises(ValidationFailed):
        questions.post_answer(mentor, question, "x" * 19)
    with pytest.raises(ValidationFailed):
        questions.post_answer(mentor, question, "x" * 20_001)
    answer = questions.post_answer(mentor, question, "x" * 20)
    assert reload(Question, question.id).answer_count == 1
    questions.add_comment(asker, answer=answer, body="c" * 600)
    with pytest.raises(ValidationFailed):
        questions.add_comment(asker, question=question, body="c" * 601)
    with pytest.raises(ValidationFailed):
        questions.add_comment(asker, question=question, body="   ")
    assert db.session.scalar(select(db.func.count(Comment.id))) == 1


def test_editing_keeps_revisions_and_only_authors_edit(app, people):
    asker, mentor, _ = people
    question = build_question(asker, title="Original question title")
    answer = build_answer(mentor, question)
    questions.edit_question(asker, question, {"title": "Better question title", "tags": ["a"]})
    questions.edit_question(asker, question, {"body": "New body"})
    questions.edit_answer(mentor, answer, "A clearer answer than the first one.")
    revs = list_revisions("question", question.id)
    assert [r.title for r in revs] == ["Better question title", "Original question title"]
    assert revs[1].tags == ["speaking"] and revs[0].editor.username == "asker"
    assert list_revisions("answer", answer.id)[0].body == ANSWER_TEXT
    with pytest.raises(Forbidden):
        questions.edit_question(mentor, question, {"title": "Hijacked question"})
    with pytest.raises(Forbidden):
        questions.edit_answer(asker, answer, "Rewriting someone else's answer")
    with pytest.raises(ValidationFailed):
        questions.edit_question(asker, question, {"goal_id": None})
    assert db.session.scalar(select(db.func.count(Revision.id))) == 3


def rep(user) -> int:
    return reload(User, user.id).reputation


def test_votes_score_and_reputation(app, people):
    asker, mentor, other = people
    question = build_question(asker)
    answer = build_answer(mentor, question)
    votes.cast_vote(asker, answer, 1)
    votes.cast_vote(asker, answer, 1)  # repeating changes nothing
    assert (reload(Answer, answer.id).score, rep(mentor)) == (1, 10)
    votes.cast_vote(other, question, 1)
    assert (reload(Question, question.id).score, rep(asker)) == (1, 2)
    votes.cast_vote(asker, answer, -1)  # changed: -10 and -2
    assert (reload(Answer, answer.id).score, rep(mentor)) == (-1, -2)
    votes.withdraw_vote(asker, answer)
    votes.withdraw_vote(asker, answer)  # nothing left to withdraw
    assert (reload(Answer, answer.id).score, rep(mentor)) == (0, 0)
    with pytest.raises(Forbidden):
        votes.cast_vote(mentor, answer, 1)
    for bad in (0, 2, "1", True, None):
        with pytest.raises(ValidationFailed):
            votes.cast_vote(other, answer, bad)
    assert db.session.scalar(select(db.func.count(Vote.id))) == 1


def test_votes_are_unique_per_user_and_post_in_the_database(app, people):
    asker, mentor, _ = people
    question = build_question(asker)
    votes.cast_vote(mentor, question, 1)
    db.session.add(Vote(user_id=mentor.id, question_id=question.id, value=1))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_a_vote_racing_a_vote_that_is_then_withdrawn_is_a_conflict(app, people, monkeypatch):
    """Same user, three requests at once: our insert loses to a vote withdrawn right after."""
    asker, mentor, _ = people
    question = build_question(asker)
    db.session.add(Vote(user_id=mentor.id, question_id=question.id, value=1))
    db.session.commit()  # the other request's vote: our insert will collide with it
    session = db.session()
    original = session.scalar
    reads = []

    def scalar(statement, *args, **kwargs):
        found = original(statement, *args, **kwargs)
        if "votes" in str(statement) and len(reads) < 2:
            reads.append(found)
            return None  # before our insert: not there yet; after it: withdrawn already
        return found

    monkeypatch.setattr(session, "scalar", scalar)
    with pytest.raises(Conflict):
        votes.cast_vote(mentor, question, -1)
    monkeypatch.undo()
    assert len(reads) == 2
    assert reload(Question, question.id).score == 0  # nothing applied
    assert db.session.scalar(select(Vote.value).where(Vote.user_id == mentor.id)) == 1


def test_helped_me_many_answers_only_the_asker(app, people):
    asker, mentor, other = people
    question = build_question(asker)
    first, second = build_answer(mentor, question), build_answer(other, question)
    assert helpful.mark_helpful(asker, first) is True
    assert helpful.mark_helpful(asker, first) is False  # idempotent
    helpful.mark_helpful(asker, second)
    assert (rep(mentor), rep(other)) == (15, 15)
    with pytest.raises(Forbidden):
        helpful.mark_helpful(mentor, second)
    helpful.unmark_helpful(asker, second)
    assert rep(other) == 0 and not reload(Answer, second.id).helpful
    own = build_answer(asker, question, "Answering my own question for the record.")
    helpful.mark_helpful(asker, own)
    assert rep(asker) == 0  # no reputation for marking yourself


def test_answers_sorted_helpful_then_score_then_age(app, people, make_user):
    asker, mentor, other = people
    question = build_question(asker)
    old, voted, marked = (build_answer(u, question) for u in (mentor, other, make_user()))
    votes.cast_vote(asker, voted, 1)
    helpful.mark_helpful(asker, marked)
    db.session.commit()
    order = [a.id for a in questions.answers_for_page(None, reload(Question, question.id))]
    assert order == [marked.id, voted.id, old.id]


def test_outcome_by_the_asker_only(app, people):
    asker, mentor, _ = people
    question = build_question(asker)
    helpful.set_outcome(asker, question, "Tried *X*, it worked.")
    helpful.set_outcome(asker, question, "Tried X and Y; Y worked.")
    assert reload(Question, question.id).outcome.body == "Tried X and Y; Y worked."
    with pytest.raises(Forbidden):
        helpful.set_outcome(mentor, question, "Not mine")
    with pytest.raises(ValidationFailed):
        helpful.set_outcome(asker, question, "")


def test_answered_in_by_owner_or_500_reputation(app, people):
    asker, mentor, other = people
    earlier, question = build_question(mentor), build_question(asker)
    questions.set_answered_in(asker, question, earlier.id)
    assert reload(Question, question.id).answered_in_id == earlier.id
    with pytest.raises(Forbidden):
        questions.set_answered_in(other, question, earlier.id)
    other = reload(User, other.id)
    other.reputation = 500
    db.session.commit()
    questions.clear_answered_in(other, question)
    assert reload(Question, question.id).answered_in_id is None
    with pytest.raises(ValidationFailed):
        questions.set_answered_in(asker, question, question.id)
    with pytest.raises(NotFound):
        questions.set_answered_in(asker, question, 424242)
    with pytest.raises(ValidationFailed):
        questions.set_answered_in(asker, question, "1")


def test_lists_sorting_filters_and_pagination(app, people):
    asker, mentor, _ = people
    qs = [
        build_question(
            asker, title=f"Question number {i:02d} here", tags=["python" if i % 2 else "sql"]
        )
        for i in range(25)
    ]
    build_answer(mentor, qs[3])
    votes.cast_vote(mentor, qs[7], 1)
    page = questions.list_questions(None, page=1)
    assert (page.total, len(page.items), page.pages) == (25, 20, 2)
    assert page.items[0].id == qs[-1].id
    assert len(questions.list_questions(None, page=2).items) == 5
    assert questions.list_questions(None, sort="votes").items[0].id == qs[7].id
    unanswered = questions.list_questions(None, sort="unanswered", per_page=100)
    assert unanswered.total == 24 and qs[3].id not in {q.id for q in unanswered.items}
    assert questions.list_questions(None, tag="PYTHON").total == 12
    with pytest.raises(ValidationFailed):
        questions.list_questions(None, sort="random")


def test_visibility_gate_hides_closed_goals_content(app, people):
    asker, mentor, stranger = people
    goal = build_goal(asker)
    question = build_question(asker, goal=goal)
    goal = reload(Goal, goal.id)
    goal.visibility, goal.mentor_id = "closed", mentor.id
    db.session.commit()
    assert get_question(asker, question.id) and get_question(mentor, question.id)
    for viewer in (None, stranger):
        with pytest.raises(NotFound):
            get_question(viewer, question.id)
        assert questions.list_questions(viewer).total == 0
    assert questions.list_questions(mentor).total == 1


def test_unchanged_edits_leave_no_revision(app, people):
    asker, mentor, _ = people
    goal = build_goal(asker)
    question = build_question(asker)
    answer = build_answer(mentor, question)
    questions.edit_question(asker, question, {"title": question.title})
    questions.edit_answer(mentor, answer, ANSWER_TEXT)
    goals.edit_goal(asker, goal, {"status": "achieved"})
    assert db.session.scalar(select(db.func.count(Revision.id))) == 0
    assert reload(Goal, goal.id).status == "achieved"


def test_answered_in_must_point_to_an_earlier_thread(app, people):
    asker, mentor, _ = people
    question = build_question(asker)
    later = build_question(mentor, title="A later question on this")
    with pytest.raises(ValidationFailed) as info:
        questions.set_answered_in(asker, question, later.id)
    assert "question_id" in info.value.fields
    questions.set_answered_in(mentor, later, question.id)  # the other way round is fine

"""Anonymous questions and invitations to answer, through the HTML pages.

The asker's username is a unique marker ("hiddenzq"): it must not appear in any public
response about their anonymous question, while the asker and admins see who asked.
"""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AnswerInvitation, Goal, Notification, Question
from app.models.users import ROLE_ADMIN
from app.search.indexer import drain
from app.search.service import get_backend
from app.services import blocks, follows, questions
from tests.builders import build_goal, build_question
from tests.conftest import login, post_form

MARKER = "hiddenzq"
TITLE = "How do I ask my manager for a raise quietly?"
SELF_ANSWER = "Replying to myself: I tried asking in writing first and it worked well."


def latest_question() -> Question:
    db.session.commit()
    return db.session.scalars(select(Question).order_by(Question.id.desc())).first()


@pytest.fixture
def anonymous_thread(app, make_user):
    """An anonymous question asked through the form, with the asker's own comment,
    self-answer and edit (each of which could give them away)."""
    make_user(MARKER)
    helper = make_user("helper")
    admin = make_user("boss")
    admin.role = ROLE_ADMIN
    db.session.commit()
    asker = app.test_client()
    login(asker, MARKER)
    response = post_form(
        asker,
        "/ask",
        {"title": TITLE, "body": "Salary talk is scary.", "tags": "career", "anonymous": "y"},
    )
    assert response.status_code == 302
    question = latest_question()
    assert question.anonymous
    url = f"/questions/{question.id}"
    post_form(asker, f"{url}/comments", {"body": "Clarifying: I work remotely."}, page=url)
    post_form(asker, f"{url}/answers", {"body": SELF_ANSWER}, page=url)
    post_form(
        asker, f"{url}/edit", {"title": TITLE, "body": "Salary talk is scary!", "tags": "career"}
    )
    questions.post_answer(
        helper,
        db.session.get(Question, question.id),
        "Write down your achievements before the meeting.",
    )
    drain(get_backend())
    return question, asker


def public_urls(question) -> list[str]:
    return [
        f"/questions/{question.id}",
        f"/questions/{question.id}/revisions",
        "/",
        "/questions",
        "/questions?sort=votes",
        "/tags/career",
        "/feeds/questions.atom",
        "/feeds/tags/career.atom",
        "/search?q=raise+manager",
        "/search?q=quietly+is:answer",
        "/search?q=replying+myself",
    ]


def test_the_public_never_sees_the_anonymous_asker(app, make_user, anonymous_thread):
    question, _ = anonymous_thread
    anonymous_reader = app.test_client()
    signed_in = app.test_client()
    follows.follow(make_user("reader"), "tag", "career")
    login(signed_in, "reader")
    following = signed_in.get("/following")
    assert TITLE in following.text and "anonymous protégé" in following.text
    assert MARKER not in following.text.lower()
    for client in (anonymous_reader, signed_in):
        for url in public_urls(question):
            response = client.get(url)
            assert response.status_code == 200, url
            assert MARKER not in response.text.lower(), url
        page = client.get(f"/questions/{question.id}").text
        assert "anonymous protégé" in page and "(the asker)" in page
        assert TITLE in client.get("/").text  # listed, just not attributed
        # The profile neither lists nor counts the question or the self-answer.
        profile = client.get(f"/users/{MARKER}").text
        assert TITLE not in profile and "Questions (0)" in profile
        assert "Answers (0)" in profile
    assert TITLE in anonymous_reader.get("/search?q=raise+manager").text  # it is indexed
    # user: finds nothing of theirs (the page only echoes the query itself).
    for query in (f"user:{MARKER}", f"user:{MARKER} raise", f"user:{MARKER} is:answer"):
        found = anonymous_reader.get("/search", query_string={"q": query})
        assert found.status_code == 200 and TITLE not in found.text, query
    answers = list(questions.answers_for_page(None, question))
    own = next(a for a in answers if a.owner.username == MARKER)
    revisions = anonymous_reader.get(f"/answers/{own.id}/revisions")
    assert revisions.status_code == 200 and MARKER not in revisions.text


def test_the_asker_and_admins_see_who_asked(app, anonymous_thread):
    question, asker = anonymous_thread
    page = asker.get(f"/questions/{question.id}").text
    assert "anonymous protégé</span> (you)" in page
    assert TITLE in asker.get(f"/users/{MARKER}").text  # on their own profile view only
    admin = app.test_client()
    login(admin, "boss")
    page = admin.get(f"/questions/{question.id}").text
    assert "visible to admins" in page and f"/users/{MARKER}" in page
    assert TITLE in admin.get(f"/users/{MARKER}").text


def test_anonymous_is_refused_for_a_goal_question(app, make_user):
    owner = make_user("owner")
    goal = build_goal(owner)
    client = app.test_client()
    login(client, "owner")
    assert 'name="anonymous"' in client.get("/ask").text
    assert 'name="anonymous"' not in client.get(f"/ask?goal={goal.id}").text
    response = post_form(
        client,
        f"/ask?goal={goal.id}",
        {"title": TITLE, "body": "x", "tags": "career", "goal_id": str(goal.id), "anonymous": "y"},
    )
    assert response.status_code == 422 and "cannot be anonymous" in response.text
    assert latest_question() is None


# -- invitations --------------------------------------------------------------------------


def test_the_asker_invites_people_from_the_question_page(app, make_user):
    asker_user = make_user("asker")
    for name in ("mentor1", "mentor2", "mentor3"):
        make_user(name)
    question = build_question(asker_user)
    url = f"/questions/{question.id}"
    asker = app.test_client()
    login(asker, "asker")
    assert "Invite people to answer" in asker.get(url).text
    response = post_form(asker, f"{url}/invitations", {"usernames": "mentor1, @Mentor2"}, page=url)
    assert response.status_code == 302
    page = asker.get(url).text
    assert "/users/mentor1" in page and "/users/mentor2" in page
    db.session.commit()
    assert {
        n.user_id
        for n in db.session.scalars(
            select(Notification).where(Notification.kind == "answer_invitation")
        )
    } >= {asker_user.id + 1, asker_user.id + 2}
    bad = post_form(asker, f"{url}/invitations", {"usernames": "mentor3 nobody_here"}, page=url)
    assert bad.status_code == 422 and "nobody_here" in bad.text
    six = post_form(
        asker, f"{url}/invitations", {"usernames": "mentor3 a1x b1x c1x d1x e1x"}, page=url
    )
    assert six.status_code == 422
    blocks.block(make_user("grumpy"), "asker")
    blocked = post_form(asker, f"{url}/invitations", {"usernames": "grumpy"}, page=url)
    assert blocked.status_code == 422 and "cannot invite" in blocked.text
    db.session.commit()
    assert len(db.session.scalars(select(AnswerInvitation)).all()) == 2
    # Others neither see the invitees nor may invite.
    other = app.test_client()
    login(other, "mentor3")
    page = other.get(url).text
    assert "Invite people to answer" not in page
    assert (
        post_form(other, f"{url}/invitations", {"usernames": "mentor1"}, page=url).status_code
        == 403
    )


def test_a_closed_goal_question_takes_no_invitations(app, make_user):
    owner = make_user("owner")
    make_user("mentor1")
    goal = build_goal(owner)
    question = build_question(owner, goal=goal)
    row = db.session.get(Goal, goal.id)
    row.visibility, row.mentor_id = "closed", make_user("mentor").id
    db.session.commit()
    client = app.test_client()
    login(client, "owner")
    url = f"/questions/{question.id}"
    assert "Only public questions take invitations" in client.get(url).text
    other = app.test_client()
    login(other, "mentor1")
    assert other.get(url).status_code == 404

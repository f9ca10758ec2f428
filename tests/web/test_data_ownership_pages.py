"""Data ownership in the browser: "Download my data" and "Delete my account" on /settings."""

import json
import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Answer, Message, Question, User
from app.search.indexer import drain
from app.search.service import get_backend
from app.services import mentorship, private_space, questions
from tests.builders import build_answer, build_goal, build_question
from tests.conftest import PASSWORD, login, post_form


def reload(user_id: int) -> User:
    db.session.commit()
    db.session.expire_all()
    return db.session.get(User, user_id)


@pytest.fixture
def alice(client, make_user):
    user = make_user("alice", display_name="Alice Liddell")
    login(client, "alice")
    return user


def delete_form(username="alice", password=PASSWORD) -> dict:
    return {"password": password, "confirm_username": username}


def test_settings_offers_download_and_delete(client, alice):
    page = client.get("/settings")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Download my data" in text and 'href="/settings/export"' in text
    assert "Delete my account" in text and 'action="/settings/delete"' in text
    assert 'name="confirm_username"' in text and 'name="password"' in text


def test_download_my_data(client, alice, make_user):
    coach = make_user("coach")
    goal = build_goal(alice, title="Learn to juggle five balls")
    mentorship.accept(coach, mentorship.invite(alice, goal, "coach", "Mentor me?"))
    private_space.send_message(alice, goal, "secret word quetzal")
    response = client.get("/settings/export")
    assert response.status_code == 200
    assert re.fullmatch(
        r'attachment; filename="journster-alice-\d{4}-\d\d-\d\d\.json"',
        response.headers["Content-Disposition"],
    )
    assert response.headers["Cache-Control"] == "no-store"
    data = json.loads(response.data)
    assert data["profile"]["display_name"] == "Alice Liddell"
    assert "quetzal" in response.get_data(as_text=True)


def test_download_needs_sign_in(client):
    response = client.get("/settings/export")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_bad_confirmation_deletes_nothing(client, alice):
    cases = [
        delete_form(password="wrong password!"),
        delete_form(username="bob"),
        delete_form(password=""),
        delete_form(username=""),
    ]
    for data in cases:
        response = post_form(client, "/settings/delete", data, page="/settings")
        assert response.status_code == 422, data
        text = response.get_data(as_text=True)
        assert "field-error" in text or "form-errors" in text
    # Without a CSRF token nothing happens either.
    assert client.post("/settings/delete", data=delete_form()).status_code in (400, 422)
    user = reload(alice.id)
    assert not user.is_deleted and user.username == "alice"
    assert client.get("/settings").status_code == 200


def test_delete_account_end_to_end(client, alice, make_user, app):
    coach = make_user("coach")
    goal = build_goal(alice, title="Learn to juggle five balls")
    question = build_question(
        alice, title="How long to learn a three-ball cascade?", body="Total beginner, aardvark."
    )
    answer = build_answer(coach, question)
    questions.add_comment(alice, answer=answer, body="Thanks, that helps a lot!")
    mine = build_answer(
        alice,
        build_question(coach, title="Best juggling balls to buy?"),
        "Beanbags do not roll away; start with those, trust me.",
    )
    questions.edit_answer(alice, mine, "Beanbags do not roll away; start with three of those.")
    mentorship.accept(coach, mentorship.invite(alice, goal, "coach", "Mentor me?"))
    private_space.send_message(alice, goal, "alice private words")
    private_space.send_message(coach, goal, "coach private words")
    drain(get_backend())
    old_cookie = client.get_cookie("journster_session").value

    response = post_form(client, "/settings/delete", delete_form("ALICE"), page="/settings")
    assert response.status_code == 200
    assert "Your account has been deleted" in response.get_data(as_text=True)
    assert client.get("/settings").status_code == 302  # signed out

    # The old session cookie, replayed in a fresh browser, is dead too.
    other = app.test_client()
    other.set_cookie("journster_session", old_cookie)
    assert other.get("/settings").status_code == 302
    login(other, "alice")  # the old password signs in to nothing
    assert other.get("/settings").status_code == 302

    deleted = reload(alice.id)
    assert deleted.is_deleted and deleted.username == f"deleted-{alice.id}"
    assert client.get(f"/users/{deleted.username}").status_code == 404
    assert client.get("/users/alice").status_code == 404
    bodies = set(db.session.scalars(select(Message.body)))
    assert bodies == {"coach private words"}

    # Every page that names the author says "deleted user", without a profile link.
    for url in (
        f"/questions/{question.id}",
        f"/questions/{mine.question_id}",
        "/",
        "/questions",
        f"/answers/{mine.id}/revisions",
        f"/users/{coach.username}",
    ):
        page = client.get(url)
        assert page.status_code == 200, url
        text = page.get_data(as_text=True)
        assert "Alice Liddell" not in text and "/users/deleted-" not in text, url
        assert "/users/alice" not in text, url
    thread = client.get(f"/questions/{question.id}").get_data(as_text=True)
    assert "deleted user" in thread and "Thanks, that helps a lot!" in thread
    assert "deleted user" in client.get(f"/answers/{mine.id}/revisions").get_data(as_text=True)
    feed = client.get("/feeds/questions.atom").get_data(as_text=True)
    assert "<name>deleted user</name>" in feed and "Alice" not in feed
    # The mentor still reads the closed goal; its owner reads "deleted user".
    login(client, "coach")
    notes = client.get("/notifications").get_data(as_text=True)
    assert "deleted user commented" in notes and "Alice" not in notes
    actors = {
        item["actor"]["username"]
        for item in client.get("/api/v1/notifications").get_json()["items"]
        if item["actor"]
    }
    assert actors == {"deleted user"}
    goal_page = client.get(f"/goals/{goal.id}").get_data(as_text=True)
    assert "deleted user" in goal_page and "coach private words" in goal_page
    assert "alice private words" not in goal_page

    # Search still finds the posts.
    drain(get_backend())
    assert f"/questions/{question.id}" in client.get("/search?q=aardvark").get_data(as_text=True)
    hits = client.get("/search?q=beanbags").get_data(as_text=True)
    assert f"/questions/{mine.question_id}" in hits
    assert db.session.scalar(select(func.count(Answer.id)).where(Answer.owner_id == alice.id)) == 1
    assert db.session.get(Question, question.id).owner_id == alice.id


def test_delete_page_get_and_twice(client, alice):
    assert client.get("/settings/delete").status_code == 200
    post_form(client, "/settings/delete", delete_form(), page="/settings/delete")
    # A second attempt has no session left: it is sent to sign in, nothing else happens.
    again = client.get("/settings/delete")
    assert again.status_code == 302 and "/login" in again.headers["Location"]
    assert reload(alice.id).is_deleted

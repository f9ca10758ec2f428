"""The /notifications page and the unread count in the nav (SPEC §2; works without JS)."""

import re

import pytest

from app.extensions import db
from app.models import Notification
from app.services import helpful, mentorship, questions
from tests.builders import build_answer, build_goal, build_question
from tests.conftest import csrf_token_from, login
from tests.html_audit import audit


def nav_count(html: str) -> str:
    match = re.search(r'class="badge notification-count"[^>]*>(\d+)<', html)
    assert match, "no unread badge in the nav"
    return match.group(1)


@pytest.fixture
def world(app, make_user):
    asker, mentor, reader = make_user("asker"), make_user("mentor"), make_user("reader")
    goal = build_goal(asker, title="Run a half marathon in spring")
    question = build_question(asker, title="Which shoes for a first half marathon?", goal=goal)
    answer = build_answer(reader, question, "Get fitted at a running shop; try three pairs.")
    questions.add_comment(asker, answer=answer, body="Thanks, which shop did you use?")
    helpful.mark_helpful(asker, answer)
    db.session.commit()
    clients = {}
    for name in ("asker", "mentor", "reader"):
        clients[name] = app.test_client()
        login(clients[name], name)
    return goal, question, answer, asker, mentor, clients


def test_anonymous_readers_are_sent_to_sign_in(client):
    response = client.get("/notifications")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    # A valid CSRF token, so what answers is login_required (not the CSRF check).
    token = csrf_token_from(client.get("/login"))
    response = client.post("/notifications/read", data={"csrf_token": token})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert "notification-count" not in client.get("/").text


def test_list_links_and_unread_badge(world):
    *_, c = world
    page = c["reader"].get("/notifications")
    assert page.status_code == 200
    html = page.text
    audit(html)
    assert nav_count(html) == "2" and "2 unread" in html
    assert "asker marked your answer on “Which shoes for a first half marathon?”" in html
    assert "asker commented on your answer on “Which shoes" in html
    assert 'aria-live="polite"' in html and "Mark all read" in html
    # Other pages carry the badge too; the asker has one unread (the answer).
    assert nav_count(c["asker"].get("/").text) == "1"
    assert nav_count(c["mentor"].get("/").text) == "0"


def test_opening_one_marks_it_read_and_follows_its_link(world):
    _, question, answer, _, _, c = world
    note_id = db.session.scalar(db.select(Notification.id).where(Notification.kind == "helpful"))
    # A GET follows the link and changes nothing; the list's button (a POST) marks it read.
    response = c["reader"].get(f"/notifications/{note_id}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/questions/{question.id}#answer-{answer.id}")
    assert nav_count(c["reader"].get("/notifications").text) == "2"
    token = csrf_token_from(c["reader"].get("/notifications"))
    assert c["reader"].post(f"/notifications/{note_id}", data={}).status_code in (302, 400)
    assert nav_count(c["reader"].get("/notifications").text) == "2"
    response = c["reader"].post(f"/notifications/{note_id}", data={"csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/questions/{question.id}#answer-{answer.id}")
    assert nav_count(c["reader"].get("/notifications").text) == "1"
    # Someone else's notification, or none: 404.
    assert c["asker"].get(f"/notifications/{note_id}").status_code == 404
    assert c["reader"].get("/notifications/999999").status_code == 404


def test_mark_all_read_needs_the_csrf_token(world):
    *_, c = world
    client = c["reader"]
    assert client.post("/notifications/read", data={}).status_code in (302, 400)
    assert nav_count(client.get("/notifications").text) == "2"
    token = csrf_token_from(client.get("/notifications"))
    response = client.post("/notifications/read", data={"csrf_token": token})
    assert response.status_code == 302
    page = client.get("/notifications").text
    assert nav_count(page) == "0" and "0 unread" in page and "Mark all read" not in page
    assert "No unread notifications." in client.get("/notifications?unread=1").text
    assert nav_count(c["asker"].get("/").text) == "1"  # others' stay unread


def test_closed_goal_hides_the_thread_from_the_outsider(world):
    goal, _, _, asker, mentor, c = world
    mentorship.accept(mentor, mentorship.invite(asker, goal, mentor.username, "Please?"))
    html = c["reader"].get("/notifications").text
    audit(html)
    assert "Which shoes" not in html and "half marathon" not in html
    assert html.count("something you can no longer see") == 2
    assert nav_count(html) == "2"
    note_id = db.session.scalar(db.select(Notification.id).where(Notification.kind == "helpful"))
    response = c["reader"].get(f"/notifications/{note_id}")
    assert response.headers["Location"].endswith("/notifications")
    # The participants still see it all.
    assert "Which shoes" in c["asker"].get("/notifications").text
    assert (
        "accepted your invite to mentor “Run a half marathon"
        in c["asker"].get("/notifications").text
    )


def test_bad_page_numbers_are_not_errors(world):
    *_, c = world
    for query in ("?page=0", "?page=abc", "?page=999999999999"):
        assert c["reader"].get(f"/notifications{query}").status_code in (400, 422)
    assert c["reader"].get("/notifications?page=5").status_code == 200

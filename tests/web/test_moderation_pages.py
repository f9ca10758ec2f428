"""Moderation through the web pages: flag forms, the admin area, suspension at sign-in."""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Question, User
from app.models.moderation import Flag, ModerationAction
from app.services import accounts, questions
from tests.builders import build_answer, build_goal, build_question
from tests.conftest import PASSWORD, csrf_token_from, login, post_form
from tests.helpers import count
from tests.html_audit import audit


@pytest.fixture
def site(app, make_user):
    """alice asks, bob answers and comments; admin moderates. Clients signed in."""
    make_user("admin")
    accounts.set_role("admin", "admin")
    alice, bob = make_user("alice"), make_user("bob")
    goal = build_goal(alice, title="Run a half marathon this spring")
    question = build_question(alice, title="How should I pace the first ten kilometres?")
    answer = build_answer(bob, question)
    comment = questions.add_comment(bob, question=question, body="Which race is it?")
    clients = {}
    for name in ("admin", "alice", "bob"):
        clients[name] = app.test_client()
        login(clients[name], name)
    clients["anon"] = app.test_client()
    return clients, goal, question, answer, comment


def flag(client, kind, target_id, reason="spam", details="", page="/", next_url=None):
    return post_form(
        client,
        "/flags",
        {
            "type": kind,
            "id": str(target_id),
            "reason": reason,
            "details": details,
            "next": next_url or page,
        },
        page=page,
    )


def test_flag_buttons_show_to_others_only_and_work_without_js(site):
    clients, goal, question, answer, comment = site
    url = f"/questions/{question.id}"
    bob_page = clients["bob"].get(url).text
    assert 'name="type" value="question"' in bob_page and '<details class="flag">' in bob_page
    assert f'id="flag-question-{question.id}-reason"' in bob_page
    assert f'id="flag-answer-{answer.id}-reason"' not in bob_page  # his own answer
    page = audit(bob_page)
    assert all(labelled or field_id in page.label_for for field_id, labelled in page.fields)
    assert 'value="question"' not in clients["anon"].get(url).text
    alice_page = clients["alice"].get(url).text
    assert f'id="flag-answer-{answer.id}-reason"' in alice_page
    assert f'id="flag-comment-{comment.id}-reason"' in alice_page
    assert f'id="flag-question-{question.id}-reason"' not in alice_page
    assert "flag-goal" in clients["bob"].get(f"/goals/{goal.id}").text

    response = flag(clients["alice"], "answer", answer.id, "abuse", "Rude to me", page=url)
    assert response.status_code == 302 and response.location.startswith(url)
    assert "moderators will review" in clients["alice"].get(url).text
    response = flag(clients["alice"], "answer", answer.id, "spam", page=url)
    assert response.status_code == 302
    assert "You already flagged this" in clients["alice"].get(url).text
    assert count(Flag) == 1


def test_flag_bad_input_is_a_clear_error(site):
    clients, _goal, question, answer, _comment = site
    alice = clients["alice"]
    response = flag(alice, "answer", answer.id, "because")
    assert response.status_code == 422 and "One of: spam" in response.text
    response = flag(alice, "answer", answer.id, "spam", "x" * 501)
    assert response.status_code == 422 and "500" in response.text
    assert flag(alice, "answer", 999_999).status_code == 404
    assert flag(alice, "answer", "abc").status_code == 404
    assert flag(alice, "post", answer.id).status_code == 422
    response = flag(alice, "question", question.id, next_url="//evil.example/")
    assert response.status_code == 302 and "evil" not in response.location
    assert "own post" in alice.get("/").text
    no_csrf = alice.post("/flags", data={"type": "answer", "id": answer.id, "reason": "spam"})
    assert no_csrf.status_code == 400
    anon = clients["anon"]
    token = csrf_token_from(anon.get("/login"))
    response = anon.post(
        "/flags", data={"csrf_token": token, "type": "answer", "id": answer.id, "reason": "spam"}
    )
    assert response.status_code == 302 and "/login" in response.location
    assert count(Flag) == 0


def test_admin_area_is_404_for_everyone_else(site):
    clients, _goal, question, *_ = site
    for name in ("anon", "alice", "bob"):
        for path in ("/admin/flags", "/admin/hidden", "/admin/log", "/admin/users/bob"):
            assert clients[name].get(path).status_code == 404, (name, path)
        token = csrf_token_from(clients[name].get("/login" if name == "anon" else "/"))
        response = clients[name].post(
            f"/admin/posts/question/{question.id}/hide", data={"csrf_token": token}
        )
        assert response.status_code == 404
    assert "Moderation</a>" not in clients["alice"].get("/").text
    assert "Moderation</a>" in clients["admin"].get("/").text
    assert count(ModerationAction) == 0


def test_queue_hide_banner_unhide_and_log(site):
    clients, _goal, question, _answer, _comment = site
    admin = clients["admin"]
    flag(clients["bob"], "question", question.id, "spam", "Looks like an ad")
    queue = admin.get("/admin/flags")
    assert queue.status_code == 200
    text = queue.text
    assert question.title in text and "Looks like an ad" in text and "bob" in text
    assert "Spam (1)" in text and "/admin/users/alice" in text
    page = audit(text)
    assert all(labelled or field_id in page.label_for for field_id, labelled in page.fields)

    response = post_form(
        admin,
        f"/admin/posts/question/{question.id}/hide",
        {"reason": "advert", "next": "/admin/flags"},
        page="/admin/flags",
    )
    assert response.status_code == 302
    assert "No open flags" in admin.get("/admin/flags").text
    url = f"/questions/{question.id}"
    assert clients["anon"].get(url).status_code == 404
    assert clients["bob"].get(url).status_code == 404
    for name in ("alice", "admin"):
        page = clients[name].get(url)
        assert page.status_code == 200 and "Hidden by moderators" in page.text
    assert question.title not in clients["anon"].get("/questions").text
    hidden = admin.get("/admin/hidden").text
    assert question.title in hidden
    log = admin.get("/admin/log").text
    assert "hide" in log and "advert" in log

    # Hiding twice: a clear message, not an error page.
    response = post_form(
        admin, f"/admin/posts/question/{question.id}/hide", {}, page="/admin/flags"
    )
    assert response.status_code == 302
    assert "already hidden" in admin.get("/admin/flags").text
    post_form(
        admin,
        f"/admin/posts/question/{question.id}/unhide",
        {"next": "/admin/hidden"},
        page="/admin/hidden",
    )
    assert clients["anon"].get(url).status_code == 200
    assert "Hidden by moderators" not in clients["alice"].get(url).text
    assert admin.post(f"/admin/posts/nonsense/{question.id}/hide").status_code in (400, 404)


def test_hidden_answer_and_comment_show_only_to_author_and_admin(site):
    clients, _goal, question, answer, comment = site
    admin = clients["admin"]
    post_form(admin, f"/admin/posts/answer/{answer.id}/hide", {}, page="/admin/flags")
    post_form(admin, f"/admin/posts/comment/{comment.id}/hide", {}, page="/admin/flags")
    url = f"/questions/{question.id}"
    for name in ("anon", "alice"):
        text = clients[name].get(url).text
        assert f'id="answer-{answer.id}"' not in text and "Which race is it?" not in text
        assert "0 answers" in text
    for name in ("bob", "admin"):
        text = clients[name].get(url).text
        assert f'id="answer-{answer.id}"' in text and "Which race is it?" in text
        assert text.count("Hidden by moderators") == 2


def test_dismiss_from_the_queue(site):
    clients, goal, _question, *_ = site
    admin = clients["admin"]
    flag(clients["bob"], "goal", goal.id, "off_topic")
    response = post_form(admin, f"/admin/posts/goal/{goal.id}/dismiss", {}, page="/admin/flags")
    assert response.status_code == 302
    assert count(Flag, Flag.status == "dismissed") == 1
    assert clients["anon"].get(f"/goals/{goal.id}").status_code == 200
    post_form(admin, f"/admin/posts/goal/{goal.id}/dismiss", {}, page="/admin/flags")
    assert "no open flags" in admin.get("/admin/flags").text


def test_suspend_and_unsuspend_through_the_user_page(site, app):
    clients, *_ = site
    admin, bob = clients["admin"], clients["bob"]
    assert bob.get("/settings").status_code == 200
    response = post_form(admin, "/admin/users/bob", {"action": "suspend", "reason": ""})
    assert response.status_code == 422 and "required" in response.text.lower()
    response = post_form(admin, "/admin/users/bob", {"action": "explode", "reason": "x"})
    assert response.status_code == 400
    assert not db.session.scalar(select(User).where(User.username == "bob")).is_suspended
    response = post_form(
        admin, "/admin/users/bob", {"action": "suspend", "reason": "Spamming answers"}
    )
    assert response.status_code == 302
    assert "Spamming answers" in admin.get("/admin/users/bob").text
    # Every session of bob's ended at once; signing in says why (after the password).
    assert bob.get("/settings").status_code == 302
    again = app.test_client()
    response = login(again, "bob")
    assert response.status_code == 422 and "Spamming answers" in response.text
    response = login(again, "bob", "not the password")
    assert "Spamming answers" not in response.text
    response = post_form(admin, "/admin/users/admin", {"action": "suspend", "reason": "x"})
    assert response.status_code == 200 or response.status_code == 302
    assert not db.session.scalar(select(User).where(User.username == "admin")).is_suspended

    post_form(admin, "/admin/users/bob", {"action": "unsuspend", "reason": "appeal"})
    assert login(again, "bob").status_code == 302
    assert [
        a.action for a in db.session.scalars(select(ModerationAction).order_by(ModerationAction.id))
    ] == ["suspend", "unsuspend"]
    assert admin.get("/admin/users/nobody-here").status_code == 404
    assert 'href="/admin/users/bob"' in admin.get("/admin/log").text


def test_a_deleted_account_cannot_sign_in_and_its_session_ends(site, app):
    clients, *_ = site
    user = db.session.scalar(select(User).where(User.username == "bob"))
    user.deleted_at = user.created_at
    db.session.commit()
    assert clients["bob"].get("/settings").status_code == 302
    response = login(app.test_client(), "bob", PASSWORD)
    assert response.status_code == 422 and "suspended" not in response.text


def test_hidden_question_leaves_lists_but_question_count_is_untouched(site):
    clients, _goal, question, *_ = site
    admin = clients["admin"]
    post_form(admin, f"/admin/posts/question/{question.id}/hide", {}, page="/admin/flags")
    for name in ("anon", "alice", "admin"):
        assert question.title not in clients[name].get("/").text
    assert db.session.get(Question, question.id).hidden_at is not None

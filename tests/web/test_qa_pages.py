"""The Q&A journey through the web pages, with permissions and hostile input."""

import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Answer, Goal, Milestone, Question, User
from app.services.helpful import mark_helpful
from tests.builders import build_answer, build_goal, build_question
from tests.conftest import login, post_form
from tests.html_audit import audit

ATOM = "{http://www.w3.org/2005/Atom}"


def latest(model):
    db.session.commit()
    return db.session.scalars(select(model).order_by(model.id.desc())).first()


def test_full_journey_through_the_pages(app, make_user):
    asker, mentors = app.test_client(), [app.test_client(), app.test_client()]
    make_user("asker")
    for i, client in enumerate(mentors):
        make_user(f"mentor{i}")
        login(client, f"mentor{i}")
    login(asker, "asker")

    response = post_form(
        asker,
        "/goals/new",
        {
            "title": "Give my first conference talk",
            "description": "I want to **speak**.",
            "tags": "speaking, career",
            "target_date": "2027-05-01",
        },
    )
    assert response.status_code == 302
    goal = latest(Goal)
    for title in ("Write an abstract", "Submit to a conference"):
        post_form(asker, f"/goals/{goal.id}/milestones", {"title": title}, page=f"/goals/{goal.id}")
    milestone = latest(Milestone)
    post_form(asker, f"/milestones/{milestone.id}/toggle", {}, page=f"/goals/{goal.id}")
    post_form(
        asker,
        f"/goals/{goal.id}/journal",
        {"body": "Drafted two abstracts."},
        page=f"/goals/{goal.id}",
    )
    page = asker.get(f"/goals/{goal.id}").text
    assert "Write an abstract" in page and 'value="50"' in page and "Drafted two" in page

    response = post_form(
        asker,
        f"/ask?goal={goal.id}",
        {
            "title": "How do I write a conference abstract?",
            "body": "What works?",
            "tags": "speaking",
            "goal_id": str(goal.id),
        },
    )
    assert response.status_code == 302
    question = latest(Question)
    assert question.goal_id == goal.id
    url = f"/questions/{question.id}"
    for client in mentors:
        response = post_form(
            client,
            f"{url}/answers",
            {"body": "Lead with the problem, then the takeaway."},
            page=url,
        )
        assert response.status_code == 302
    first, second = db.session.scalars(select(Answer).order_by(Answer.id)).all()
    post_form(mentors[0], f"{url}/comments", {"body": "Which conference?"}, page=url)
    post_form(asker, f"/answers/{first.id}/comments", {"body": "Thanks!"}, page=url)
    post_form(asker, f"/answers/{second.id}/vote", {"value": "1"}, page=url)
    post_form(mentors[0], f"{url}/vote", {"value": "1"}, page=url)
    for answer in (first, second):
        post_form(asker, f"/answers/{answer.id}/helpful", {"action": "mark"}, page=url)
    post_form(asker, f"{url}/outcome", {"body": "Submitted; got accepted!"}, page=url)
    post_form(
        asker,
        f"{url}/edit",
        {"title": "How do I write a great abstract?", "body": "What works?", "tags": "speaking"},
    )

    reader = app.test_client()  # anonymous reader sees everything
    page = reader.get(url).text
    for text in (
        "How do I write a great abstract?",
        "Lead with the problem",
        "Which conference?",
        "Thanks!",
        "Submitted; got accepted!",
        "Helped the asker",
    ):
        assert text in page
    assert page.count("✓ Helped the asker") == 2
    history = reader.get(f"{url}/revisions").text
    assert "How do I write a conference abstract?" in history
    db.session.commit()
    assert db.session.scalar(select(User.reputation).where(User.username == "mentor1")) == 25
    assert db.session.scalar(select(User.reputation).where(User.username == "asker")) == 2
    for path in (
        "/",
        "/questions",
        "/goals",
        "/tags/speaking",
        "/users/asker",
        "/users/mentor0",
        f"/goals/{goal.id}",
    ):
        assert (
            "great abstract" in reader.get(path).text or "conference talk" in reader.get(path).text
        ), path


def test_answers_are_ordered_helpful_then_score(app, make_user, client):
    asker = make_user("asker")
    question = build_question(asker)
    plain = build_answer(make_user(), question, "The plain answer, written first.")
    marked = build_answer(make_user(), question, "The answer that helped the asker.")
    mark_helpful(asker, marked)
    page = client.get(f"/questions/{question.id}").text
    assert page.index("The answer that helped") < page.index("The plain answer")
    assert plain.id < marked.id


def test_permissions_on_pages(app, make_user):
    owner, other = make_user("owner"), make_user("other")
    goal = build_goal(owner)
    question = build_question(owner, goal=goal)
    answer = build_answer(other, question)
    client = app.test_client()
    login(client, "other")
    assert client.get(f"/goals/{goal.id}/edit").status_code == 403
    assert client.get(f"/questions/{question.id}/edit").status_code == 403
    assert client.get(f"/ask?goal={goal.id}").status_code == 403
    assert (
        post_form(
            client, f"/goals/{goal.id}/journal", {"body": "x"}, page=f"/goals/{goal.id}"
        ).status_code
        == 403
    )
    assert (
        post_form(
            client, f"/answers/{answer.id}/helpful", {}, page=f"/questions/{question.id}"
        ).status_code
        == 403
    )
    assert (
        post_form(
            client, f"/answers/{answer.id}/vote", {"value": "1"}, page=f"/questions/{question.id}"
        ).status_code
        == 403
    )
    owner_client = app.test_client()
    login(owner_client, "owner")
    assert owner_client.get(f"/answers/{answer.id}/edit").status_code == 403
    anonymous = app.test_client()
    assert anonymous.get("/ask").status_code == 302
    assert anonymous.get(f"/answers/{answer.id}/edit").status_code == 302
    for path in ("/goals/999", "/questions/999", "/answers/999/revisions", "/goals/999/revisions"):
        assert anonymous.get(path).status_code == 404
    db.session.commit()
    assert db.session.get(Answer, answer.id).score == 0


HOSTILE = [
    "<script>alert('x')</script>",
    "[click](javascript:alert(1))",
    '![x" onerror="alert(1)](y)',
    "<img src=x onerror=alert(1)>",
    "&lt;script&gt;alert(1)&lt;/script&gt; &#x3C;script&#x3E;",
    "\u202eevil RTL override \u202c and emoji 🎉",
]


@pytest.mark.parametrize("payload", HOSTILE)
def test_hostile_text_is_stored_and_rendered_harmless(app, make_user, payload):
    make_user("asker")
    client = app.test_client()
    login(client, "asker")
    title = ("Title " + payload)[:150].ljust(12, ".")
    response = post_form(client, "/ask", {"title": title, "body": payload, "tags": "security"})
    assert response.status_code == 302, response.text[:2000]
    question = latest(Question)
    assert question.body == payload.strip()
    post_form(
        client,
        f"/questions/{question.id}/answers",
        {"body": "Answer text: " + payload},
        page=f"/questions/{question.id}",
    )
    for path in (
        f"/questions/{question.id}",
        "/",
        "/questions",
        "/users/asker",
        f"/questions/{question.id}/revisions",
    ):
        page = client.get(path).text
        parsed = audit(page)
        assert parsed.inline_scripts == 0 and parsed.handlers == []
        assert not any(link.lower().startswith("javascript:") for link in parsed.links)
        assert "<script>alert" not in page
    feed = client.get("/feeds/questions.atom")
    ET.fromstring(feed.data)  # still well-formed XML


def test_form_errors_keep_input_and_write_nothing(app, make_user):
    make_user("asker")
    client = app.test_client()
    login(client, "asker")
    response = post_form(
        client, "/ask", {"title": "Short", "body": "body text", "tags": "a, b, c, d, e, f"}
    )
    assert response.status_code == 422
    assert "Title must be at least 10 characters." in response.text
    assert 'value="Short"' in response.text
    response = post_form(client, "/goals/new", {"title": "x" * 151, "tags": ""})
    assert response.status_code == 422
    question = build_question(db.session.get(User, 1))
    url = f"/questions/{question.id}"
    response = post_form(client, f"{url}/answers", {"body": "too short"}, page=url)
    assert response.status_code == 422 and "between 20 and 20000" in response.text
    response = post_form(client, f"{url}/comments", {"body": "c" * 601}, page=url)
    assert response.status_code == 422
    response = post_form(
        client, f"{url}/answers", {"body": "nul\x00byte in an answer text"}, page=url
    )
    assert response.status_code == 422 and "control characters" in response.text
    response = post_form(client, f"{url}/vote", {"value": "7"}, page=url)
    assert response.status_code == 422
    assert client.get("/questions?page=0").status_code == 422
    assert client.get("/questions?sort=bogus").status_code == 422
    assert client.get("/tags/" + "x" * 40).status_code == 404
    db.session.commit()
    assert db.session.scalar(select(db.func.count(Answer.id))) == 0
    assert db.session.scalar(select(db.func.count(Goal.id))) == 0


def test_big_bodies_are_accepted(app, make_user):
    make_user("asker")
    client = app.test_client()
    login(client, "asker")
    body = ("A long paragraph of real words. " * 700)[:19_999] + "!"
    response = post_form(
        client, "/ask", {"title": "A question with a long body", "body": body, "tags": "long"}
    )
    assert response.status_code == 302
    assert len(latest(Question).body) == 20_000


def test_atom_feeds_are_valid(app, make_user, client):
    asker = make_user("asker", display_name="Asker & <Co>")
    for i in range(3):
        build_question(asker, title=f"Question about feeds {i}", tags=["feeds", "atom"])
    build_question(asker, title="A question elsewhere", tags=["other"])
    for path, count in (("/feeds/questions.atom", 4), ("/feeds/tags/feeds.atom", 3)):
        response = client.get(path)
        assert response.status_code == 200 and response.mimetype == "application/atom+xml"
        root = ET.fromstring(response.data)
        assert root.tag == f"{ATOM}feed"
        for name in ("title", "id", "updated"):
            assert root.find(f"{ATOM}{name}").text
        entries = root.findall(f"{ATOM}entry")
        assert len(entries) == count
        for entry in entries:
            for name in ("title", "id", "updated", "published"):
                assert entry.find(f"{ATOM}{name}").text
            assert entry.find(f"{ATOM}author/{ATOM}name").text == "Asker & <Co>"
            assert entry.find(f"{ATOM}link").get("href").startswith("http")
    assert client.get("/feeds/tags/NOT VALID.atom").status_code == 404
    empty = ET.fromstring(client.get("/feeds/tags/nothing.atom").data)
    assert empty.findall(f"{ATOM}entry") == []


def test_home_and_lists_paginate(app, make_user, client):
    asker = make_user("asker")
    for i in range(23):
        build_question(asker, title=f"Paginated question {i:02d}")
    first = client.get("/").text
    assert "Paginated question 22" in first and "Paginated question 02" not in first
    second = client.get("/?page=2").text
    assert "Paginated question 02" in second and 'rel="prev"' in second
    page_two = client.get("/questions?page=2").text
    assert "Page 2" in page_two and "Paginated question 02" in page_two
    assert 'rel="next"' not in page_two
    assert client.get("/?page=99").status_code == 200


def test_imported_threads_credit_stack_exchange(app, make_user, client):
    question = build_question(make_user("asker"))
    question.external_id = "cstheory.meta:42"
    db.session.commit()
    page = client.get(f"/questions/{question.id}").text
    assert 'href="https://cstheory.meta.stackexchange.com/q/42"' in page and "CC BY-SA" in page
    own = build_question(make_user("other"), title="A question written here")
    assert "CC BY-SA" not in client.get(f"/questions/{own.id}").text


def test_posting_is_rate_limited(app, make_user):
    asker = make_user("asker")
    question = build_question(asker)
    client = app.test_client()
    login(client, "asker")
    url = f"/questions/{question.id}"
    statuses = [
        post_form(client, f"{url}/comments", {"body": f"comment {i}"}, page=url).status_code
        for i in range(31)
    ]
    assert statuses[:30] == [302] * 30 and statuses[30] == 429

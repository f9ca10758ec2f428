"""Follow buttons on tag, goal and question pages; the /following page; profile extras."""

import re
from xml.etree import ElementTree

import pytest

from app.extensions import db
from app.models import Follow, Goal
from app.services import mentorship, votes
from app.services.helpful import mark_helpful
from tests.builders import build_answer, build_goal, build_question
from tests.conftest import csrf_token_from, login
from tests.helpers import count

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def people(make_user):
    return (make_user("alice"), make_user("bob", timezone="Asia/Kolkata"), make_user("mentor"))


def click(client, page: str, action: str, target_type: str, key) -> object:
    token = csrf_token_from(client.get(page))
    return client.post(f"/{action}/{target_type}/{key}", data={"csrf_token": token, "next": page})


def test_follow_buttons_on_tag_goal_and_question_pages(client, people):
    alice, _, mentor = people
    goal = build_goal(alice)
    question = build_question(alice, goal=goal)
    answer = build_answer(mentor, question)
    pages = {
        "tag": ("/tags/speaking", "speaking"),
        "goal": (f"/goals/{goal.id}", goal.id),
        "question": (f"/questions/{question.id}", question.id),
    }
    for page, _ in pages.values():
        assert 'action="/follow/' not in client.get(page).text  # anonymous: no button
    login(client, "bob")
    for target_type, (page, key) in pages.items():
        html = client.get(page).text
        assert f'action="/follow/{target_type}/{key}"' in html
        response = click(client, page, "follow", target_type, key)
        assert response.status_code == 302 and response.headers["Location"].endswith(page)
        html = client.get(page).text
        assert f'action="/unfollow/{target_type}/{key}"' in html and "Unfollow" in html
    click(client, pages["tag"][0], "follow", "tag", "speaking")  # twice: still fine
    feed = client.get("/following").text
    assert question.title in feed and f"#answer-{answer.id}" in feed
    assert feed.count('action="/unfollow/') == 3
    assert click(client, "/following", "unfollow", "tag", "speaking").status_code == 302
    assert client.get("/following").text.count('action="/unfollow/') == 2


def test_bad_follow_requests_never_fail_with_500(client, people):
    alice = people[0]
    goal = build_goal(alice)
    login(client, "bob")
    page = f"/goals/{goal.id}"
    # An unused tag name follows like any other (rule 7: tag existence is no oracle).
    assert click(client, page, "follow", "tag", "unknown-tag").status_code == 302
    assert click(client, page, "follow", "tag", "Bad%20Tag").status_code == 404
    assert click(client, page, "follow", "user", "alice").status_code == 404
    assert click(client, page, "follow", "goal", "abc").status_code == 404
    assert click(client, page, "follow", "goal", 99999999).status_code == 404
    assert click(client, page, "follow", "goal", "9" * 40).status_code == 404
    assert click(client, page, "explode", "goal", goal.id).status_code == 404
    assert client.post(f"/follow/goal/{goal.id}", data={}).status_code == 400  # no CSRF
    # An off-site "next" is ignored.
    token = csrf_token_from(client.get(page))
    response = client.post(
        f"/follow/goal/{goal.id}", data={"csrf_token": token, "next": "https://evil.example/"}
    )
    assert response.headers["Location"].endswith(page)
    assert client.get("/following?page=abc").status_code in (400, 422)


def test_following_needs_sign_in(client):
    assert client.get("/following").status_code == 302
    # A valid CSRF token, so what answers is login_required (not the CSRF check).
    token = csrf_token_from(client.get("/login"))
    response = client.post("/follow/tag/python", data={"csrf_token": token})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert count(Follow) == 0


def test_closed_goal_content_disappears_from_the_feed(client, people):
    alice, _, mentor = people
    goal = build_goal(alice, title="Run my first marathon this year")
    question = build_question(alice, goal=goal, title="How long should my longest run be?")
    answer = build_answer(mentor, question, body="Build up to about 32 km three weeks out.")
    public = build_question(mentor, title="What should I eat before a long run?")
    login(client, "bob")
    click(client, f"/goals/{goal.id}", "follow", "goal", goal.id)
    click(client, "/tags/speaking", "follow", "tag", "speaking")
    feed = client.get("/following").text
    assert question.title in feed and public.title in feed
    mentorship.accept(
        mentor, mentorship.invite(alice, db.session.get(Goal, goal.id), "mentor", "Hi")
    )
    feed = client.get("/following").text
    assert public.title in feed
    for secret in (question.title, goal.title, f"answer-{answer.id}", f"/goals/{goal.id}"):
        assert secret not in feed
    assert "no longer public" in feed
    assert client.get(f"/goals/{goal.id}").status_code == 404
    # Unfollowing the hidden goal still works.
    assert click(client, "/following", "unfollow", "goal", goal.id).status_code == 302
    assert "no longer public" not in client.get("/following").text


def test_profile_shows_chart_local_time_and_helped_count(client, people):
    alice, bob, mentor = people
    question = build_question(alice)
    answer = build_answer(bob, question)
    votes.cast_vote(mentor, answer, 1)
    votes.cast_vote(alice, answer, 1)
    mark_helpful(alice, answer)
    html = client.get("/users/bob").text
    assert re.search(r"local time <span class=\"local-time\">\d\d:\d\d</span>", html)
    assert "1 answer marked “helped me”" in html
    start = html.index('<svg xmlns="http://www.w3.org/2000/svg" class="rep-chart"')
    root = ElementTree.fromstring(html[start : html.index("</svg>", start) + 6])
    assert root.get("role") == "img" and "35 in total" in root.get("aria-label")
    assert "35 in total" in root.find(f"{SVG}title").text
    assert [r.find(f"{SVG}title").text.endswith("+35") for r in root.iter(f"{SVG}rect")] == [True]
    assert "+35 reputation in the last 26 weeks" in html
    empty = client.get("/users/mentor").text
    start = empty.index('<svg xmlns="http://www.w3.org/2000/svg" class="rep-chart"')
    ElementTree.fromstring(empty[start : empty.index("</svg>", start) + 6])
    assert "No reputation earned" in empty and "helped me”." not in empty

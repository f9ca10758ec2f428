"""Private content loads no image from other sites: no tracking pixel tells a third party
who read a private message, agreement, check-in or private post, and when."""

import re

import pytest

from app.services import mentorship
from app.services.tokens import issue_token
from tests.builders import build_goal, build_question
from tests.conftest import bearer, login

API = "/api/v1"
PIXEL = "https://tracker.example/open.gif"
TEXT = f"Look ![chart]({PIXEL}) and <img src='{PIXEL}'> and ![logo](/static/logo.png)"


def external_images(html: str) -> list[str]:
    return [tag for tag in re.findall(r"<img[^>]*>", html) if "tracker" in tag]


def rendered(value) -> str:
    """Every *_html field of an API object, joined (the sources keep the text as written)."""
    if isinstance(value, dict):
        return " ".join(
            v if k.endswith("_html") and isinstance(v, str) else rendered(v)
            for k, v in value.items()
        )
    if isinstance(value, list):
        return " ".join(rendered(v) for v in value)
    return ""


@pytest.fixture
def pair(app, make_user, relaxed_posting):
    owner, mentor = make_user("owner"), make_user("mentor")
    goal = build_goal(owner, title="Run a half marathon in spring")
    question = build_question(owner, title="Which shoes for a first half marathon?", goal=goal)
    request = mentorship.invite(owner, goal, "mentor", "Would you mentor me?")
    mentorship.accept(mentor, request)
    return goal, question, bearer(issue_token(owner)[0]), bearer(issue_token(mentor)[0])


def test_private_api_content_has_no_third_party_images(client, pair):
    goal, question, owner, mentor = pair
    created = [
        client.post(f"{API}/goals/{goal.id}/messages", json={"body": TEXT}, headers=owner),
        client.put(
            f"{API}/goals/{goal.id}/agreement",
            headers=mentor,
            json={
                "modes": ["message"],
                "cadence": "weekly",
                "response_time_hours": 24,
                "success_criteria": TEXT,
            },
        ),
        client.post(
            f"{API}/goals/{goal.id}/checkins",
            headers=owner,
            json={"scheduled_at": "2031-01-01T10:00:00Z", "agenda": TEXT, "notes": TEXT},
        ),
        client.post(
            f"{API}/questions",
            headers=owner,
            json={
                "title": "A private question in the closed goal",
                "body": TEXT,
                "tags": ["x"],
                "goal_id": goal.id,
            },
        ),
        client.post(f"{API}/questions/{question.id}/answers", headers=mentor, json={"body": TEXT}),
    ]
    for response in created:
        assert response.status_code in (200, 201), response.get_json()
        html = rendered(response.get_json())
        assert f'href="{PIXEL}"' in html  # offered as a link the reader may follow
        assert not external_images(html), html
        assert 'src="/static/logo.png"' in html  # the site's own images still show


def test_private_pages_show_no_third_party_images(app, client, pair):
    goal, _, owner, _ = pair
    assert (
        client.post(
            f"{API}/goals/{goal.id}/messages", json={"body": TEXT}, headers=owner
        ).status_code
        == 201
    )
    browser = app.test_client()
    login(browser, "mentor")
    page = browser.get(f"/goals/{goal.id}").text
    assert "chart (image)" in page and not external_images(page)


def test_public_content_keeps_its_images(client, make_user):
    headers = bearer(issue_token(make_user("ada"))[0])
    response = client.post(
        f"{API}/questions",
        headers=headers,
        json={
            "title": "A public question with a chart",
            "body": f"![chart]({PIXEL})",
            "tags": ["x"],
        },
    )
    assert response.status_code == 201 and external_images(response.get_json()["body_html"])

"""Web pages and forms with numbers int() cannot read or text that cannot be stored: no 500.

Each case here was a 500 before the one number parser (parse_int/parse_id) and the request
text gate (app/request_input.py).
"""

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Answer, Flag
from tests.builders import build_goal, build_question
from tests.conftest import csrf_token_from, login, post_form


@pytest.fixture
def ada(client, make_user):
    user = make_user("ada")
    login(client, "ada")
    return user


@pytest.mark.parametrize("value", ["²", "١", "12²", "99999999999999999999", "9" * 5000, "-1"])
def test_ask_with_a_goal_that_is_not_an_id_shows_the_plain_form(client, ada, value):
    goal = build_goal(ada, title="My goal for the ask page")
    response = client.get("/ask", query_string={"goal": value})
    assert response.status_code == 200 and goal.title not in response.text
    assert goal.title in client.get(f"/ask?goal={goal.id}").text


@pytest.mark.parametrize("value", ["²", "١", "99999999999999999999", "9" * 5000])
def test_mentor_directory_explains_a_bad_time_zone_range(client, ada, value):
    response = client.get("/mentors", query_string={"tz": "UTC", "tz_range": value})
    assert response.status_code == 200
    assert "must be 0–12 hours" in response.text


@pytest.mark.parametrize("value", ["²", "١", "99999999999999999999", "9" * 5000, ""])
def test_flagging_a_post_whose_id_is_not_an_id_changes_nothing(client, ada, make_user, value):
    question = build_question(make_user("bob"))
    page = f"/questions/{question.id}"
    token = csrf_token_from(client.get(page))
    response = client.post(
        "/flags",
        data={"csrf_token": token, "type": "question", "id": value, "reason": "spam", "next": page},
    )
    assert response.status_code in (404, 422)
    assert db.session.scalar(select(func.count()).select_from(Flag)) == 0


def test_follow_buttons_with_bad_ids_are_404(client, ada):
    token = csrf_token_from(client.get("/"))
    for key in ("²", "١", "99999999999999999999"):
        response = client.post(f"/follow/goal/{key}", data={"csrf_token": token})
        assert response.status_code == 404, key


@pytest.mark.parametrize("segment", ["١", "99999999999999999999", "2147483648"])
def test_page_ids_beyond_ascii_or_the_column_are_404(client, ada, segment):
    for url in (f"/questions/{segment}", f"/goals/{segment}", f"/goals/{segment}/revisions"):
        assert client.get(url).status_code == 404, url


def test_nul_in_a_form_field_is_refused_and_nothing_is_saved(client, ada, make_user):
    question = build_question(make_user("bob"))
    page = f"/questions/{question.id}"
    response = post_form(
        client, f"{page}/answers", {"body": "An answer long enough \x00 here"}, page=page
    )
    assert response.status_code == 422 and "control characters" in response.text
    assert db.session.scalar(select(func.count()).select_from(Answer)) == 0

"""Editing the profile and password in /settings; public profile pages."""

import pytest

from app.extensions import db
from app.models import User
from tests.conftest import PASSWORD, login, post_form

PROFILE = {
    "profile-display_name": "Alice A.",
    "profile-bio": "I *love* databases <script>alert(1)</script>",
    "profile-skills": "Python, SQL",
    "profile-location": "Lisbon",
    "profile-timezone": "Europe/Lisbon",
    "profile-mentor_available": "y",
    "profile-mentor_topics": "databases",
    "profile-preferred_modes": ["message", "video"],
    "profile-availability": "Evenings",
    "profile-response_time_hours": "24",
    "profile-submit": "1",
}


@pytest.fixture
def alice(client, make_user):
    user = make_user("alice")
    login(client, "alice")
    return user


def reload(username="alice") -> User:
    db.session.expire_all()
    return db.session.scalar(db.select(User).where(User.username == username))


def test_settings_saves_every_profile_field(client, alice):
    response = post_form(client, "/settings", PROFILE)
    assert response.status_code == 302
    user = reload()
    assert user.display_name == "Alice A." and user.location == "Lisbon"
    assert [t.name for t in user.skills] == ["python", "sql"]
    assert [t.name for t in user.mentor_topics] == ["databases"]
    assert user.preferred_modes == ["message", "video"] and user.response_time_hours == 24
    assert user.mentor_available and user.timezone == "Europe/Lisbon"
    assert "<script" not in user.bio_html and "<em>love</em>" in user.bio_html
    page = client.get("/settings").text
    assert 'value="Alice A."' in page and "python, sql" in page


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("profile-timezone", "Mars/Base", "Choose a time zone"),
        ("profile-display_name", "x" * 61, "longer than 60"),
        ("profile-display_name", "bad\x00name", "control characters"),
        ("profile-bio", "x" * 5001, "longer than 5000"),
        ("profile-skills", "ok, <b>", "Tags use"),
        ("profile-response_time_hours", "soon", "Not a valid integer"),
        ("profile-response_time_hours", "0", "between 1 and 720"),
        ("profile-preferred_modes", "telepathy", "not a valid choice"),
    ],
)
def test_bad_profile_input_shows_error_and_changes_nothing(client, alice, field, value, message):
    response = post_form(client, "/settings", {**PROFILE, field: value})
    assert response.status_code == 422
    assert message in response.text
    user = reload()
    assert user.display_name == "" and user.bio == "" and user.skills == []


def test_password_change_keeps_this_session_and_ends_others(app, client, alice):
    other_device = app.test_client()
    login(other_device, "alice")
    assert other_device.get("/settings").status_code == 200
    wrong = post_form(
        client,
        "/settings",
        {
            "password-current_password": "not my password",
            "password-new_password": "a new password",
            "password-confirm": "a new password",
            "password-submit": "1",
        },
    )
    assert wrong.status_code == 422 and "Current password is wrong." in wrong.text
    response = post_form(
        client,
        "/settings",
        {
            "password-current_password": PASSWORD,
            "password-new_password": "a new password",
            "password-confirm": "a new password",
            "password-submit": "1",
        },
    )
    assert response.status_code == 302
    assert client.get("/settings").status_code == 200
    assert other_device.get("/settings").status_code == 302  # signed out
    assert login(app.test_client(), "alice", "a new password").status_code == 302


def test_password_change_mismatch_and_short(client, alice):
    response = post_form(
        client,
        "/settings",
        {
            "password-current_password": PASSWORD,
            "password-new_password": "short",
            "password-confirm": "different",
            "password-submit": "1",
        },
    )
    assert response.status_code == 422
    assert "Passwords do not match." in response.text
    assert "between 10 and 256" in response.text


def test_profile_page_is_public_and_never_shows_email(client, make_user):
    make_user(
        "alice",
        display_name="Alice <b>A</b>",
        bio="Hi **there**",
        skills=["python"],
        timezone="Asia/Tokyo",
        mentor_available=True,
        mentor_topics=["career"],
    )
    page = client.get("/users/ALICE")
    assert page.status_code == 200
    assert "alice@example.org" not in page.text
    assert "Alice &lt;b&gt;A&lt;/b&gt;" in page.text
    assert "<strong>there</strong>" in page.text
    assert "Available to mentor" in page.text and "career" in page.text
    assert client.get("/users/nobody").status_code == 404
    assert client.get("/users/" + "x" * 300).status_code == 404

"""The /mentors directory: filters, pagination and bad input (never a 500)."""

import pytest

from app.services import accounts
from tests.api.conftest import _test_password_hash
from tests.conftest import PASSWORD, login


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch):
    """Users here share one real hash of the test password (dozens of accounts per test)."""
    real = accounts.hash_password
    monkeypatch.setattr(
        accounts,
        "hash_password",
        lambda password: _test_password_hash() if password == PASSWORD else real(password),
    )


@pytest.fixture
def mentors(make_user):
    make_user(
        "ana",
        display_name="Ana Silva",
        mentor_available=True,
        mentor_topics=["python", "databases"],
        skills=["sql"],
        timezone="Europe/Lisbon",
        availability="Weekday evenings",
        bio="I tune *PostgreSQL* for fun.",
    )
    make_user(
        "bert",
        mentor_available=True,
        mentor_topics=["interviews"],
        skills=["python"],
        timezone="Europe/Berlin",
        availability="Weekends",
    )
    make_user(
        "chen",
        mentor_available=True,
        mentor_topics=["python"],
        timezone="Asia/Shanghai",
        availability="Mornings 100% of the time",
    )
    make_user("dora", mentor_available=False, mentor_topics=["python"], timezone="UTC")


def names(html: str) -> set[str]:
    return {name for name in ("ana", "bert", "chen", "dora") if f"@{name}<" in html}


@pytest.mark.parametrize(
    "query, expected",
    [
        ("", {"ana", "bert", "chen"}),
        ("?topic=python", {"ana", "chen"}),
        ("?topic=PYTHON", {"ana", "chen"}),
        ("?availability=evenings", {"ana"}),
        ("?availability=100%25", {"chen"}),
        ("?availability=_", set()),
        ("?q=silva", {"ana"}),
        ("?q=postgresql", {"ana"}),
        ("?q=python", {"bert"}),  # a skill
        ("?tz=Europe/Berlin&tz_range=0", {"bert"}),
        ("?tz=Europe/Berlin&tz_range=1", {"ana", "bert"}),
        ("?tz=UTC%2B8&tz_range=0", {"chen"}),
        ("?tz=%2B08:00&tz_range=1", {"chen"}),
        ("?tz=Europe/Berlin&tz_range=12&topic=python&availability=e", {"ana", "chen"}),
    ],
)
def test_filters(client, mentors, query, expected):
    response = client.get("/mentors" + query)
    assert response.status_code == 200
    assert names(response.text) == expected


def test_an_unknown_topic_lists_nobody_without_saying_the_tag_is_unknown(client, mentors):
    # Whether a tag exists could tell it is used on private posts only (rule 7).
    response = client.get("/mentors?topic=no-such-topic")
    assert response.status_code == 200 and names(response.text) == set()
    assert "No tag named" not in response.text and 'role="alert"' not in response.text


@pytest.mark.parametrize(
    "query, message",
    [
        ("?topic=Bad%20Tag!", "is not a tag name"),
        ("?tz=Mars/Base", "is not a time zone"),
        ("?tz=UTC%2B99", "is not a time zone"),
        ("?tz=Europe/Berlin&tz_range=abc", "must be 0–12 hours"),
        ("?tz=Europe/Berlin&tz_range=-3", "must be 0–12 hours"),
        ("?tz=%00", "is not a time zone"),
    ],
)
def test_bad_filters_are_explained_not_fatal(client, mentors, query, message):
    response = client.get("/mentors" + query)
    assert response.status_code == 200
    assert message in response.text and 'role="alert"' in response.text
    if "Mars" in query:
        assert names(response.text) == {"ana", "bert", "chen"}


def test_bad_page_and_long_input(client, mentors):
    assert client.get("/mentors?page=abc").status_code in (400, 422)
    assert client.get("/mentors?page=0").status_code in (400, 422)
    assert client.get("/mentors?q=" + "x" * 5000).status_code == 200
    assert client.get("/mentors?availability=%ff%fe").status_code == 200


def test_pagination_keeps_filters(client, make_user):
    for i in range(23):
        make_user(f"mentor{i:02d}", mentor_available=True, mentor_topics=["python"])
    first = client.get("/mentors?topic=python").text
    assert "23 mentors" in first and 'href="/mentors?page=2&amp;topic=python"' in first
    second = client.get("/mentors?topic=python&page=2").text
    assert second.count('class="summary"') == 3


def test_nav_links(client, make_user):
    make_user("alice")
    assert 'href="/mentors"' in client.get("/").text
    assert 'href="/following"' not in client.get("/").text
    login(client, "alice")
    assert 'href="/following"' in client.get("/").text


def test_blocked_suspended_and_deleted_mentors_are_not_listed(client, mentors, make_user):
    """Whoever blocked the viewer (or was blocked) could not be invited: not listed either."""
    from datetime import UTC, datetime

    from app.extensions import db
    from app.models import User
    from app.services.blocks import block

    make_user("vera")
    ana = db.session.scalar(db.select(User).filter_by(username="ana"))
    block(ana, "vera")
    login(client, "vera")
    assert names(client.get("/mentors").get_data(as_text=True)) == {"bert", "chen"}
    anonymous = client.application.test_client()
    assert names(anonymous.get("/mentors").get_data(as_text=True)) == {"ana", "bert", "chen"}
    for name, column in (("bert", "suspended_at"), ("chen", "deleted_at")):
        user = db.session.scalar(db.select(User).filter_by(username=name))
        setattr(user, column, datetime.now(UTC))
    db.session.commit()
    assert names(anonymous.get("/mentors").get_data(as_text=True)) == {"ana"}

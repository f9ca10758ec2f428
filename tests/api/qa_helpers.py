"""Helpers for the Q&A API tests: callers with tokens, row counts, error checks."""

from sqlalchemy import select

from app.extensions import db
from app.models import (
    Answer,
    Comment,
    Goal,
    HelpfulMark,
    JournalEntry,
    Milestone,
    Outcome,
    Question,
    Revision,
    Tag,
    User,
    Vote,
)
from app.services import mentorship
from tests.helpers import count

API = "/api/v1"
GOAL = {
    "title": "Give my first conference talk",
    "description": "Ten minutes on *testing*.",
    "tags": ["speaking", "Python"],
}
QUESTION = {
    "title": "How do I write a conference abstract?",
    "body": "I have never written one. **Tips?**",
    "tags": ["speaking"],
}
ANSWER = "Start from the one thing people should remember, then work backwards."
CONTENT_MODELS = (
    Goal,
    Milestone,
    JournalEntry,
    Question,
    Answer,
    Comment,
    Vote,
    HelpfulMark,
    Outcome,
    Revision,
    Tag,
)


def snapshot() -> dict:
    """Row counts of every Q&A table: compare before/after to prove nothing was written."""
    return {model.__name__: count(model) for model in CONTENT_MODELS}


def reputation(username: str) -> int:
    db.session.expire_all()
    return db.session.scalar(select(User.reputation).where(User.username == username))


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, (response.status_code, response.data[:500])
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}, body
    assert body["error"]["code"] == code and body["error"]["message"]
    return body["error"]


def created(response) -> dict:
    assert response.status_code == 201, (response.status_code, response.get_json())
    return response.get_json()


def ok(response) -> dict:
    assert response.status_code == 200, (response.status_code, response.get_json())
    return response.get_json()


def close_goal(goal_id: int, mentor_username: str) -> None:
    """Switch a goal to a closed mentorship through the services (invite, accept)."""
    goal = db.session.get(Goal, goal_id)
    mentor = db.session.scalar(select(User).where(User.username == mentor_username))
    request = mentorship.invite(goal.owner, goal, mentor.username, "Would you mentor me?")
    mentorship.accept(mentor, request)
    db.session.commit()

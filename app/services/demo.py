"""Demo data for a living local site: demo users, their goals and questions, all through the
services. The content is data (data/demo/*.toml in the repository); the real Stack Exchange
threads beside it (data/stackexchange/) are loaded by the importer.

Everything here is idempotent: users are found by username, goals and questions by owner and
title. Each demo goal (milestones, journal, questions, answers, marks, outcome, invite and
mentorship with its private space) is written in one transaction, so a goal exists complete
or not at all.
"""

import tomllib
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from pathlib import Path

from sqlalchemy import select

from app.core.transaction import write_transaction
from app.extensions import db
from app.models import Goal, Question
from app.models.base import utcnow
from app.services.accounts import find_user_by_login, register_user, update_profile
from app.services.demo_builder import ask_alone, create_goal, names_in
from app.services.demo_clock import DemoClock
from app.services.passwords import hash_password

DEMO_PASSWORD = "journster-demo"  # noqa: S105  (published in the README on purpose)
DATA_DIR = Path(__file__).resolve().parents[2] / "data"
DEMO_DIR = DATA_DIR / "demo"
STACKEXCHANGE_DIR = DATA_DIR / "stackexchange"
USERS_JOINED = timedelta(days=200)  # before the oldest demo story


@lru_cache(maxsize=4)
def _load(name: str) -> dict:
    with (DEMO_DIR / name).open("rb") as file:
        return tomllib.load(file)


def demo_users() -> list[dict]:
    """The demo accounts' profiles (data/demo/users.toml)."""
    return _load("users.toml")["users"]


def demo_goals() -> list[dict]:
    """The demo goals (data/demo/goals.toml)."""
    return _load("goals.toml")["goals"]


def demo_questions() -> list[dict]:
    """The demo questions outside any goal (data/demo/goals.toml)."""
    return _load("goals.toml")["questions"]


@dataclass
class DemoSummary:
    """What a demo run created."""

    goals: int = 0
    goals_existing: int = 0
    questions: int = 0
    questions_existing: int = 0

    def __str__(self) -> str:
        return (
            f"Demo goals: {self.goals} created, {self.goals_existing} already there; "
            f"demo questions: {self.questions} created, {self.questions_existing} "
            "already there."
        )


def ensure_demo_users() -> int:
    """Create the demo accounts that do not exist yet; returns how many were created."""
    created = 0
    shared_hash = None  # one slow hash for every demo account: they share a public password
    now = utcnow()
    clock = DemoClock(now - USERS_JOINED, now - USERS_JOINED / 2, len(demo_users()))
    with clock.running(db.session()):  # members for a while before their stories start
        for spec in demo_users():
            clock.tick()
            if find_user_by_login(spec["username"]) is not None:
                continue
            profile = {
                k: val for k, val in spec.items() if k not in ("username", "email", "display_name")
            }
            shared_hash = shared_hash or hash_password(DEMO_PASSWORD)
            user = register_user(
                spec["username"],
                spec["email"],
                DEMO_PASSWORD,
                display_name=spec["display_name"],
                password_hash=shared_hash,
                verified=True,
            )
            update_profile(user, profile)
            created += 1
    return created


def ensure_demo_content() -> DemoSummary:
    """Create the demo goals, then the questions outside goals, that do not exist yet.

    Items whose people are missing (the demo users come first) are left out.
    """
    summary = DemoSummary()
    now = utcnow()
    for spec in demo_goals():
        done = _ensure(spec, Goal, lambda users, s=spec: create_goal(s, users, now))
        summary.goals += done is True
        summary.goals_existing += done is False
    for spec in demo_questions():
        done = _ensure(spec, Question, lambda users, s=spec: ask_alone(s, users, now))
        summary.questions += done is True
        summary.questions_existing += done is False
    return summary


def _ensure(spec: dict, model, build) -> bool | None:
    """Build the item in one transaction unless it exists (False) or a user is missing."""
    users = {name: find_user_by_login(name) for name in names_in(spec)}
    if any(user is None for user in users.values()):
        return None
    owner = users[spec["owner"]]
    assert owner is not None  # every user was found (above)
    exists = db.session.scalar(
        select(model.id).where(model.owner_id == owner.id, model.title == spec["title"])
    )
    if exists is not None:
        return False
    with write_transaction():  # the services' own transactions join this one
        build(users)
    return True

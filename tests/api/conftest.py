"""Fixtures for the API tests: bearer-token callers and a relaxed posting limit."""

from functools import lru_cache

import pytest

from app.services import accounts
from app.services.passwords import hash_password
from app.services.tokens import issue_token
from tests.conftest import PASSWORD, bearer


@lru_cache(maxsize=1)
def _test_password_hash() -> str:
    return hash_password(PASSWORD)


@pytest.fixture
def relaxed_posting(app):
    """Lift the posting limit so a long flow from one test IP is not throttled."""
    app.config["RATELIMIT_POSTING"] = "10000 per minute"


@pytest.fixture
def caller(make_user, monkeypatch):
    """Builder: a new user and the Authorization header of a fresh bearer token.

    Users made here share one real argon2 hash of the test password (computed once), so
    dozens of accounts per test do not cost a deliberately slow hash each.
    """
    monkeypatch.setattr(
        accounts,
        "hash_password",
        lambda password: _test_password_hash() if password == PASSWORD else hash_password(password),
    )

    def build(username: str, **profile) -> dict:
        user = make_user(username, **profile)
        plain, _ = issue_token(user)
        return bearer(plain)

    return build

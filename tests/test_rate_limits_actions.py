"""Votes, flags, follows and blocks: RATELIMIT_* per IP and per account, web and API (SPEC §3.1).

The limit is lowered to 3 per minute here; the defaults (60 per minute) are checked too.
Every kind has its own buckets, and a 429 carries Retry-After.
"""

import pytest

from app.config import Config
from app.services.tokens import issue_token
from tests.builders import build_question
from tests.conftest import bearer, csrf_token_from, login

API = "/api/v1"
LIMIT = 3


def ip(n: int) -> dict:
    return {"REMOTE_ADDR": f"10.66.0.{n}"}


@pytest.fixture
def world(app, make_user):
    """Three users; bob asked a public question tagged "speaking"."""
    users = {name: make_user(name) for name in ("ada", "bob", "cyd")}
    question = build_question(users["bob"])
    for name in ("VOTES", "FLAGS", "FOLLOWS", "BLOCKS"):
        app.config[f"RATELIMIT_{name}"] = f"{LIMIT} per minute"
    return users, question


def api_action(kind: str, client, question, headers, address):
    """One state-changing API call of the given kind; its status code."""
    calls = {
        "votes": lambda: client.post(
            f"{API}/questions/{question.id}/votes",
            json={"value": 1},
            headers=headers,
            environ_base=address,
        ),
        "flags": lambda: client.post(
            f"{API}/flags",
            headers=headers,
            environ_base=address,
            json={"type": "question", "id": question.id, "reason": "spam"},
        ),
        "follows": lambda: client.put(
            f"{API}/follows/tag/speaking", headers=headers, environ_base=address
        ),
        "blocks": lambda: client.put(
            f"{API}/users/bob/block", headers=headers, environ_base=address
        ),
    }
    return calls[kind]()


KINDS = ["votes", "flags", "follows", "blocks"]


def test_defaults_are_the_documented_60_per_minute():
    for name in ("VOTES", "FLAGS", "FOLLOWS", "BLOCKS"):
        assert getattr(Config, f"RATELIMIT_{name}") == "60 per minute"


@pytest.mark.parametrize("kind", KINDS)
def test_api_actions_are_limited_per_account_and_per_ip(app, client, world, kind):
    users, question = world
    ada = bearer(issue_token(users["ada"])[0])
    cyd = bearer(issue_token(users["cyd"])[0])
    codes = [api_action(kind, client, question, ada, ip(1)).status_code for _ in range(LIMIT)]
    assert 429 not in codes and all(code < 500 for code in codes), codes
    refused = api_action(kind, client, question, ada, ip(1))
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert refused.get_json()["error"]["code"] == "rate_limited"
    # The same account from another address: its own bucket is empty too.
    assert api_action(kind, client, question, ada, ip(2)).status_code == 429
    # Another account from the used-up address: the address's bucket is.
    assert api_action(kind, client, question, cyd, ip(1)).status_code == 429
    # Another account from another address, and other kinds, are not affected.
    assert api_action(kind, client, question, cyd, ip(3)).status_code != 429
    for other in KINDS:
        if other != kind:
            assert api_action(other, client, question, ada, ip(4)).status_code != 429, other


def web_action(kind: str, client, question, address):
    page = f"/questions/{question.id}"
    token = csrf_token_from(client.get(page))
    urls = {
        "votes": (f"{page}/vote", {"value": "1"}),
        "flags": (
            "/flags",
            {"type": "question", "id": str(question.id), "reason": "spam", "next": page},
        ),
        "follows": ("/follow/tag/speaking", {"next": page}),
        "blocks": ("/users/bob/block", {}),
    }
    url, data = urls[kind]
    return client.post(url, data={"csrf_token": token, **data}, environ_base=address)


@pytest.mark.parametrize("kind", KINDS)
def test_web_actions_share_the_limit_and_answer_a_page(app, world, kind):
    users, question = world
    client = app.test_client()
    login(client, "ada")
    codes = [web_action(kind, client, question, ip(5)).status_code for _ in range(LIMIT)]
    assert 429 not in codes and all(code < 500 for code in codes), codes
    refused = web_action(kind, client, question, ip(5))
    assert refused.status_code == 429 and refused.mimetype == "text/html"
    assert int(refused.headers["Retry-After"]) > 0
    # The API counts in the same per-account bucket.
    ada = bearer(issue_token(users["ada"])[0])
    assert api_action(kind, client, question, ada, ip(6)).status_code == 429

"""Rate limits on comments, private messages and search (SPEC §3.1), web and API."""

import os
import subprocess
import sys
import uuid

import pytest
import redis

from app.extensions import db
from app.models import Comment, Message
from app.services import mentorship
from app.services.tokens import issue_token
from tests.builders import build_answer, build_goal, build_question
from tests.conftest import PROJECT_ROOT, bearer, csrf_token_from, login
from tests.helpers import count

API = "/api/v1"


def ip(n: int) -> dict:
    return {"REMOTE_ADDR": f"10.77.{n // 250}.{n % 250 + 1}"}


def assert_429_json(response):
    assert response.status_code == 429
    assert response.get_json()["error"]["code"] == "rate_limited"
    assert response.get_json()["error"]["message"]
    assert int(response.headers["Retry-After"]) > 0


def assert_429_page(response):
    assert response.status_code == 429
    assert response.mimetype == "text/html"
    assert "Too many requests" in response.text
    assert int(response.headers["Retry-After"]) > 0


@pytest.fixture
def pair(app, make_user):
    """An owner and mentor in an accepted mentorship, with a public question answered."""
    owner, mentor = make_user("owner"), make_user("mentor")
    question = build_question(owner, title="Which shoes for a first half marathon?")
    build_answer(mentor, question)
    goal = build_goal(owner, title="Run a half marathon in spring")
    request = mentorship.invite(owner, goal, "mentor", "Would you mentor me?")
    mentorship.accept(mentor, request)
    db.session.commit()
    return owner, mentor, goal, question


def test_web_comments_share_the_posting_limit(app, pair):
    app.config["RATELIMIT_POSTING"] = "2 per minute"
    _, _, _, question = pair
    client = app.test_client()
    login(client, "mentor")
    page = f"/questions/{question.id}"
    for _ in range(2):
        token = csrf_token_from(client.get(page))
        response = client.post(
            f"{page}/comments", data={"csrf_token": token, "body": "Which?"}, environ_base=ip(1)
        )
        assert response.status_code == 302
    before = count(Comment)
    token = csrf_token_from(client.get(page))
    # An answer after two comments: one shared bucket for posts and comments.
    response = client.post(
        f"{page}/answers", environ_base=ip(1), data={"csrf_token": token, "body": "x" * 40}
    )
    assert_429_page(response)
    response = client.post(
        f"{page}/comments", data={"csrf_token": token, "body": "Again?"}, environ_base=ip(1)
    )
    assert_429_page(response)
    assert count(Comment) == before


def test_api_messages_have_their_own_limit_per_account(app, client, pair):
    app.config["RATELIMIT_POSTING"] = "1 per minute"
    app.config["RATELIMIT_MESSAGES"] = "3 per minute"
    owner, mentor, goal, _ = pair
    owner_auth, mentor_auth = bearer(issue_token(owner)[0]), bearer(issue_token(mentor)[0])
    url = f"{API}/goals/{goal.id}/messages"
    # More messages than the posting limit allows: messages are counted on their own.
    codes = [
        client.post(
            url, headers=owner_auth, json={"body": f"hi {i}"}, environ_base=ip(10 + i)
        ).status_code
        for i in range(3)
    ]
    assert codes == [201, 201, 201]
    before = count(Message)
    assert_429_json(
        client.post(url, headers=owner_auth, json={"body": "one more"}, environ_base=ip(20))
    )
    assert count(Message) == before
    # The other party is not held back by the owner's account limit.
    assert (
        client.post(
            url, headers=mentor_auth, json={"body": "hello"}, environ_base=ip(21)
        ).status_code
        == 201
    )
    # Reading the thread is not limited.
    assert client.get(url, headers=owner_auth, environ_base=ip(20)).status_code == 200


def test_api_messages_are_limited_per_ip(app, client, pair):
    app.config["RATELIMIT_MESSAGES"] = "3 per minute"
    owner, mentor, goal, _ = pair
    owner_auth, mentor_auth = bearer(issue_token(owner)[0]), bearer(issue_token(mentor)[0])
    url = f"{API}/goals/{goal.id}/messages"
    codes = [
        client.post(url, headers=auth, json={"body": "hi"}, environ_base=ip(30)).status_code
        for auth in (owner_auth, owner_auth, mentor_auth, mentor_auth)
    ]
    assert codes == [201, 201, 201, 429]


def test_web_messages_limit_answers_a_page_with_retry_after(app, pair):
    app.config["RATELIMIT_MESSAGES"] = "2 per minute"
    _, _, goal, _ = pair
    client = app.test_client()
    login(client, "owner")
    page = f"/goals/{goal.id}"

    def send(body):
        token = csrf_token_from(client.get(page))
        return client.post(
            f"{page}/messages",
            environ_base=ip(40),
            data={"message-csrf_token": token, "message-body": body},
        )

    assert [send(f"hello {i}").status_code for i in range(2)] == [302, 302]
    before = count(Message)
    assert_429_page(send("too many"))
    assert count(Message) == before


def test_search_page_is_limited_per_ip(app, client):
    app.config["RATELIMIT_SEARCH"] = "3 per minute"
    codes = [client.get("/search?q=marathon", environ_base=ip(50)).status_code for _ in range(3)]
    assert codes == [200, 200, 200]
    assert_429_page(client.get("/search?q=marathon", environ_base=ip(50)))
    assert client.get("/search?q=marathon", environ_base=ip(51)).status_code == 200
    # Other pages are not searches.
    assert client.get("/", environ_base=ip(50)).status_code == 200


def test_api_search_is_limited_per_account_and_shared_with_the_page(app, client, make_user):
    app.config["RATELIMIT_SEARCH"] = "3 per minute"
    auth = bearer(issue_token(make_user("reader"))[0])
    codes = [
        client.get(f"{API}/search?q=shoes", headers=auth, environ_base=ip(60 + i)).status_code
        for i in range(3)
    ]
    assert codes == [200, 200, 200]
    assert_429_json(client.get(f"{API}/search?q=shoes", headers=auth, environ_base=ip(70)))
    # Anonymous from a fresh address: its own buckets; the page and the API share one.
    assert client.get("/search?q=shoes", environ_base=ip(71)).status_code == 200
    for _ in range(2):
        assert client.get(f"{API}/search?q=shoes", environ_base=ip(71)).status_code == 200
    assert_429_json(client.get(f"{API}/search?q=shoes", environ_base=ip(71)))


def test_similar_has_its_own_buckets_so_searching_never_starves_as_you_type(app, client):
    app.config["RATELIMIT_SEARCH"] = "3 per minute"
    for _ in range(3):
        assert client.get(f"{API}/search?q=shoes", environ_base=ip(80)).status_code == 200
    assert client.get(f"{API}/search?q=shoes", environ_base=ip(80)).status_code == 429
    similar = f"{API}/similar?limit=5&text=marathon+shoes"
    codes = [client.get(similar, environ_base=ip(80)).status_code for _ in range(3)]
    assert codes == [200, 200, 200]
    assert_429_json(client.get(similar, environ_base=ip(80)))


def test_the_no_js_similar_check_on_ask_counts_with_api_similar(app, make_user):
    app.config["RATELIMIT_SEARCH"] = "3 per minute"
    make_user("writer")
    client = app.test_client()
    login(client, "writer")

    def check():
        token = csrf_token_from(client.get("/ask"))
        return client.post(
            "/ask",
            environ_base=ip(95),
            data={"csrf_token": token, "title": "Marathon shoes", "check_similar": "1"},
        )

    assert [check().status_code for _ in range(2)] == [200, 200]
    assert client.get(f"{API}/similar?text=marathon+shoes", environ_base=ip(95)).status_code == 200
    assert_429_page(check())
    # Publishing a question is posting, not a similar-threads lookup.
    token = csrf_token_from(client.get("/ask"))
    posted = client.post(
        "/ask",
        environ_base=ip(95),
        data={
            "csrf_token": token,
            "title": "A real question about marathon shoes",
            "body": "Details here.",
            "tags": "running",
        },
    )
    assert posted.status_code == 302


def test_default_limits_are_the_spec_numbers(app):
    assert app.config["RATELIMIT_POSTING"] == "30 per minute"
    assert app.config["RATELIMIT_MESSAGES"] == "60 per minute"
    assert app.config["RATELIMIT_SEARCH"] == "120 per minute"


def test_a_typist_on_ask_stays_under_the_default_similar_limit(app, client):
    # The /ask fetch is debounced 300 ms: at most 200 a minute while typing without pause,
    # but a lookup only fires after a pause, so a fast typist (one pause per word, ~40
    # words a minute) sends about 40; 120 leaves room for three such tabs.
    similar = f"{API}/similar?limit=5&text=how+do+i+start"
    codes = {client.get(similar, environ_base=ip(90)).status_code for _ in range(120)}
    assert codes == {200}


WORKER_SCRIPT = """
import sys
from tests.conftest import make_app
db_url, instance_dir, storage, ip, attempts = sys.argv[1:6]
app = make_app(db_url, instance_dir, RATELIMIT_STORAGE_URI=storage, RATELIMIT_SEARCH="5/minute")
with app.app_context():
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ip
    codes = []
    for i in range(int(attempts)):
        url = "/api/v1/search?q=shoes" if i % 2 else "/search?q=shoes"
        codes.append(client.get(url).status_code)
    print(",".join(map(str, codes)))
"""


@pytest.fixture
def redis_url():
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        redis.Redis.from_url(url, socket_timeout=0.5).ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {url}")
    return url


def search_process(database_url, tmp_path, storage, address, attempts) -> list[int]:
    """Search from a separate Python process, like a second gunicorn worker."""
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            WORKER_SCRIPT,
            database_url,
            str(tmp_path),
            storage,
            address,
            str(attempts),
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return [int(code) for code in result.stdout.strip().splitlines()[-1].split(",")]


def test_search_limit_is_shared_between_app_instances_through_redis(
    app, database_url, tmp_path, redis_url
):
    address = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.9"  # fresh Redis keys
    first = search_process(database_url, tmp_path, redis_url, address, 3)
    second = search_process(database_url, tmp_path, redis_url, address, 3)
    assert first == [200] * 3
    assert second == [200, 200, 429]

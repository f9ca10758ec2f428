"""Similar threads: the API, the boxes beside questions and goals, /ask with and without JS."""

import time

import pytest

from app.extensions import db
from app.models import Goal, Question, User
from app.search.indexer import drain
from app.search.service import get_backend
from app.search.similar import similar_to_goal, similar_to_question, similar_to_text
from app.search.similar_store import stored
from tests.builders import build_goal, build_question
from tests.conftest import login, make_app, post_form
from tests.html_audit import audit
from tests.search.backends import search_kind  # noqa: F401  (fixture)

HOSTILE = [
    "NOT OR x",
    '"unbalanced',
    "((((",
    "title:secret",
    "\x00\x01 abcd",
    "x" * 10_000,
    "🎉 \u202eabcd",
    "'; DROP TABLE questions; --",
]

# Every test here runs on each search backend (PostgreSQL search on the PostgreSQL run).
pytestmark = pytest.mark.usefixtures("search_kind")


@pytest.fixture
def threads(app, make_user):
    asker = make_user("asker")
    made = {
        "vacuum": build_question(
            asker,
            title="How do I tune autovacuum thresholds in Postgres?",
            body="Autovacuum runs too rarely on my busiest table.",
            tags=("postgresql",),
        ),
        "vacuum2": build_question(
            asker,
            title="Autovacuum thresholds for a large busy table",
            body="Should scale factor be lowered for big tables?",
            tags=("postgresql",),
        ),
        "bread": build_question(
            asker,
            title="Why does my sourdough bread not rise?",
            body="The starter bubbles but the loaf stays flat.",
            tags=("baking",),
        ),
    }
    drain(get_backend())
    return made


def ids(items):
    return [(item["type"], item["id"]) for item in items]


def test_similar_to_a_title_finds_related_questions_only(threads):
    found = ids(similar_to_text("autovacuum thresholds"))
    assert set(found) == {("question", threads["vacuum"].id), ("question", threads["vacuum2"].id)}
    left = ids(similar_to_text("autovacuum thresholds", exclude_question_id=threads["vacuum"].id))
    assert left == [("question", threads["vacuum2"].id)]
    assert similar_to_text("aut") == []  # too short to be worth a lookup
    assert similar_to_text("   ") == []


def test_similar_items_have_the_spec_fields(threads):
    [item, *_] = similar_to_text("sourdough bread rise")
    assert item == {
        "type": "question",
        "id": threads["bread"].id,
        "title": "Why does my sourdough bread not rise?",
        "url": f"/questions/{threads['bread'].id}",
        "answer_count": 0,
        "score": item["score"],
    }
    assert item["score"] > 0


def test_api_similar(client, threads):
    response = client.get(
        "/api/v1/similar", query_string={"text": "autovacuum thresholds", "limit": 1}
    )
    body = response.get_json()
    assert response.status_code == 200 and len(body["items"]) == 1
    assert body["per_page"] == 1 and body["total"] == 1 and body["page"] == 1
    assert set(body["items"][0]) == {"type", "id", "title", "url", "answer_count", "score"}
    excluded = client.get(
        "/api/v1/similar", query_string={"text": "sourdough bread", "exclude": threads["bread"].id}
    ).get_json()
    assert ("question", threads["bread"].id) not in ids(excluded["items"])


@pytest.mark.parametrize(
    "args",
    [
        {},
        {"text": "x", "limit": 0},
        {"text": "x", "limit": 21},
        {"text": "x", "exclude": "abc"},
        {"text": "x", "limit": "a"},
        {"text": "x" * 10_001},
    ],
)
def test_api_similar_bad_parameters_are_422(client, threads, args):
    response = client.get("/api/v1/similar", query_string=args)
    assert response.status_code == 422
    assert response.get_json()["error"]["code"]


@pytest.mark.parametrize("text", HOSTILE)
def test_api_similar_hostile_text_never_fails(client, threads, text):
    response = client.get("/api/v1/similar", query_string={"text": text})
    assert response.status_code == 200 and isinstance(response.get_json()["items"], list)


def test_a_closing_goal_never_shows_in_similar_lists(client, make_user, threads):
    owner = make_user("owner")
    goal = build_goal(owner, title="Autovacuum mastery plan")
    private = build_question(
        owner, title="Autovacuum thresholds for my secret cluster", goal=goal, tags=("postgresql",)
    )
    drain(get_backend())
    assert ("question", private.id) in ids(similar_to_question(threads["vacuum"]))
    row = db.session.get(Goal, goal.id)
    row.visibility, row.mentor_id = "closed", make_user("mentor").id
    db.session.commit()
    # Index not drained yet and the list is cached: the database re-check still hides it.
    assert ("question", private.id) not in ids(similar_to_question(threads["vacuum"]))
    assert ("question", private.id) not in ids(similar_to_text("autovacuum thresholds cluster"))
    page = client.get(f"/questions/{threads['vacuum'].id}").text
    assert "secret cluster" not in page
    api = client.get("/api/v1/similar", query_string={"text": "secret cluster autovacuum"})
    assert "secret" not in api.text


def test_question_and_goal_pages_show_similar_threads(client, make_user, threads):
    page = client.get(f"/questions/{threads['vacuum'].id}")
    assert page.status_code == 200
    assert 'aria-labelledby="similar-title"' in page.text
    assert f'href="/questions/{threads["vacuum2"].id}"' in page.text
    assert f'href="/questions/{threads["bread"].id}"' not in page.text
    owner = make_user("goalie")
    goal = build_goal(
        owner,
        title="Bake a sourdough bread that rises",
        description="Sourdough loaf flat; starter bubbles.",
    )
    own = build_question(
        owner, title="Sourdough bread rising in a cold kitchen", goal=goal, tags=("baking",)
    )
    drain(get_backend())
    items = ids(similar_to_goal(goal))
    assert ("question", threads["bread"].id) in items
    assert ("question", own.id) not in items and ("goal", goal.id) not in items
    goal_page = client.get(f"/goals/{goal.id}").text
    assert "Similar goals and threads" in goal_page
    assert f'href="/questions/{threads["bread"].id}"' in goal_page


def test_a_broken_index_leaves_pages_working(client, threads, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("index unreadable")

    monkeypatch.setattr(get_backend(), "similar", broken)
    page = client.get(f"/questions/{threads['vacuum'].id}")  # stored lists still show
    assert page.status_code == 200 and f'href="/questions/{threads["vacuum2"].id}"' in page.text
    assert client.get("/api/v1/similar?text=sourdough+bread").get_json()["items"] == []


def test_ask_page_offers_similar_threads_as_you_type(client, make_user, threads):
    make_user("writer")
    login(client, "writer")
    page = client.get("/ask")
    assert 'data-similar-url="/api/v1/similar"' in page.text
    assert 'role="status" aria-live="polite"' in page.text
    parsed = audit(page.text)
    assert parsed.inline_scripts == 0 and parsed.handlers == []
    script = client.get("/static/js/site.js").text
    assert "data-similar-url" in script and "setTimeout(lookup, 300)" in script


def test_ask_check_button_lists_similar_threads_without_posting(app, client, make_user, threads):
    make_user("writer")
    login(client, "writer")
    before = db.session.query(Question).count()
    data = {"title": "Autovacuum thresholds question", "body": "", "tags": "", "check_similar": "1"}
    response = post_form(client, "/ask", data)
    assert response.status_code == 200
    assert f'href="/questions/{threads["vacuum"].id}"' in response.text
    assert 'value="Autovacuum thresholds question"' in response.text  # the draft is kept
    assert "2 similar threads found." in response.text
    assert "This field is required" not in response.text
    assert db.session.query(Question).count() == before


def test_checking_similar_threads_does_not_use_up_the_posting_limit(
    database_url, tmp_path, make_user
):
    limited = make_app(database_url, tmp_path / "limited", RATELIMIT_POSTING="2 per minute")
    with limited.app_context():
        make_user("writer")
        client = limited.test_client()
        login(client, "writer")
        for _ in range(4):
            response = post_form(client, "/ask", {"title": "Autovacuum", "check_similar": "1"})
            assert response.status_code == 200
        posted = post_form(
            client,
            "/ask",
            {
                "title": "A real question about autovacuum",
                "body": "Details here.",
                "tags": "postgresql",
            },
        )
        assert posted.status_code == 302


def test_ask_check_needs_a_csrf_token(client, make_user, threads):
    make_user("writer")
    login(client, "writer")
    response = client.post("/ask", data={"title": "Autovacuum", "check_similar": "1"})
    assert response.status_code == 400


def test_background_indexer_builds_an_empty_index_and_follows_writes(
    database_url, tmp_path, make_user
):
    asker = make_user("early")
    early = build_question(asker, title="Kestrel nesting boxes on balconies")
    asker_id, early_id = asker.id, early.id
    db.session.commit()  # objects of this app's session must not be used by the other app
    dev = make_app(database_url, tmp_path / "dev", SEARCH_INDEXER_THREAD=True)
    indexer = dev.extensions["journster_indexer"]
    try:
        with dev.app_context():
            client = dev.test_client()
            assert client.get("/").status_code == 200  # the first request starts the thread
            later = build_question(
                db.session.get(User, asker_id), title="Kestrel chicks leaving the nest"
            )
            deadline = time.monotonic() + 10
            wanted = {f"question:{early_id}", f"question:{later.id}"}
            while time.monotonic() < deadline and not wanted <= get_backend().doc_ids():
                time.sleep(0.05)
            assert wanted <= get_backend().doc_ids()
            # The same loop computes the new post's similar list, off any request.
            while time.monotonic() < deadline and not stored("question", later.id):
                time.sleep(0.05)
                db.session.rollback()
            assert stored("question", later.id)[0][:2] == ("question", early_id)
    finally:
        indexer.stop.set()
        if indexer.thread is not None:
            indexer.thread.join(timeout=10)

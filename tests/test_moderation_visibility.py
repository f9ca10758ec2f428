"""Hidden posts vanish from every public surface (rule 3 of the gate), and come back.

A goal (with a question and an answer under it), a question (with an answer), an answer and
a comment each carry a unique marker word. Once moderators hide them, no page, list, feed,
search result, similar-threads list, API response or notification shows a marker to
anonymous readers or other users; the author and admins see the post with a banner.
"""

import re

import pytest

from app.search.indexer import drain
from app.search.query import parse_query
from app.search.service import get_backend
from app.services import accounts, follows, moderation, questions
from tests.builders import build_answer, build_goal, build_question
from tests.conftest import login

TAG = "stagecraft"
MARKERS = {
    "goal": "marimbanebula",
    "goal_question": "ocarinacomet",
    "goal_answer": "tubapulsar",
    "question": "xylophonequasar",
    "question_answer": "harpsinebula",
    "answer": "zanzibarquokka",
    "comment": "wombatlantern",
}


def in_index(word: str) -> set[str]:
    backend = get_backend()
    backend.refresh()
    return {hit.doc_id for hit in backend.search(parse_query(word), per_page=50).hits}


@pytest.fixture
def world(app, make_user):
    admin, alice, bob, carol, dave = (
        make_user(n) for n in ("admin", "alice", "bob", "carol", "dave")
    )
    accounts.set_role("admin", "admin")
    m = MARKERS
    goal = build_goal(alice, title=f"Play the {m['goal']} in public", tags=(TAG,))
    follows.follow(dave, "tag", TAG)  # notified of what is posted under the tag
    goal_question = build_question(
        alice, title=f"Which {m['goal_question']} should I buy?", tags=(TAG,), goal=goal
    )
    goal_answer = build_answer(
        bob, goal_question, f"Buy a second hand one, {m['goal_answer']} style."
    )
    question = build_question(alice, title=f"How to tune a {m['question']} quickly?", tags=(TAG,))
    question_answer = build_answer(
        bob, question, f"Use a clip-on tuner, the {m['question_answer']} way."
    )
    visible = build_question(alice, title="How do I get over stage fright?", tags=(TAG,))
    answer = build_answer(bob, visible, f"Breathe slowly and practise, {m['answer']} trick.")
    comment = questions.add_comment(
        carol, question=visible, body=f"Have you tried {m['comment']} exercises?"
    )
    drain(get_backend())
    for word in MARKERS.values():
        assert in_index(word) or word == MARKERS["comment"], word  # comments are not indexed
    clients = {"anon": app.test_client()}
    for name in ("admin", "alice", "bob", "carol", "dave"):
        clients[name] = app.test_client()
        login(clients[name], name)
    return {
        "admin": admin,
        "alice": alice,
        "bob": bob,
        "clients": clients,
        "goal": goal,
        "goal_question": goal_question,
        "question": question,
        "visible": visible,
        "answer": answer,
        "comment": comment,
        "hidden_items": {
            ("goal", goal.id),
            ("question", goal_question.id),
            ("answer", goal_answer.id),
            ("question", question.id),
            ("answer", question_answer.id),
            ("answer", answer.id),
        },
    }


def _hide_all(w, action="hide"):
    admin = w["admin"]
    for kind, obj in (
        ("goal", w["goal"]),
        ("question", w["question"]),
        ("answer", w["answer"]),
        ("comment", w["comment"]),
    ):
        getattr(moderation, action)(admin, kind, obj.id, "test")
    drain(get_backend())


def _public_surfaces(w) -> list[str]:
    goal, question = w["goal"], w["question"]
    return [
        "/",
        "/questions",
        "/questions?sort=votes",
        "/questions?sort=unanswered",
        "/goals",
        f"/tags/{TAG}",
        f"/questions/{w['visible'].id}",
        "/users/alice",
        "/users/bob",
        "/users/carol",
        "/feeds/questions.atom",
        f"/feeds/tags/{TAG}.atom",
        *(f"/search?q={word}" for word in MARKERS.values()),
        *(f"/api/v1/search?q={word}" for word in MARKERS.values()),
        *(f"/api/v1/similar?text={word}" for word in MARKERS.values()),
        "/api/v1/questions",
        f"/api/v1/questions?tag={TAG}",
        "/api/v1/goals",
        f"/api/v1/goals?tag={TAG}",
        f"/api/v1/questions/{w['visible'].id}",
        f"/api/v1/goals/{goal.id}",
        f"/api/v1/questions/{question.id}",
    ]


def _hidden_hrefs(w) -> re.Pattern:
    ids = w["hidden_items"]
    parts = [rf"/{kind}s/{i}(?![0-9])" for kind, i in ids if kind != "answer"]
    parts += [rf"answer-{i}(?![0-9])" for kind, i in ids if kind == "answer"]
    parts.append(rf"comment-{w['comment'].id}(?![0-9])")
    return re.compile("|".join(parts))


def _shows_a_marker(client, path, w) -> str | None:
    response = client.get(path)
    assert response.status_code in (200, 404), (path, response.status_code)
    if "search" in path or "similar" in path:
        # These pages echo the query: look at what they found instead of the words.
        if path.startswith("/api/"):
            found = {(i["type"], i["id"]) for i in response.get_json()["items"]}
            return str(found & w["hidden_items"]) if found & w["hidden_items"] else None
        match = _hidden_hrefs(w).search(response.get_data(as_text=True))
        return match.group(0) if match else None
    text = response.get_data(as_text=True).lower()
    return next((word for word in MARKERS.values() if word in text), None)


def test_hidden_posts_vanish_for_anonymous_readers_and_other_users(world):
    _hide_all(world)
    for word in MARKERS.values():
        assert in_index(word) == set(), word  # out of the index itself, not just filtered
    for name in ("anon", "dave"):  # dave wrote none of it
        client = world["clients"][name]
        for path in _public_surfaces(world) + (["/following"] if name == "dave" else []):
            assert _shows_a_marker(client, path, world) is None, (name, path)
        for path in (
            f"/goals/{world['goal'].id}",
            f"/questions/{world['question'].id}",
            f"/questions/{world['goal_question'].id}",
            f"/api/v1/answers/{world['answer'].id}",
            f"/api/v1/questions/{world['goal_question'].id}",
        ):
            assert client.get(path).status_code == 404, (name, path)
    # The visible thread lost its hidden answer from its count, too.
    body = world["clients"]["anon"].get(f"/api/v1/questions/{world['visible'].id}").get_json()
    assert body["answer_count"] == 0 and body["answers"] == []


def test_lists_leave_hidden_posts_out_even_for_author_and_admin(world):
    _hide_all(world)
    for name in ("alice", "bob", "admin"):
        client = world["clients"][name]
        for path in (
            "/",
            "/questions",
            "/goals",
            f"/tags/{TAG}",
            "/users/alice",
            "/users/bob",
            f"/api/v1/questions?tag={TAG}",
        ):
            assert _shows_a_marker(client, path, world) is None, (name, path)


def test_authors_and_admins_see_the_banner(world):
    _hide_all(world)
    clients = world["clients"]
    pages = {
        "alice": [
            f"/goals/{world['goal'].id}",
            f"/questions/{world['question'].id}",
            f"/questions/{world['goal_question'].id}",
        ],
        "bob": [f"/questions/{world['visible'].id}"],
        "carol": [f"/questions/{world['visible'].id}"],
    }
    for name, paths in pages.items():
        for path in paths:
            for who in (name, "admin"):
                response = clients[who].get(path)
                assert response.status_code == 200, (who, path)
                assert "Hidden by moderators" in response.text, (who, path)
    # alice (the thread's asker) sees neither bob's hidden answer nor carol's comment.
    text = clients["alice"].get(f"/questions/{world['visible'].id}").text.lower()
    assert MARKERS["answer"] not in text and MARKERS["comment"] not in text
    assert clients["bob"].get(f"/api/v1/answers/{world['answer'].id}").status_code == 200
    assert clients["alice"].get(f"/api/v1/answers/{world['answer'].id}").status_code == 404


def test_notifications_drop_hidden_subjects(world):
    answer_id, comment_id = world["answer"].id, world["comment"].id
    alice, dave = world["clients"]["alice"], world["clients"]["dave"]
    before = alice.get("/api/v1/notifications").get_data(as_text=True)
    assert f"answer-{answer_id}" in before and f"comment-{comment_id}" in before
    dave_before = dave.get("/api/v1/notifications").get_json()["total"]
    _hide_all(world)
    for path in ("/notifications", "/api/v1/notifications"):
        text = alice.get(path).get_data(as_text=True).lower()
        assert MARKERS["answer"] not in text and MARKERS["comment"] not in text
        assert f"answer-{answer_id}" not in text and f"comment-{comment_id}" not in text
        # dave follows the tag and wrote none of it: nothing hidden shows at all.
        assert _shows_a_marker(dave, path, world) is None
        assert _hidden_hrefs(world).search(dave.get(path).get_data(as_text=True)) is None
    assert dave_before >= 1


def test_unhide_brings_everything_back(world):
    _hide_all(world)
    _hide_all(world, "unhide")
    for word in MARKERS.values():
        if word != MARKERS["comment"]:
            assert in_index(word), word
    anon = world["clients"]["anon"]
    for word in ("goal", "question", "goal_question", "answer"):
        assert anon.get(f"/api/v1/search?q={MARKERS[word]}").get_json()["total"] >= 1, word
    text = anon.get(f"/questions/{world['visible'].id}").text.lower()
    assert MARKERS["answer"] in text and MARKERS["comment"] in text
    assert "hidden by moderators" not in text
    assert MARKERS["goal"] in anon.get("/").text.lower()
    assert anon.get(f"/api/v1/questions/{world['visible'].id}").get_json()["answer_count"] == 1

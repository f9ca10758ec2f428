"""API v1 goals: posting, editing, milestones, journal, lists, revisions (SPEC §1, §3)."""

from datetime import datetime, timedelta

from tests.api.qa_helpers import (
    API,
    GOAL,
    assert_error,
    close_goal,
    created,
    ok,
    snapshot,
)

GOAL_FIELDS = {
    "id",
    "title",
    "description",
    "description_html",
    "tags",
    "owner",
    "visibility",
    "status",
    "mentor",
    "target_date",
    "created_at",
    "updated_at",
    "url",
}


def test_goal_lifecycle_with_milestones_and_journal(client, caller):
    ada = caller("ada", display_name="Ada")
    goal = created(
        client.post(f"{API}/goals", headers=ada, json={**GOAL, "target_date": "2027-03-01"})
    )
    assert set(goal) >= GOAL_FIELDS
    assert goal["tags"] == ["python", "speaking"]
    assert goal["owner"] == {"username": "ada", "display_name": "Ada", "reputation": 0}
    assert goal["visibility"] == "open" and goal["status"] == "active"
    assert goal["mentor"] is None and goal["target_date"] == "2027-03-01"
    assert goal["description_html"] == "<p>Ten minutes on <em>testing</em>.</p>"
    assert goal["url"] == f"/goals/{goal['id']}"
    assert datetime.fromisoformat(goal["created_at"]).utcoffset() == timedelta(0)
    gid = goal["id"]

    first = created(
        client.post(
            f"{API}/goals/{gid}/milestones",
            headers=ada,
            json={"title": "Pick a topic", "due_date": "2026-12-01"},
        )
    )
    assert first["position"] == 1 and first["done"] is False and first["done_at"] is None
    second = created(
        client.post(
            f"{API}/goals/{gid}/milestones",
            headers=ada,
            json={"title": "Write the abstract", "done": True},
        )
    )
    assert second["position"] == 2 and second["done"] is True and second["done_at"]
    entry = created(
        client.post(
            f"{API}/goals/{gid}/journal",
            headers=ada,
            json={"body": "Tried a *lightning* talk at the meetup."},
        )
    )
    assert entry["body_html"] == "<p>Tried a <em>lightning</em> talk at the meetup.</p>"
    assert entry["author"]["username"] == "ada"

    detail = ok(client.get(f"{API}/goals/{gid}"))
    assert [m["title"] for m in detail["milestones"]] == ["Pick a topic", "Write the abstract"]
    assert set(detail["milestones"][0]) == {
        "id",
        "goal_id",
        "title",
        "position",
        "due_date",
        "done",
        "done_at",
    }
    assert detail["progress"] == 50
    assert [j["id"] for j in detail["journal"]] == [entry["id"]]

    done = ok(
        client.patch(
            f"{API}/milestones/{first['id']}",
            headers=ada,
            json={"done": True, "title": "Pick a topic (done)"},
        )
    )
    assert done["done"] is True and done["done_at"] and done["title"] == "Pick a topic (done)"
    assert ok(client.get(f"{API}/goals/{gid}"))["progress"] == 100
    undone = ok(
        client.patch(
            f"{API}/milestones/{first['id']}", headers=ada, json={"done": False, "due_date": None}
        )
    )
    assert undone["done"] is False and undone["done_at"] is None and undone["due_date"] is None

    edited = ok(
        client.patch(
            f"{API}/goals/{gid}",
            headers=ada,
            json={
                "title": "Give my first conference talk in 2027",
                "tags": ["speaking"],
                "status": "achieved",
                "target_date": None,
            },
        )
    )
    assert edited["status"] == "achieved" and edited["tags"] == ["speaking"]
    assert edited["target_date"] is None
    revisions = ok(client.get(f"{API}/goals/{gid}/revisions"))
    assert revisions["total"] == 1 and revisions["page"] == 1
    (revision,) = revisions["items"]
    assert revision["title"] == GOAL["title"] and revision["tags"] == ["python", "speaking"]
    assert revision["body"] == GOAL["description"]
    assert revision["editor"] == {"username": "ada"} and revision["created_at"]


def test_goal_permissions_403_for_visible_404_for_hidden(client, caller):
    ada, bob, cyd = caller("ada"), caller("bob"), caller("cyd")
    gid = created(client.post(f"{API}/goals", headers=ada, json=GOAL))["id"]
    mid = created(
        client.post(f"{API}/goals/{gid}/milestones", headers=ada, json={"title": "Step one"})
    )["id"]
    before = snapshot()
    for method, path, body in [
        ("patch", f"/goals/{gid}", {"title": "Someone else's title"}),
        ("post", f"/goals/{gid}/milestones", {"title": "Mine now"}),
        ("patch", f"/milestones/{mid}", {"done": True}),
        ("post", f"/goals/{gid}/journal", {"body": "Not my goal"}),
    ]:
        response = getattr(client, method)(API + path, headers=bob, json=body)
        assert_error(response, 403, "forbidden")
        assert_error(getattr(client, method)(API + path, json=body), 401, "unauthorized")
    assert snapshot() == before

    close_goal(gid, "cyd")
    for method, path, body in [
        ("get", f"/goals/{gid}", None),
        ("get", f"/goals/{gid}/revisions", None),
        ("patch", f"/goals/{gid}", {"title": "Someone else's title"}),
        ("post", f"/goals/{gid}/milestones", {"title": "Mine now"}),
        ("patch", f"/milestones/{mid}", {"done": True}),
        ("post", f"/goals/{gid}/journal", {"body": "Not my goal"}),
    ]:
        for headers in (bob, {}):
            response = getattr(client, method)(API + path, headers=headers, json=body)
            if method != "get" and not headers:
                assert_error(response, 401, "unauthorized")
            else:
                assert_error(response, 404, "not_found")
    assert snapshot() == before
    # Owner and mentor still see it.
    assert ok(client.get(f"{API}/goals/{gid}", headers=ada))["visibility"] == "closed"
    assert ok(client.get(f"{API}/goals/{gid}", headers=cyd))["mentor"]["username"] == "cyd"
    # The list is public goals only (SPEC §3), even for the owner and the mentor.
    assert ok(client.get(f"{API}/goals", headers=cyd))["total"] == 0
    assert ok(client.get(f"{API}/goals", headers=ada))["total"] == 0
    assert ok(client.get(f"{API}/goals", headers=bob))["total"] == 0
    assert ok(client.get(f"{API}/goals"))["total"] == 0


def test_goal_lists_filter_and_paginate(client, caller, relaxed_posting):
    ada, bob = caller("ada"), caller("bob")
    ids = []
    for i in range(5):
        ids.append(
            created(
                client.post(
                    f"{API}/goals",
                    headers=ada if i % 2 else bob,
                    json={
                        **GOAL,
                        "title": f"Goal number {i} to reach",
                        "tags": ["even" if i % 2 == 0 else "odd", "all"],
                    },
                )
            )["id"]
        )
    ok(client.patch(f"{API}/goals/{ids[1]}", headers=ada, json={"status": "abandoned"}))

    page = ok(client.get(f"{API}/goals?per_page=2"))
    assert page["total"] == 5 and page["per_page"] == 2 and page["page"] == 1
    assert [g["id"] for g in page["items"]] == [ids[4], ids[3]]
    page3 = ok(client.get(f"{API}/goals?per_page=2&page=3"))
    assert [g["id"] for g in page3["items"]] == [ids[0]]
    assert ok(client.get(f"{API}/goals?page=9"))["items"] == []

    assert {g["id"] for g in ok(client.get(f"{API}/goals?tag=odd"))["items"]} == {ids[1], ids[3]}
    assert ok(client.get(f"{API}/goals?tag=ODD"))["total"] == 2
    assert ok(client.get(f"{API}/goals?tag=nothing"))["total"] == 0
    assert [g["id"] for g in ok(client.get(f"{API}/goals?status=abandoned"))["items"]] == [ids[1]]
    assert ok(client.get(f"{API}/goals?status=active&owner=ADA"))["total"] == 1
    assert ok(client.get(f"{API}/goals?owner=nobody"))["total"] == 0
    # Empty filters count as absent.
    assert ok(client.get(f"{API}/goals?tag=&status=&owner=&page=&per_page="))["total"] == 5


BAD_LIST_QUERIES = [
    ("per_page=101", "per_page"),
    ("per_page=0", "per_page"),
    ("page=0", "page"),
    ("page=-1", "page"),
    ("page=abc", "page"),
    ("per_page=1.5", "per_page"),
    ("page=99999999999999999999", "page"),
    ("status=done", "status"),
    ("tag=%00", "tag"),
    ("tag=" + "x" * 36, "tag"),
    ("tag=<b>", "tag"),
    ("owner=a%00b", "owner"),
    ("owner=" + "x" * 31, "owner"),
]


def test_goal_list_bad_query_is_422(client):
    for query, field in BAD_LIST_QUERIES:
        error = assert_error(client.get(f"{API}/goals?{query}"), 422, "validation_failed")
        assert field in error["fields"], query


LONG = "x" * 151
BAD_GOALS = [
    ({}, "title"),
    ({"tags": ["a"]}, "title"),
    ({"title": GOAL["title"]}, "tags"),
    ({**GOAL, "title": LONG}, "title"),
    ({**GOAL, "title": "Too short"}, "title"),
    ({**GOAL, "title": "          short      "}, "title"),
    ({**GOAL, "title": 1234567890123}, "title"),
    ({**GOAL, "title": None}, "title"),
    ({**GOAL, "title": "Line one\nline two!"}, "title"),
    ({**GOAL, "title": "Null byte \x00 in title"}, "title"),
    ({**GOAL, "description": "x" * 20_001}, "description"),
    ({**GOAL, "description": "null \x00 byte"}, "description"),
    ({**GOAL, "description": ["list"]}, "description"),
    ({**GOAL, "tags": []}, "tags"),
    ({**GOAL, "tags": ["a", "b", "c", "d", "e", "f"]}, "tags"),
    ({**GOAL, "tags": ["bad tag"]}, "tags"),
    ({**GOAL, "tags": ["<script>"]}, "tags"),
    ({**GOAL, "tags": ["x" * 36]}, "tags"),
    ({**GOAL, "tags": "python"}, "tags"),
    ({**GOAL, "tags": [1, 2]}, "tags"),
    ({**GOAL, "target_date": "tomorrow"}, "target_date"),
    ({**GOAL, "target_date": "2027-02-30"}, "target_date"),
    ({**GOAL, "target_date": 20270101}, "target_date"),
    ({**GOAL, "visibility": "closed"}, "visibility"),
    ({**GOAL, "owner_id": 1}, "owner_id"),
    ({**GOAL, "status": "achieved"}, "status"),
]


def test_goal_create_validation(client, caller):
    ada = caller("ada")
    before = snapshot()
    for payload, field in BAD_GOALS:
        error = assert_error(
            client.post(f"{API}/goals", headers=ada, json=payload), 422, "validation_failed"
        )
        assert field in error["fields"], (payload, error)
    assert snapshot() == before
    assert created(
        client.post(
            f"{API}/goals",
            headers=ada,
            json={**GOAL, "title": "x" * 150, "description": "y" * 20_000, "tags": list("abcde")},
        )
    )


BAD_GOAL_PATCHES = [
    ({"title": "Too short"}, "title"),
    ({"title": LONG}, "title"),
    ({"tags": []}, "tags"),
    ({"status": "finished"}, "status"),
    ({"status": None}, "status"),
    ({"visibility": "closed"}, "visibility"),
    ({"mentor": "bob"}, "mentor"),
    ({"description": "x" * 20_001}, "description"),
]


def test_goal_patch_validation(client, caller):
    ada = caller("ada")
    gid = created(client.post(f"{API}/goals", headers=ada, json=GOAL))["id"]
    before = snapshot()
    for payload, field in BAD_GOAL_PATCHES:
        response = client.patch(
            f"{API}/goals/{gid}",
            headers=ada,
            json={**payload, "description": payload.get("description", "new")},
        )
        error = assert_error(response, 422, "validation_failed")
        assert field in error["fields"], payload
    assert snapshot() == before
    assert ok(client.get(f"{API}/goals/{gid}"))["description"] == GOAL["description"]


BAD_MILESTONES = [
    ({}, "title"),
    ({"title": ""}, "title"),
    ({"title": "   "}, "title"),
    ({"title": "x" * 151}, "title"),
    ({"title": "null\x00"}, "title"),
    ({"title": 5}, "title"),
    ({"title": "Fine", "done": "yes"}, "done"),
    ({"title": "Fine", "done": 1}, "done"),
    ({"title": "Fine", "due_date": "soon"}, "due_date"),
    ({"title": "Fine", "position": 3}, "position"),
]


def test_milestone_validation(client, caller):
    ada = caller("ada")
    gid = created(client.post(f"{API}/goals", headers=ada, json=GOAL))["id"]
    mid = created(client.post(f"{API}/goals/{gid}/milestones", headers=ada, json={"title": "Ok"}))[
        "id"
    ]
    before = snapshot()
    for payload, field in BAD_MILESTONES:
        response = client.post(f"{API}/goals/{gid}/milestones", headers=ada, json=payload)
        assert field in assert_error(response, 422, "validation_failed")["fields"], payload
        if field == "title":
            continue
        patch = {k: val for k, val in payload.items() if k != "title"}
        response = client.patch(f"{API}/milestones/{mid}", headers=ada, json=patch)
        assert field in assert_error(response, 422, "validation_failed")["fields"], patch
    for patch in ({"title": ""}, {"title": "  "}, {"title": None}, {"due_date": 5}):
        response = client.patch(f"{API}/milestones/{mid}", headers=ada, json=patch)
        assert set(assert_error(response, 422, "validation_failed")["fields"]) == set(patch)
    assert snapshot() == before
    milestone = ok(client.get(f"{API}/goals/{gid}"))["milestones"][0]
    assert milestone["title"] == "Ok" and milestone["done"] is False


def test_journal_validation(client, caller):
    ada = caller("ada")
    gid = created(client.post(f"{API}/goals", headers=ada, json=GOAL))["id"]
    before = snapshot()
    for payload, field in [
        ({}, "body"),
        ({"body": ""}, "body"),
        ({"body": "  \n "}, "body"),
        ({"body": "x" * 20_001}, "body"),
        ({"body": "nul\x00"}, "body"),
        ({"body": 7}, "body"),
        ({"body": "fine", "title": "extra"}, "title"),
    ]:
        response = client.post(f"{API}/goals/{gid}/journal", headers=ada, json=payload)
        assert field in assert_error(response, 422, "validation_failed")["fields"], payload
    assert snapshot() == before


def test_unknown_goal_and_milestone_ids_are_404(client, caller):
    ada = caller("ada")
    before = snapshot()
    for bad in ("99999999999", "2147483648", "0", "123456", "abc", "-1", "1.5"):
        for suffix in ("", "/revisions"):
            assert_error(client.get(f"{API}/goals/{bad}{suffix}"), 404, "not_found")
        for method, path, body in [
            ("patch", f"/goals/{bad}", {"status": "achieved"}),
            ("post", f"/goals/{bad}/milestones", {"title": "Something"}),
            ("post", f"/goals/{bad}/journal", {"body": "Something"}),
            ("patch", f"/milestones/{bad}", {"done": True}),
        ]:
            response = getattr(client, method)(API + path, headers=ada, json=body)
            assert_error(response, 404, "not_found")
    assert snapshot() == before

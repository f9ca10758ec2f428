"""API v1 Q&A: hostile and broken input on every endpoint is refused cleanly and writes nothing."""

import itertools

import pytest

from tests.api.qa_helpers import (
    ANSWER,
    API,
    GOAL,
    QUESTION,
    assert_error,
    created,
    ok,
    snapshot,
)


@pytest.fixture
def world(client, caller, relaxed_posting):
    """ada's goal, milestone and question; bob's answer; cyd is a bystander; ids by name."""
    who = {name: caller(name) for name in ("ada", "bob", "cyd")}
    goal = created(client.post(f"{API}/goals", headers=who["ada"], json=GOAL))
    milestone = created(
        client.post(
            f"{API}/goals/{goal['id']}/milestones", headers=who["ada"], json={"title": "First step"}
        )
    )
    other = created(
        client.post(
            f"{API}/questions",
            headers=who["cyd"],
            json={**QUESTION, "title": "An earlier question by cyd"},
        )
    )
    question = created(client.post(f"{API}/questions", headers=who["ada"], json=QUESTION))
    answer = created(
        client.post(
            f"{API}/questions/{question['id']}/answers", headers=who["bob"], json={"body": ANSWER}
        )
    )
    ids = {
        "goal": goal["id"],
        "milestone": milestone["id"],
        "question": question["id"],
        "other": other["id"],
        "answer": answer["id"],
    }
    return who, ids


# (method, path, a valid body, who may do it)
WRITES = [
    ("post", "/goals", GOAL, "ada"),
    ("patch", "/goals/{goal}", {"title": "A better goal title"}, "ada"),
    ("post", "/goals/{goal}/milestones", {"title": "Next step", "done": False}, "ada"),
    ("patch", "/milestones/{milestone}", {"done": True}, "ada"),
    ("post", "/goals/{goal}/journal", {"body": "Progress today."}, "ada"),
    ("post", "/questions", QUESTION, "ada"),
    ("patch", "/questions/{question}", {"body": "Edited body."}, "ada"),
    ("put", "/questions/{question}/answered-in", {"question_id": "OTHER"}, "ada"),
    ("post", "/questions/{question}/answers", {"body": ANSWER}, "cyd"),
    ("patch", "/answers/{answer}", {"body": ANSWER + " Edited."}, "bob"),
    ("put", "/questions/{question}/outcome", {"body": "It worked."}, "ada"),
    ("post", "/questions/{question}/votes", {"value": 1}, "cyd"),
    ("post", "/answers/{answer}/votes", {"value": -1}, "cyd"),
    ("post", "/questions/{question}/comments", {"body": "Which one?"}, "cyd"),
    ("post", "/answers/{answer}/comments", {"body": "Nice."}, "cyd"),
]
WRITE_IDS = [f"{method} {path}" for method, path, _, _ in WRITES]


def resolve(ids: dict, path: str, body):
    body = dict(body)
    if body.get("question_id") == "OTHER":
        body["question_id"] = ids["other"]
    return API + path.format(**ids), body


@pytest.mark.parametrize("method, path, body, who", WRITES, ids=WRITE_IDS)
def test_valid_bodies_are_accepted(client, world, method, path, body, who):
    people, ids = world
    url, body = resolve(ids, path, body)
    response = getattr(client, method)(url, headers=people[who], json=body)
    assert response.status_code in (200, 201), response.get_json()


MALFORMED = [
    (b"title=hello", "application/x-www-form-urlencoded"),
    (b"plain text", "text/plain"),
    (b'{"title": "x"', "application/json"),
    (b'{"body": "\xff\xfe"}', "application/json"),
    (b"[1, 2]", "application/json"),
    (b'"a string"', "application/json"),
    (b"null", "application/json"),
    (b"[" * 50_000 + b"]" * 50_000, "application/json"),
]


@pytest.mark.parametrize("method, path, body, who", WRITES, ids=WRITE_IDS)
def test_non_json_bodies_are_400(client, world, method, path, body, who):
    people, ids = world
    url, _ = resolve(ids, path, body)
    before = snapshot()
    for data, content_type in MALFORMED:
        response = getattr(client, method)(
            url, headers=people[who], data=data, content_type=content_type
        )
        assert_error(response, 400, "bad_request")
    assert snapshot() == before


@pytest.mark.parametrize("method, path, body, who", WRITES, ids=WRITE_IDS)
def test_unknown_fields_are_422(client, world, method, path, body, who):
    people, ids = world
    url, body = resolve(ids, path, body)
    before = snapshot()
    response = getattr(client, method)(
        url, headers=people[who], json={**body, "owner_id": 1, "score": 100}
    )
    error = assert_error(response, 422, "validation_failed")
    assert set(error["fields"]) == {"owner_id", "score"}
    assert snapshot() == before


@pytest.mark.parametrize("method, path, body, who", WRITES, ids=WRITE_IDS)
def test_wrong_types_are_422(client, world, method, path, body, who):
    people, ids = world
    url, body = resolve(ids, path, body)
    before = snapshot()
    for field, bad in itertools.product(body, (["a list"], {"an": "object"}, 12345, 1.5, True)):
        if field == "tags" and isinstance(bad, list):
            continue  # a list is the right type for tags (checked by its own tests)
        if field == "done" and bad is True:
            continue
        if type(body[field]) is int and type(bad) is int:
            continue  # an id of the right type (unknown ids have their own tests)
        response = getattr(client, method)(url, headers=people[who], json={**body, field: bad})
        error = assert_error(response, 422, "validation_failed")
        assert field in error["fields"], (field, error)
    assert snapshot() == before


@pytest.mark.parametrize("method, path, body, who", WRITES, ids=WRITE_IDS)
def test_null_bytes_and_control_characters_are_422(client, world, method, path, body, who):
    people, ids = world
    url, body = resolve(ids, path, body)
    before = snapshot()
    text_fields = [f for f, val in body.items() if isinstance(val, str)]
    for field in text_fields:
        for bad in (body[field] + "\x00", "nul\x00" + "x" * 30, body[field] + "\x1b[31m"):
            response = getattr(client, method)(url, headers=people[who], json={**body, field: bad})
            error = assert_error(response, 422, "validation_failed")
            assert field in error["fields"]
    assert snapshot() == before


REQUIRED = [(m, p, b, w) for m, p, b, w in WRITES if m != "patch"]


@pytest.mark.parametrize(
    "method, path, body, who", REQUIRED, ids=[f"{m} {p}" for m, p, _, _ in REQUIRED]
)
def test_missing_fields_are_422(client, world, method, path, body, who):
    people, ids = world
    url, body = resolve(ids, path, body)
    before = snapshot()
    for payload in ({}, None):
        kwargs = {"json": payload} if payload is not None else {}
        response = getattr(client, method)(url, headers=people[who], **kwargs)
        error = assert_error(response, 422, "validation_failed")
        required = {f for f in body if f not in ("description", "target_date", "due_date", "done")}
        assert set(error["fields"]) == required
    assert snapshot() == before


BAD_IDS = ["99999999999", "2147483648", "123456", "0", "abc", "-1", "1.0", "%00"]


@pytest.mark.parametrize(
    "method, path, body, who",
    [w for w in WRITES if "{" in w[1]],
    ids=[i for w, i in zip(WRITES, WRITE_IDS, strict=True) if "{" in w[1]],
)
def test_unknown_or_malformed_ids_are_404(client, world, method, path, body, who):
    people, ids = world
    _, body = resolve(ids, path, body)
    before = snapshot()
    for bad_id in BAD_IDS:
        url = API + path.format(**dict.fromkeys(ids, bad_id))
        response = getattr(client, method)(url, headers=people[who], json=body)
        assert_error(response, 404, "not_found")
    assert snapshot() == before


def test_unknown_ids_on_reads_and_bodyless_actions_are_404(client, caller):
    ada = caller("ada")
    for path, bad_id in itertools.product(
        [
            "/questions/{}",
            "/questions/{}/revisions",
            "/answers/{}",
            "/answers/{}/revisions",
            "/goals/{}",
            "/goals/{}/revisions",
        ],
        BAD_IDS,
    ):
        assert_error(client.get(API + path.format(bad_id)), 404, "not_found")
    for (method, path), bad_id in itertools.product(
        [
            ("delete", "/questions/{}/votes"),
            ("delete", "/answers/{}/votes"),
            ("post", "/answers/{}/helpful"),
            ("delete", "/answers/{}/helpful"),
            ("delete", "/questions/{}/answered-in"),
        ],
        BAD_IDS,
    ):
        response = getattr(client, method)(API + path.format(bad_id), headers=ada)
        assert_error(response, 404, "not_found")


LONG_TITLE, SHORT_TITLE = "x" * 151, "x" * 9


BAD_QUESTIONS = [
    ({**QUESTION, "title": LONG_TITLE}, "title"),
    ({**QUESTION, "title": SHORT_TITLE}, "title"),
    ({**QUESTION, "title": "  " + SHORT_TITLE + "  "}, "title"),
    ({**QUESTION, "tags": []}, "tags"),
    ({**QUESTION, "tags": ["a", "b", "c", "d", "e", "f"]}, "tags"),
    ({**QUESTION, "tags": ["no spaces"]}, "tags"),
    ({**QUESTION, "tags": ["semi;colon"]}, "tags"),
    ({**QUESTION, "tags": ["ünïcode"]}, "tags"),
    ({**QUESTION, "tags": [""]}, "tags"),
    ({**QUESTION, "tags": ["x" * 36]}, "tags"),
    ({**QUESTION, "body": ""}, "body"),
    ({**QUESTION, "body": "x" * 20_001}, "body"),
    ({**QUESTION, "goal_id": "1"}, "goal_id"),
    ({**QUESTION, "goal_id": True}, "goal_id"),
    ({**QUESTION, "goal_id": 1.5}, "goal_id"),
    ({**QUESTION, "anonymous": "maybe"}, "anonymous"),
]


def test_question_create_validation(client, caller):
    ada = caller("ada")
    before = snapshot()
    for payload, field in BAD_QUESTIONS:
        error = assert_error(
            client.post(f"{API}/questions", headers=ada, json=payload), 422, "validation_failed"
        )
        assert field in error["fields"], payload
    assert snapshot() == before


def test_question_limits_are_inclusive(client, caller):
    ada = caller("ada")
    assert created(
        client.post(
            f"{API}/questions",
            headers=ada,
            json={
                **QUESTION,
                "title": "x" * 150,
                "body": "y" * 20_000,
                "tags": ["a", "b", "c", "d", "e"],
            },
        )
    )
    assert created(
        client.post(
            f"{API}/questions",
            headers=ada,
            json={**QUESTION, "title": "x" * 10, "tags": ["c++", "c#", ".net", "a-b"]},
        )
    )["tags"] == [".net", "a-b", "c#", "c++"]


def test_question_patch_validation(client, world):
    people, ids = world
    before = snapshot()
    for payload, field in [
        ({"title": LONG_TITLE}, "title"),
        ({"title": SHORT_TITLE}, "title"),
        ({"tags": []}, "tags"),
        ({"tags": list("abcdef")}, "tags"),
        ({"tags": ["b@d"]}, "tags"),
        ({"body": "x" * 20_001}, "body"),
        ({"body": ""}, "body"),
        ({"goal_id": None}, "goal_id"),
    ]:
        response = client.patch(
            f"{API}/questions/{ids['question']}", headers=people["ada"], json=payload
        )
        assert field in assert_error(response, 422, "validation_failed")["fields"], payload
    assert snapshot() == before
    assert ok(client.get(f"{API}/questions/{ids['question']}"))["title"] == QUESTION["title"]


def test_answer_length_limits(client, world):
    people, ids = world
    before = snapshot()
    for body in ("x" * 19, "   " + "x" * 19 + "\n\n", "", "x" * 20_001, "\x00" * 25):
        for method, path, who in [
            ("post", f"/questions/{ids['question']}/answers", "cyd"),
            ("patch", f"/answers/{ids['answer']}", "bob"),
        ]:
            response = getattr(client, method)(API + path, headers=people[who], json={"body": body})
            assert "body" in assert_error(response, 422, "validation_failed")["fields"]
    assert snapshot() == before
    assert created(
        client.post(
            f"{API}/questions/{ids['question']}/answers",
            headers=people["cyd"],
            json={"body": "x" * 20},
        )
    )


def test_comment_length_limits(client, world):
    people, ids = world
    before = snapshot()
    for body, path in itertools.product(
        ("x" * 601, "", "  \n  ", "\x00"),
        (f"/questions/{ids['question']}/comments", f"/answers/{ids['answer']}/comments"),
    ):
        response = client.post(API + path, headers=people["cyd"], json={"body": body})
        assert "body" in assert_error(response, 422, "validation_failed")["fields"]
    assert snapshot() == before
    for path in (f"/questions/{ids['question']}/comments", f"/answers/{ids['answer']}/comments"):
        assert created(client.post(API + path, headers=people["cyd"], json={"body": "y" * 600}))


def test_outcome_and_journal_limits(client, world):
    people, ids = world
    before = snapshot()
    for body, (method, path) in itertools.product(
        ("", "x" * 20_001, "a\x00b"),
        [
            ("put", f"/questions/{ids['question']}/outcome"),
            ("post", f"/goals/{ids['goal']}/journal"),
        ],
    ):
        response = getattr(client, method)(API + path, headers=people["ada"], json={"body": body})
        assert "body" in assert_error(response, 422, "validation_failed")["fields"]
    assert snapshot() == before


def test_question_list_bad_query_is_422(client):
    for query, field in [
        ("per_page=101", "per_page"),
        ("per_page=0", "per_page"),
        ("page=0", "page"),
        ("page=abc", "page"),
        ("page=10001", "page"),
        ("per_page=-5", "per_page"),
        ("sort=oldest", "sort"),
        ("tag=%00", "tag"),
        ("tag=a%20b", "tag"),
        ("tag=" + "t" * 36, "tag"),
        ("sort=votes&per_page=1000", "per_page"),
    ]:
        response = client.get(f"{API}/questions?{query}")
        assert field in assert_error(response, 422, "validation_failed")["fields"], query
    # Empty parameters count as absent.
    assert ok(client.get(f"{API}/questions?sort=&tag=&page=&per_page="))["per_page"] == 20


@pytest.mark.parametrize(
    "path",
    ["/questions/{question}/revisions", "/answers/{answer}/revisions", "/goals/{goal}/revisions"],
)
def test_revision_lists_page_and_validate(client, world, path):
    _, ids = world
    url = API + path.format(**ids)
    page = ok(client.get(url))
    assert page == {"items": [], "page": 1, "per_page": 20, "total": 0}
    for query in ("per_page=101", "page=0", "page=x"):
        assert_error(client.get(f"{url}?{query}"), 422, "validation_failed")


HOSTILE = (
    "<script>alert('x')</script> [click](javascript:alert(1)) "
    '<img src=x onerror=alert(1)> <a href="JAVASCRIPT:alert(2)" onclick="e()">a</a> '
    '<svg onload=alert(3)></svg> <iframe src="https://evil.example"></iframe> '
    '<p style="background:url(javascript:x)">styled</p> **bold stays**'
)


def assert_harmless(html: str) -> None:
    lowered = html.lower()
    for bad in (
        "<script",
        "javascript:",
        "onerror",
        "onclick",
        "onload",
        "<iframe",
        "<svg",
        "style=",
    ):
        assert bad not in lowered, (bad, html)
    assert "<strong>bold stays</strong>" in html


def test_hostile_markdown_comes_back_harmless(client, world):
    people, ids = world
    ada, cyd = people["ada"], people["cyd"]
    goal = created(client.post(f"{API}/goals", headers=ada, json={**GOAL, "description": HOSTILE}))
    assert_harmless(goal["description_html"])
    assert_harmless(ok(client.get(f"{API}/goals/{goal['id']}"))["description_html"])
    entry = created(
        client.post(f"{API}/goals/{goal['id']}/journal", headers=ada, json={"body": HOSTILE})
    )
    assert_harmless(entry["body_html"])
    question = created(
        client.post(f"{API}/questions", headers=ada, json={**QUESTION, "body": HOSTILE})
    )
    assert_harmless(question["body_html"])
    answer = created(
        client.post(
            f"{API}/questions/{question['id']}/answers", headers=cyd, json={"body": HOSTILE}
        )
    )
    assert_harmless(answer["body_html"])
    comment = created(
        client.post(
            f"{API}/answers/{answer['id']}/comments",
            headers=ada,
            json={"body": HOSTILE[:590] + " **bold stays**"},
        )
    )
    assert_harmless(comment["body_html"])
    outcome = client.put(
        f"{API}/questions/{question['id']}/outcome", headers=ada, json={"body": HOSTILE}
    )
    assert_harmless(outcome.get_json()["body_html"])
    edited = ok(
        client.patch(f"{API}/questions/{ids['question']}", headers=ada, json={"body": HOSTILE})
    )
    assert_harmless(edited["body_html"])
    thread = ok(client.get(f"{API}/questions/{question['id']}"))
    assert_harmless(thread["outcome"]["body_html"])
    assert_harmless(thread["answers"][0]["body_html"])
    assert_harmless(thread["answers"][0]["comments"][0]["body_html"])
    # Titles are plain text: returned as written, for clients to escape.
    titled = created(
        client.post(
            f"{API}/questions",
            headers=ada,
            json={**QUESTION, "title": "<b>Bold</b> & <i>sure</i>?"},
        )
    )
    assert titled["title"] == "<b>Bold</b> & <i>sure</i>?"


def test_unicode_text_round_trips(client, world):
    people, ids = world
    body = "Zażółć gęślą jaźń — 日本語 — 🎉 emoji answer text"
    answer = created(
        client.post(
            f"{API}/questions/{ids['question']}/answers", headers=people["cyd"], json={"body": body}
        )
    )
    assert answer["body"] == body
    assert ok(client.get(f"{API}/answers/{answer['id']}"))["body"] == body


def test_posting_is_rate_limited_per_account_and_per_ip(client, caller, app):
    app.config["RATELIMIT_POSTING"] = "3 per minute"
    ada, bob = caller("ada"), caller("bob")
    qid = created(
        client.post(
            f"{API}/questions", headers=ada, json=QUESTION, environ_base={"REMOTE_ADDR": "10.0.0.1"}
        )
    )["id"]
    # Same account from different addresses: the account limit applies.
    statuses = [
        client.post(
            f"{API}/questions/{qid}/comments",
            headers=ada,
            json={"body": "hi"},
            environ_base={"REMOTE_ADDR": f"10.0.1.{i}"},
        ).status_code
        for i in range(3)
    ]
    assert statuses == [201, 201, 429]
    # Different accounts from one address: the IP limit applies.
    statuses = []
    for i in range(4):
        who = caller(f"user{i}")
        statuses.append(
            client.post(
                f"{API}/questions/{qid}/comments",
                headers=who,
                json={"body": "hi"},
                environ_base={"REMOTE_ADDR": "10.0.2.1"},
            ).status_code
        )
    assert statuses == [201, 201, 201, 429]
    before = snapshot()
    response = client.post(
        f"{API}/questions/{qid}/answers",
        headers=ada,
        json={"body": ANSWER},
        environ_base={"REMOTE_ADDR": "10.0.3.1"},
    )
    error = assert_error(response, 429, "rate_limited")
    assert error["message"] and int(response.headers["Retry-After"]) > 0
    assert snapshot() == before
    # Reading and voting are not posting.
    assert ok(client.get(f"{API}/questions/{qid}", headers=ada))
    assert ok(client.post(f"{API}/questions/{qid}/votes", headers=bob, json={"value": 1}))

"""An outsider's view of the site, as snapshots that can be compared (SPEC §1 rule 7).

An ``Observer`` is an anonymous reader or a signed-in user with no part in what the
scenario does. ``snapshot()`` fetches every public surface the scenario names — user objects
and profile pages of everyone involved, ``/mentors``, question lists in every sort (web and
API), goal lists, tag pages, feeds, question/goal/answer objects and pages, the observer's
own notifications — and the status codes of probing calls (ids the scenario is about to use
privately, a tag used only on private posts, flags and follows on them). Two snapshots of
an outsider around private activity must be equal; only per-request noise is normalised
(CSRF tokens, the profile's "local time" clock).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from tests.conftest import api_token, bearer, login

API = "/api/v1"
QUESTION_SORTS = ("newest", "votes", "unanswered", "active")

_NOISE = [
    (re.compile(r'(name="csrf_token"[^>]*value=")[^"]*"'), r'\1CSRF"'),
    (re.compile(r'(name="csrf-token"[^>]*content=")[^"]*"'), r'\1CSRF"'),
    (re.compile(r'(<span class="local-time">)[^<]*<'), r"\1HH:MM<"),
]


_FEED_UPDATED = re.compile(r"<updated>[^<]*</updated>")


def normalise(text: str) -> str:
    """Blank out what differs between two identical requests (tokens, the clock)."""
    for pattern, replacement in _NOISE:
        text = pattern.sub(replacement, text)
    if text.startswith("<?xml") and "<entry>" not in text:
        # An empty feed is dated "now" (Atom requires a date); a feed with entries is dated
        # by its newest entry, which is compared.
        text = _FEED_UPDATED.sub("<updated>NOW</updated>", text)
    return text


@dataclass
class Surfaces:
    """What the scenario puts in front of the public (and what it is about to hide)."""

    usernames: list[str]
    questions: list[int] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)
    goals: list[int] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    # Ids the scenario will use for private content, a tag only private posts will carry:
    # asking about them must answer the same before and after.
    probe_questions: list[int] = field(default_factory=list)
    probe_answers: list[int] = field(default_factory=list)
    probe_milestones: list[int] = field(default_factory=list)
    private_tags: list[str] = field(default_factory=list)
    # Question lists in every sort (off where the scenario's own public question moves).
    question_lists: bool = True


class Observer:
    """One outsider with a test client: anonymous (``username=None``) or signed in."""

    def __init__(self, app, username: str | None = None):
        self.client = app.test_client()
        self.username = username
        self.headers: dict = {}
        if username is not None:
            login(self.client, username)
            self.client.get("/")  # the "signed in" flash is shown once, before any snapshot
            self.headers = bearer(api_token(app.test_client(), username))

    def _get(self, url: str, api: bool):
        response = self.client.get(url, headers=self.headers if api else None)
        body = response.get_data(as_text=True)
        if api and response.is_json:
            body = json.dumps(response.get_json(), sort_keys=True)
        return response.status_code, normalise(body)

    def _probe(self, method: str, url: str, payload=None) -> int:
        response = self.client.open(url, method=method, json=payload, headers=self.headers)
        return response.status_code

    def snapshot(self, s: Surfaces) -> dict:
        """Every surface the outsider can reach, keyed by what was asked."""
        shot: dict = {}

        def web(url: str) -> None:
            shot[url] = self._get(url, api=False)

        def api(url: str) -> None:
            shot["API " + url] = self._get(API + url, api=True)

        web("/mentors")
        web("/goals")
        api("/goals?per_page=100")
        if s.question_lists:
            web("/")
            web("/feeds/questions.atom")
            for sort in QUESTION_SORTS:
                web(f"/questions?sort={sort}")
                api(f"/questions?sort={sort}&per_page=100")
        for name in s.usernames:
            web(f"/users/{name}")
            api(f"/users/{name}")
        for tag in [*s.tags, *s.private_tags]:
            web(f"/mentors?topic={tag}")
            if s.question_lists:
                web(f"/tags/{tag}?sort=active")
                web(f"/feeds/tags/{tag}.atom")
                api(f"/questions?tag={tag}&sort=active")
        for qid in [*s.questions, *s.probe_questions]:
            web(f"/questions/{qid}")
            api(f"/questions/{qid}")
        for aid in [*s.answers, *s.probe_answers]:
            api(f"/answers/{aid}")
        for gid in s.goals:
            web(f"/goals/{gid}")
            api(f"/goals/{gid}")
        if self.username is not None:
            web("/notifications")
            api("/notifications?per_page=100")
            api("/users/me")
            self._probes(shot, s)
        return shot

    def _probes(self, shot: dict, s: Surfaces) -> None:
        """Calls an attacker would try; only their status codes count (none changes state
        when the target is hidden: a follow is undone right away)."""
        for tag in s.private_tags:
            shot[f"PUT follow {tag}"] = self._probe("PUT", f"{API}/follows/tag/{tag}")
            shot[f"DELETE follow {tag}"] = self._probe("DELETE", f"{API}/follows/tag/{tag}")
        for qid in s.probe_questions:
            shot[f"vote q{qid}"] = self._probe("POST", f"{API}/questions/{qid}/votes", {"value": 1})
            shot[f"flag q{qid}"] = self._probe(
                "POST", f"{API}/flags", {"type": "question", "id": qid, "reason": "spam"}
            )
        for aid in s.probe_answers:
            shot[f"vote a{aid}"] = self._probe("POST", f"{API}/answers/{aid}/votes", {"value": 1})
            shot[f"flag a{aid}"] = self._probe(
                "POST", f"{API}/flags", {"type": "answer", "id": aid, "reason": "spam"}
            )
            shot[f"helpful a{aid}"] = self._probe("POST", f"{API}/answers/{aid}/helpful")
        for mid in s.probe_milestones:
            shot[f"milestone {mid}"] = self._probe(
                "PATCH", f"{API}/milestones/{mid}", {"done": True}
            )


def differences(before: dict, after: dict) -> list[str]:
    """The surfaces whose snapshot changed, each with a short excerpt of the first change."""
    changed = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        old_text, new_text = str(old), str(new)
        at = next(
            (i for i, (a, b) in enumerate(zip(old_text, new_text, strict=False)) if a != b),
            min(len(old_text), len(new_text)),
        )
        changed.append(
            f"{key}: …{old_text[max(at - 80, 0) : at + 80]!r}\n    → "
            f"…{new_text[max(at - 80, 0) : at + 80]!r}"
        )
    return changed


def assert_unchanged(
    observers: list[Observer], before: list[dict], s: Surfaces, what: str, mask=None
) -> None:
    """Snapshot again and fail with every surface that moved (``mask`` blanks, in both
    snapshots, what the scenario changes in public on purpose)."""
    mask = mask or (lambda shot: shot)
    problems = []
    for observer, old in zip(observers, before, strict=True):
        who = observer.username or "anonymous reader"
        problems += [
            f"[{who}] {line}" for line in differences(mask(old), mask(observer.snapshot(s)))
        ]
    assert not problems, f"{what} is visible from outside:\n" + "\n".join(problems)

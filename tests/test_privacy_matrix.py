"""The privacy matrix of open → closed mentorship (SPEC §1 rules 1–6, §5 "one gate").

One scenario walks a goal through every phase, driven through the services:

    open → invited → closed → private content (mentor one) → paused → reopened
    → closed again (mentor two, new private content) → completed → summary published

Every piece of text carries its own marker word (``zqxpub…`` for public-phase content,
``zqxmone…`` / ``zqxmtwo…`` for the two private phases, ``zqxinvite…`` for invite messages),
with the rule that says who may read it. At each phase, each viewer (anonymous, a stranger,
the earlier answerer, the protégé, both mentors, an admin) fetches every surface that
exists, and the test asserts that

* a viewer never receives a marker the rules hide from them, in any response body;
* hidden goals, questions and answers answer 404 (never 403) on their pages, revision
  pages and API objects, and visible ones 200;
* an allowed viewer does find each marker on its home surface (so the matrix is not
  vacuously passing), and answer anchors appear exactly for visible answers;
* search and similar-threads never return hidden content, both before the indexer has
  drained (the database re-check) and after it; after draining, the index itself holds
  exactly the public documents and no hidden marker.

The scenario is built once per backend, in one test, and the checks loop over
surfaces × viewers inside it. Failures are collected and reported together, so one run
lists every leak.

Surfaces to add when they exist: in-app notifications (list and unread count) and
notification emails, the data export (JSON), sitemap.xml, the mentorship web pages
(dashboard, invite page, private space), tag-follow feeds.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import quote, unquote

import pytest

from app.core.errors import ValidationFailed
from app.extensions import db
from app.models import Answer, Goal, Question
from app.models.base import utcnow
from app.models.users import ROLE_ADMIN
from app.search.indexer import drain
from app.search.query import parse_query
from app.search.service import get_backend
from app.services import goals, helpful, mentorship, mentorship_lifecycle, private_space, questions
from tests.builders import build_answer, build_goal, build_question
from tests.conftest import api_token, bearer, login

# ~6,200 requests per database: run by `make test-slow` (also in CI).
pytestmark = pytest.mark.slow

VIEWERS = ("anonymous", "stranger", "answerer", "owner", "mentor1", "mentor2", "admin")
PARTIES = ("owner", "mentor1", "mentor2")
TAG = "wildlife"
NEVER = "zqxnevermatchesanything"  # a word no content has: measures how pages echo a query
SIMILAR_WORDS = "pangolin habitat"  # shared by the goal's questions and the other thread


# -- the rules, as the test states them (independently of app/core/visibility.py) -------


@dataclass
class State:
    """What the goal looks like in a phase."""

    name: str
    goal_open: bool = True
    mentor: str | None = None  # the role that is the goal's mentor_id
    live: int | None = None  # the mentorship (1 or 2) in progress, if any
    achieved: bool = False


Rule = Callable[[str, State], bool]


def public_rule(role: str, state: State) -> bool:
    """Rule 2: public-phase content is for everyone while open, else owner and mentor."""
    return state.goal_open or role in ("owner", state.mentor)


def phase_rule(k: int) -> Rule:
    """Rule 3: content of private phase k: the owner, and mentor k while they may see the
    goal (it is open again, or they are its mentor). Never another phase's mentor."""
    return lambda role, state: (
        role == "owner" or (role == f"mentor{k}" and (state.goal_open or state.mentor == role))
    )


def space_rule(k: int) -> Rule:
    """Rule 4: messages and check-ins of phase k: the owner, and mentor k from then on,
    also after release or reopen (SPEC §3.1: they keep their own phase forever)."""
    return lambda role, state: role in ("owner", f"mentor{k}")


def agreement_rule(k: int) -> Rule:
    """The agreement shown is the one of the mentorship in progress, to its two parties."""
    return lambda role, state: state.live == k and role in ("owner", f"mentor{k}")


def invite_rule(k: int) -> Rule:
    """An invite and its message: the protégé and the invitee only."""
    return lambda role, state: role in ("owner", f"mentor{k}")


def always(role: str, state: State) -> bool:
    return True


@dataclass
class Marker:
    word: str
    rule: Rule
    home: str | None  # where a viewer allowed to read it must find it
    indexed: bool = False  # part of a post's current title or body (searchable while public)


@dataclass
class Post:
    """A goal, question or answer: its direct URLs must answer 200 or 404 by its rule."""

    kind: str
    id: int
    rule: Rule
    question_id: int | None = None

    def urls(self) -> list[str]:
        if self.kind == "goal":
            return [
                f"/goals/{self.id}",
                f"/goals/{self.id}/revisions",
                f"/api/v1/goals/{self.id}",
                f"/api/v1/goals/{self.id}/revisions",
            ]
        if self.kind == "question":
            return [
                f"/questions/{self.id}",
                f"/questions/{self.id}/revisions",
                f"/api/v1/questions/{self.id}",
                f"/api/v1/questions/{self.id}/revisions",
            ]
        return [
            f"/answers/{self.id}/revisions",
            f"/api/v1/answers/{self.id}",
            f"/api/v1/answers/{self.id}/revisions",
        ]

    @property
    def doc_id(self) -> str:
        return f"{self.kind}:{self.id}"


# -- viewers --------------------------------------------------------------------------------


@dataclass
class Viewer:
    """One person: a browser (cookie session) for pages, a bearer-token client for the API."""

    role: str
    web: object
    api: object
    headers: dict = field(default_factory=dict)
    echo: dict = field(default_factory=dict)  # path -> how often a query word is echoed
    cache_control: str = ""  # of the last response

    def get(self, url: str):
        if url.startswith("/api/"):
            return self.api.get(url, headers=self.headers)
        return self.web.get(url)

    def text(self, url: str) -> tuple[int, str]:
        response = self.get(url)
        self.cache_control = response.headers.get("Cache-Control", "")
        return response.status_code, response.get_data(as_text=True)


def make_viewers(app, users: dict) -> dict[str, Viewer]:
    viewers = {}
    for role in VIEWERS:
        web, api = app.test_client(), app.test_client()
        headers = {}
        if role != "anonymous":
            name = users[role].username
            assert login(web, name).status_code == 302
            headers = bearer(api_token(api, name))
        viewers[role] = Viewer(role, web, api, headers)
    return viewers


# -- the scenario ---------------------------------------------------------------------------


class Scenario:
    """The goal, its posts and markers, built phase by phase through the services."""

    def __init__(self, users: dict) -> None:
        self.users = users
        self.markers: dict[str, Marker] = {}
        self.posts: dict[str, Post] = {}
        self.goal_id: int = 0
        self.requests: dict[int, int] = {}
        self.state = State("open")

    # registering ---------------------------------------------------------------------------
    def mark(self, word: str, rule: Rule, home: str | None, indexed: bool = False) -> str:
        assert word.startswith("zqx") and word not in self.markers
        self.markers[word] = Marker(word, rule, home, indexed)
        return word

    def post(self, name: str, kind: str, obj, rule: Rule) -> None:
        self.posts[name] = Post(kind, obj.id, rule, getattr(obj, "question_id", None))

    def goal(self) -> Goal:
        db.session.commit()  # see what requests and services committed
        return db.session.get(Goal, self.goal_id)

    def question(self, name: str) -> Question:
        return db.session.get(Question, self.posts[name].id)

    @property
    def goal_url(self) -> str:
        return f"/goals/{self.goal_id}"

    def q_url(self, name: str) -> str:
        return f"/questions/{self.posts[name].id}"

    # content -------------------------------------------------------------------------------
    def ask(
        self,
        name: str,
        rule: Rule,
        title_word: str,
        body_word: str,
        old_word: str,
        asker=None,
        goal=True,
    ) -> None:
        """A question whose first body is replaced by an edit (so it has a revision)."""
        owner = asker or self.users["owner"]
        question = build_question(
            owner,
            title=f"Pangolin habitat question {title_word}",
            body=f"First draft {old_word}",
            tags=(TAG,),
            goal=self.goal() if goal else None,
        )
        questions.edit_question(owner, question, {"body": f"Where do they sleep {body_word}"})
        self.post(name, "question", question, rule)
        url = self.q_url(name)
        self.mark(title_word, rule, url, indexed=True)
        self.mark(body_word, rule, url, indexed=True)
        self.mark(old_word, rule, f"{url}/revisions")

    def answer(
        self,
        name: str,
        question: str,
        author: str,
        rule: Rule,
        word: str,
        old_word: str | None = None,
    ) -> None:
        user = self.users[author]
        target = self.question(question)
        if old_word:
            answer = build_answer(user, target, f"My first thoughts on this {old_word}")
            questions.edit_answer(user, answer, f"Burrows, hollow trees and dens {word}")
            self.mark(old_word, rule, f"/answers/{answer.id}/revisions")
        else:
            answer = build_answer(user, target, f"Burrows, hollow trees and dens {word}")
        self.post(name, "answer", answer, rule)
        self.mark(word, rule, self.q_url(question), indexed=True)

    def comment(
        self,
        author: str,
        rule: Rule,
        word: str,
        *,
        question: str | None = None,
        answer: str | None = None,
    ) -> None:
        user = self.users[author]
        if question:
            questions.add_comment(user, question=self.question(question), body=f"Hm {word}")
            home = self.q_url(question)
        else:
            row = db.session.get(Answer, self.posts[answer].id)
            questions.add_comment(user, answer=row, body=f"Hm {word}")
            home = f"/questions/{row.question_id}"
        self.mark(word, rule, home)

    def goal_items(self, rule: Rule, milestone: str | None, journal: str) -> None:
        owner = self.users["owner"]
        if milestone:
            goals.add_milestone(owner, self.goal(), {"title": f"Step {milestone}"})
            self.mark(milestone, rule, self.goal_url)
        goals.add_journal_entry(owner, self.goal(), f"Today {journal}")
        self.mark(journal, rule, self.goal_url)

    def private_space(self, k: int, prefix: str) -> None:
        """Messages, an agreement and a check-in of mentorship k."""
        owner, mentor = self.users["owner"], self.users[f"mentor{k}"]
        api = f"/api/v1/goals/{self.goal_id}"
        for who, user in (("owner", owner), ("mentor", mentor)):
            word = self.mark(f"{prefix}msg{who}", space_rule(k), f"{api}/messages")
            private_space.send_message(user, self.goal(), f"Hello {word}")
        private_space.set_agreement(
            owner,
            self.goal(),
            {
                "modes": ["video"],
                "response_hours": 48,
                "cadence": "Weekly "
                + self.mark(f"{prefix}cadence", agreement_rule(k), f"{api}/agreement"),
                "success_criteria": "Release "
                + self.mark(f"{prefix}agreement", agreement_rule(k), f"{api}/agreement"),
            },
        )
        checkin = private_space.add_checkin(
            mentor,
            self.goal(),
            {
                "scheduled_at": (utcnow() + timedelta(days=3)).isoformat(),
                "agenda": "Review "
                + self.mark(f"{prefix}checkin", space_rule(k), f"{api}/checkins"),
            },
        )
        private_space.update_checkin(
            owner,
            self.goal(),
            checkin,
            {"notes": "Went well " + self.mark(f"{prefix}notes", space_rule(k), f"{api}/checkins")},
        )

    def invite(self, k: int, word: str):
        request = mentorship.invite(
            self.users["owner"], self.goal(), self.users[f"mentor{k}"].username, f"Please {word}"
        )
        self.requests[k] = request.id
        self.mark(word, invite_rule(k), f"/api/v1/mentorship-requests/{request.id}")
        return request


def build_open_phase(s: Scenario) -> None:
    owner, stranger = s.users["owner"], s.users["stranger"]
    goal = build_goal(
        owner,
        title="Pangolin rescue plan zqxpubgoaltitle",
        tags=(TAG,),
        description="Plan notes zqxpubgoalrevold",
    )
    s.goal_id = goal.id
    goals.edit_goal(owner, goal, {"description": "Rescue pangolins zqxpubgoalbody"})
    s.post("goal", "goal", goal, public_rule)
    s.mark("zqxpubgoaltitle", public_rule, s.goal_url, indexed=True)
    s.mark("zqxpubgoalbody", public_rule, s.goal_url, indexed=True)
    s.mark("zqxpubgoalrevold", public_rule, f"{s.goal_url}/revisions")
    s.ask("qone", public_rule, "zqxpubqonetitle", "zqxpubqonebody", "zqxpubqonerevold")
    s.answer("aone", "qone", "answerer", public_rule, "zqxpubanswerbody", "zqxpubanswerrevold")
    s.comment("stranger", public_rule, "zqxpubcommentq", question="qone")
    s.comment("owner", public_rule, "zqxpubcommenta", answer="aone")
    s.goal_items(public_rule, "zqxpubmilestone", "zqxpubjournal")
    helpful.set_outcome(owner, s.question("qone"), "Built a burrow zqxpuboutcome")
    s.mark("zqxpuboutcome", public_rule, s.q_url("qone"))
    # A public thread elsewhere, like the goal's questions: its similar box is a surface.
    other = build_question(
        stranger,
        title=f"{SIMILAR_WORDS} survey methods",
        body="How do you count pangolins in a habitat survey?",
        tags=(TAG,),
    )
    s.post("other", "question", other, always)


def build_private_phase(s: Scenario, k: int, prefix: str) -> None:
    """Content created while closed with mentor k: private to the pair forever."""
    rule = phase_rule(k)
    mentor = f"mentor{k}"
    s.ask(f"q{prefix}", rule, f"{prefix}qtitle", f"{prefix}qbody", f"{prefix}qrevold")
    s.answer(f"a{prefix}q", f"q{prefix}", mentor, rule, f"{prefix}answerq")
    s.answer(f"a{prefix}pub", "qone", mentor, rule, f"{prefix}answerpub", f"{prefix}answerrevold")
    s.comment(mentor, rule, f"{prefix}commentq", question="qone")
    s.comment(mentor, rule, f"{prefix}commenta", answer="aone")
    s.comment("owner", rule, f"{prefix}commentpriv", answer=f"a{prefix}q")
    s.goal_items(rule, f"{prefix}milestone", f"{prefix}journal")
    helpful.set_outcome(s.users["owner"], s.question(f"q{prefix}"), f"Fine {prefix}outcome")
    s.mark(f"{prefix}outcome", rule, s.q_url(f"q{prefix}"))
    s.private_space(k, prefix)


# -- the checks -----------------------------------------------------------------------------


def list_surfaces(s: Scenario) -> list[str]:
    """Pages and API responses that list or mention many posts."""
    names = [s.users[r].username for r in ("owner", "answerer", "mentor1", "mentor2")]
    similar_text = quote(f"{SIMILAR_WORDS} worry doubt zqxmoneqtitle zqxmtwoqtitle")
    return [
        "/",
        "/questions",
        "/questions?sort=active",
        "/questions?sort=votes",
        "/goals",
        "/goals?status=achieved",
        f"/tags/{TAG}",
        f"/tags/{TAG}?sort=active",
        "/feeds/questions.atom",
        f"/feeds/tags/{TAG}.atom",
        *(f"/users/{name}" for name in names),
        *(f"/api/v1/users/{name}" for name in names),
        "/api/v1/goals",
        f"/api/v1/goals?owner={names[0]}",
        f"/api/v1/goals?tag={TAG}",
        "/api/v1/questions",
        f"/api/v1/questions?tag={TAG}",
        "/api/v1/questions?sort=votes",
        f"/api/v1/similar?text={similar_text}&limit=20",
    ]


def search_surfaces(s: Scenario, words: list[str]) -> list[str]:
    urls = []
    for word in words:
        urls += [
            f"/search?q={word}",
            f"/api/v1/search?q={word}&per_page=100",
            f"/search?q={word}&type=answer",
        ]
    return urls


def misspelled(word: str) -> str:
    return word[:-1] + ("x" if word[-1] != "x" else "y")


def private_space_surfaces(s: Scenario) -> list[str]:
    api = f"/api/v1/goals/{s.goal_id}"
    return [
        f"{api}/messages",
        f"{api}/checkins",
        f"{api}/agreement",
        f"{api}/mentor-candidates",
        *(f"/api/v1/mentorship-requests/{rid}" for rid in s.requests.values()),
    ]


def echoed(viewer: Viewer, url: str, word: str) -> int:
    """How often a page echoes a query word back (so that echo is not taken for a leak)."""
    path = url.split("?")[0]
    if path not in viewer.echo:
        probe = url.replace(word, NEVER)
        viewer.echo[path] = viewer.text(probe)[1].count(NEVER)
    return viewer.echo[path]


def occurrences(viewer: Viewer, url: str, body: str, word: str) -> int:
    count = body.count(word)
    if count and word in unquote(url):
        count -= echoed(viewer, url, word)
    return count


class Matrix:
    """Runs the checks and collects every failure (one run reports every leak)."""

    def __init__(self, scenario: Scenario, viewers: dict[str, Viewer]) -> None:
        self.s = scenario
        self.viewers = viewers
        self.failures: list[str] = []
        self.counts = {"requests": 0, "surfaces": set(), "phases": set()}

    def fail(self, message: str) -> None:
        self.failures.append(f"[{self.s.state.name}] {message}")

    def fetch(self, viewer: Viewer, url: str) -> tuple[int, str]:
        status, body = viewer.text(url)
        self.counts["requests"] += 1
        self.counts["surfaces"].add(re.sub(r"/\d+", "/<id>", url.split("?")[0]))
        if status >= 500:
            self.fail(f"{viewer.role}: {url} answered {status}")
        return status, body

    def hidden_markers(self, role: str) -> list[Marker]:
        return [m for m in self.s.markers.values() if not m.rule(role, self.s.state)]

    def scan(self, viewer: Viewer, url: str, body: str) -> None:
        """No marker hidden from this viewer may appear in the body."""
        for marker in self.hidden_markers(viewer.role):
            if marker.word in body and occurrences(viewer, url, body, marker.word) > 0:
                self.fail(f"LEAK {viewer.role} sees {marker.word} on {url}")

    # surfaces ------------------------------------------------------------------------------
    def check_posts(self, viewer: Viewer) -> None:
        """Direct URLs: 200 when visible, 404 when hidden; anchors only for visible answers."""
        state, bodies = self.s.state, {}
        for name, post in self.s.posts.items():
            visible = post.rule(viewer.role, state)
            for url in post.urls():
                status, body = self.fetch(viewer, url)
                bodies[url] = body
                expected = 200 if visible else 404
                if status != expected:
                    self.fail(f"{viewer.role}: {url} ({name}) answered {status}, not {expected}")
                private = visible and not post.rule("anonymous", state)
                if private and "no-store" not in viewer.cache_control:
                    self.fail(
                        f"{viewer.role}: private {url} sent Cache-Control "
                        f"{viewer.cache_control!r}, not no-store"
                    )
                self.scan(viewer, url, body)
        for post in self.s.posts.values():
            if post.kind != "answer":
                continue
            page = bodies.get(f"/questions/{post.question_id}", "")
            has_anchor = f'id="answer-{post.id}"' in page
            question_visible = any(
                p.kind == "question" and p.id == post.question_id and p.rule(viewer.role, state)
                for p in self.s.posts.values()
            )
            if question_visible and has_anchor != post.rule(viewer.role, state):
                self.fail(f"{viewer.role}: anchor answer-{post.id} shown={has_anchor}")
        self.check_homes(viewer, bodies)

    def check_homes(self, viewer: Viewer, bodies: dict[str, str]) -> None:
        """Every marker this viewer may read is on its home surface (no vacuous pass)."""
        for marker in self.s.markers.values():
            if marker.home is None or not marker.rule(viewer.role, self.s.state):
                continue
            if marker.home not in bodies:
                bodies[marker.home] = self.fetch(viewer, marker.home)[1]
                self.scan(viewer, marker.home, bodies[marker.home])
            if marker.word not in bodies[marker.home]:
                self.fail(f"{viewer.role} does not see {marker.word} on {marker.home}")

    def check_lists(self, viewer: Viewer) -> None:
        for url in list_surfaces(self.s):
            self.scan(viewer, url, self.fetch(viewer, url)[1])

    def check_private_space(self, viewer: Viewer) -> None:
        """Mentorship API: 401 anonymous, 404 while the goal is hidden, else by the rules."""
        state = self.s.state
        goal_visible = public_rule(viewer.role, state)
        for url in private_space_surfaces(self.s):
            status, body = self.fetch(viewer, url)
            self.scan(viewer, url, body)
            if viewer.role == "anonymous":
                allowed = {401}
            elif "/mentorship-requests/" in url:
                k = next(k for k, rid in self.s.requests.items() if url.endswith(f"/{rid}"))
                allowed = {200} if invite_rule(k)(viewer.role, state) else {404}
            elif url.endswith(("/messages", "/checkins")) and (
                (viewer.role == "mentor1" and state.name not in ("open", "invited"))
                or (
                    viewer.role == "mentor2"
                    and state.name in ("closed again", "completed", "published")
                )
            ):
                allowed = {200}  # a former mentor keeps reading their own phase (§3.1)
            elif not goal_visible:
                allowed = {404}
            elif url.endswith("/mentor-candidates"):
                allowed = {200} if viewer.role == "owner" else {403}
            elif url.endswith("/agreement"):
                party = viewer.role in ("owner", state.mentor)
                allowed = (
                    {200, 404}
                    if party and state.live
                    else {409}
                    if party or state.live is None
                    else {403}
                )
            else:
                allowed = {200} if viewer.role in ("owner", state.mentor) else {403}
            if status not in allowed:
                self.fail(f"{viewer.role}: {url} answered {status}, not {sorted(allowed)}")

    def check_search(self, viewer: Viewer, *, drained: bool) -> None:
        """Search each post marker (and a misspelling of each title), and similar threads.

        Only markers of titles and bodies of goals, questions and answers: the indexer
        indexes nothing else, so private ones are exactly what a broken gate would index.
        """
        words = [m.word for m in self.s.markers.values() if m.indexed]
        titles = [w for w in words if w.endswith("title")]
        urls = [f"/api/v1/search?q={w}" for w in words]
        hidden = {m.word for m in self.hidden_markers(viewer.role)}
        urls += [f"/search?q={w}" for w in words if w in hidden]  # pages where a leak could be
        urls += [f"/api/v1/search?q={misspelled(w)}" for w in titles]
        urls += [f"/search?q={misspelled(w)}" for w in titles]
        urls += search_surfaces(self.s, ["pangolin"])
        urls += [f"/api/v1/similar?text={quote(SIMILAR_WORDS + ' ' + w)}" for w in titles]
        urls.append(self.s.q_url("other"))
        for url in urls:
            status, body = self.fetch(viewer, url)
            self.scan(viewer, url, body)
            if url.startswith("/api/v1/search") and status == 200:
                page = json.loads(body)
                # Hits dropped by the database re-check must not be counted either.
                if page["total"] <= page["per_page"] and page["total"] != len(page["items"]):
                    self.fail(
                        f"{viewer.role}: {url} counts {page['total']} hits, "
                        f"shows {len(page['items'])}"
                    )
        if drained and viewer.role == "anonymous":
            # Public, indexed markers are found again (positive: the search works at all),
            # and a misspelled public title still gets its did-you-mean.
            for marker in self.s.markers.values():
                if marker.indexed and marker.rule("anonymous", self.s.state):
                    items = json.loads(self.fetch(viewer, f"/api/v1/search?q={marker.word}")[1])
                    if not items["items"]:
                        self.fail(f"search does not find public {marker.word}")
            if public_rule("anonymous", self.s.state):
                url = f"/api/v1/search?q={misspelled('zqxpubqonetitle')}"
                if json.loads(self.fetch(viewer, url)[1]).get("suggestion") != "zqxpubqonetitle":
                    self.fail(f"{url} lost its did-you-mean")

    def check_index(self) -> None:
        """After draining: the index holds exactly the public posts, no hidden marker."""
        backend = get_backend()
        backend.refresh()
        expected = {p.doc_id for p in self.s.posts.values() if p.rule("anonymous", self.s.state)}
        held = backend.doc_ids()
        if held != expected:
            self.fail(
                f"index holds {sorted(held - expected)} extra, misses {sorted(expected - held)}"
            )
        for marker in self.s.markers.values():
            if marker.rule("anonymous", self.s.state):
                continue
            results = backend.search(parse_query(marker.word))
            if results.hits or results.total:
                self.fail(
                    f"index search for hidden {marker.word}: total {results.total}, "
                    f"hits {[h.doc_id for h in results.hits]}"
                )

    # one phase -----------------------------------------------------------------------------
    def run_phase(self, state: State) -> None:
        previous, self.s.state = self.s.state, state
        self.counts["phases"].add(state.name)
        # Before the indexer runs, after the goal closed or opened: the index may still hold
        # what just closed; every search and similar-threads hit must be re-checked against
        # the database.
        if state.goal_open != previous.goal_open:
            for viewer in self.viewers.values():
                self.check_search(viewer, drained=False)
        drain(get_backend())
        self.check_index()
        for viewer in self.viewers.values():
            self.check_posts(viewer)
            self.check_lists(viewer)
            self.check_private_space(viewer)
            self.check_search(viewer, drained=True)


@pytest.fixture(autouse=True)
def unlimited_search(app):
    """The matrix searches thousands of times from one test IP: not what limits are for."""
    app.config["RATELIMIT_SEARCH"] = "1000000 per minute"


@pytest.fixture
def people(make_user):
    users = {
        role: make_user(name)
        for role, name in (
            ("owner", "protege"),
            ("stranger", "stranger"),
            ("answerer", "answerer"),
            ("mentor1", "mentorone"),
            ("mentor2", "mentortwo"),
        )
    }
    users["admin"] = make_user("siteadmin", email="admin@example.org")
    assert users["admin"].role == ROLE_ADMIN  # admins follow the same rule as anyone
    return users


def test_privacy_matrix(app, people):
    s = Scenario(people)
    matrix = Matrix(s, make_viewers(app, people))
    owner, mentor1, mentor2 = people["owner"], people["mentor1"], people["mentor2"]

    build_open_phase(s)
    matrix.run_phase(State("open"))

    request = s.invite(1, "zqxinviteone")
    matrix.run_phase(State("invited"))

    mentorship.accept(mentor1, request)
    matrix.run_phase(State("closed", goal_open=False, mentor="mentor1", live=1))

    build_private_phase(s, 1, "zqxmone")
    matrix.run_phase(State("private", goal_open=False, mentor="mentor1", live=1))

    mentorship_lifecycle.pause(mentor1, s.goal())
    s.goal_items(phase_rule(1), None, "zqxmonepausedjournal")  # still private while paused
    matrix.run_phase(State("paused", goal_open=False, mentor="mentor1", live=1))

    mentorship_lifecycle.reopen(owner, s.goal())
    # Written while open again: public like any public-phase content.
    s.answer("areopen", "qone", "answerer", public_rule, "zqxpubreopenanswer")
    matrix.run_phase(State("reopened"))

    mentorship.accept(mentor2, s.invite(2, "zqxinvitetwo"))
    build_private_phase(s, 2, "zqxmtwo")
    matrix.run_phase(State("closed again", goal_open=False, mentor="mentor2", live=2))

    mentorship_lifecycle.complete(owner, s.goal())
    matrix.run_phase(State("completed", goal_open=False, mentor="mentor2", achieved=True))

    mentorship_lifecycle.publish_summary(owner, s.goal(), "What I learned: zqxpubsummary")
    s.mark("zqxpubsummary", public_rule, s.goal_url)
    matrix.run_phase(State("published", achieved=True))

    words = list(s.markers)
    assert not [(a, b) for a in words for b in words if a != b and a in b], "markers overlap"
    assert not matrix.failures, f"{len(matrix.failures)} privacy failures:\n" + "\n".join(
        matrix.failures[:150]
    )
    # Coverage, so a future change that silently drops surfaces shows up here.
    assert len(matrix.counts["phases"]) == 9 and len(matrix.counts["surfaces"]) >= 35
    assert matrix.counts["requests"] > 5000


# -- "answered in" links: a public thread pointing at a thread that is hidden now ------------


@pytest.fixture
def linked(people):
    """A public, goal-less question linked as "answered in" a goal's question, and the goal
    closed afterwards; plus one linked to a question written in the private phase."""
    owner = people["owner"]
    goal = build_goal(owner, title="Pangolin rescue plan zqxlinkgoaltitle", tags=(TAG,))
    target = build_question(
        owner, title="Pangolin habitat question zqxlinkpubtitle", tags=(TAG,), goal=goal
    )
    public = build_question(owner, title="Where to read about pangolin dens?", tags=(TAG,))
    questions.set_answered_in(owner, public, target.id)
    request = mentorship.invite(owner, goal, people["mentor1"].username, "Please mentor me")
    mentorship.accept(people["mentor1"], request)
    private = build_question(
        owner,
        title="Pangolin habitat worry zqxlinkprivtitle",
        tags=(TAG,),
        goal=db.session.get(Goal, goal.id),
    )
    later = build_question(owner, title="Any news about pangolin dens?", tags=(TAG,))
    # A new link into the closed goal is refused (rule 7); one made before that rule (or
    # by hand) must still not show its target.
    with pytest.raises(ValidationFailed):
        questions.set_answered_in(owner, later, private.id)
    later.answered_in_id = private.id
    db.session.commit()
    return public, later


def test_answered_in_link_api_hides_a_hidden_target(client, linked):
    for question in linked:
        body = client.get(f"/api/v1/questions/{question.id}").get_json()
        assert body["answered_in"] is None


def test_answered_in_link_page_hides_a_hidden_target(client, linked):
    for question in linked:
        page = client.get(f"/questions/{question.id}").text
        assert "zqxlinkpubtitle" not in page and "zqxlinkprivtitle" not in page

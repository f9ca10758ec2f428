"""A newcomer's first five minutes on the demo site, at 1280 and at 360 px (issue 16).

The server was filled by `flask demo load` (conftest's demo_server). On top, the demo accounts
play every mentorship state through the API: a goal closed with a mentor (agreement, messages,
a past and an upcoming check-in), a paused one, an achieved one with a "what I learned"
summary, and a pending invite. Then a visitor reads the home page, a thread, a goal's journey
and a mentor's profile; the demo protégé signs in and opens the dashboard and the private
space; a visitor gets 404 on the closed goal. Every page is axe-clean (WCAG 2.1 AA, as in
test_accessibility, and in dark mode too) and does not scroll sideways at 360 px; the README's
screenshots are written on the way.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import (
    DEMO_PASSWORD,
    VIEWPORTS,
    docs_screenshot,
    horizontal_overflow,
    sign_in,
)
from tests.e2e.test_accessibility import blocking, run_axe

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

WIDTHS = {"desktop": "1280", "360px": "360"}
DESKTOP_1280 = {"width": 1280, "height": 860}


def _iso(delta: timedelta) -> str:
    return (datetime.now(UTC) + delta).strftime("%Y-%m-%dT%H:%MZ")


@pytest.fixture(scope="module")
def story(demo_server, axe_source) -> dict:
    """The demo accounts in every mentorship state (through the API, so every rule holds)."""
    server = demo_server
    api = server.api
    tokens = {
        name: api("POST", "/api/v1/tokens", basic=(name, DEMO_PASSWORD))["token"]
        for name in ("ada", "grace", "linus")
    }

    def as_(name, method, path, body=None):
        return api(method, path, body, token=tokens[name])

    def goal(owner, title, description, tags, milestones, journal=()):
        made = as_(
            owner,
            "POST",
            "/api/v1/goals",
            {"title": title, "description": description, "tags": tags},
        )
        for text, done in milestones:
            m = as_(owner, "POST", f"/api/v1/goals/{made['id']}/milestones", {"title": text})
            if done:
                as_(owner, "PATCH", f"/api/v1/milestones/{m['id']}", {"done": True})
        for body in journal:
            as_(owner, "POST", f"/api/v1/goals/{made['id']}/journal", {"body": body})
        return made["id"]

    def mentor(owner, goal_id, who, message):
        invite = as_(
            owner,
            "POST",
            f"/api/v1/goals/{goal_id}/mentorship-requests",
            {"mentor": who, "message": message},
        )
        return as_(who, "POST", f"/api/v1/mentorship-requests/{invite['id']}/accept")

    # Closed: Linus is mentored by Grace, who helped him in public first.
    closed = goal(
        "linus",
        "Land my first job as a junior developer",
        "Six months to a **first offer**: CV, portfolio, interviews.",
        ["career", "interviews"],
        [
            ("Rewrite the CV around projects", True),
            ("Send ten applications", True),
            ("First technical interview", False),
            ("Signed offer", False),
        ],
        [
            "Rewrote my CV with a *projects first* layout; two friends proofread it.",
            "Sent ten applications this week, each with a short personal note.",
        ],
    )
    question = as_(
        "linus",
        "POST",
        "/api/v1/questions",
        {
            "title": "How do I explain a gap year in a junior developer interview?",
            "body": "I took a year off to care for family. How do I talk about it honestly "
            "without it taking over the interview?",
            "tags": ["career", "interviews"],
            "goal_id": closed,
        },
    )
    answer = as_(
        "grace",
        "POST",
        f"/api/v1/questions/{question['id']}/answers",
        {
            "body": "Say it in one sentence, then move to what you built that year. "
            "Interviewers remember the story, not the gap."
        },
    )
    as_("linus", "POST", f"/api/v1/answers/{answer['id']}/helpful")
    mentor(
        "linus",
        closed,
        "grace",
        "Your answer about the gap year helped a lot. Would you mentor me until I land a job?",
    )
    as_(
        "linus",
        "PUT",
        f"/api/v1/goals/{closed}/agreement",
        {
            "modes": ["message", "video"],
            "cadence": "Every other Tuesday, 30 minutes",
            "response_time_hours": 48,
            "success_criteria": "A signed offer by **June**.",
        },
    )
    as_(
        "grace",
        "POST",
        f"/api/v1/goals/{closed}/messages",
        {"body": "Welcome! Send me your CV and the three job ads you like most."},
    )
    as_(
        "linus",
        "POST",
        f"/api/v1/goals/{closed}/messages",
        {"body": "Done: the CV and the ads are in our shared folder. Thank you!"},
    )
    as_(
        "grace",
        "POST",
        f"/api/v1/goals/{closed}/checkins",
        {
            "scheduled_at": _iso(timedelta(days=-4)),
            "agenda": "Kick-off: goals and CV.",
            "notes": "CV: lead with the two projects. Apply to smaller companies first.",
        },
    )
    as_(
        "grace",
        "POST",
        f"/api/v1/goals/{closed}/checkins",
        {
            "scheduled_at": _iso(timedelta(days=3)),
            "agenda": "Mock interview: *tell me about yourself*.",
        },
    )

    # Paused: Ada and Grace.
    paused = goal(
        "ada",
        "Become a staff engineer within two years",
        "Grow from senior to staff: scope, writing, sponsorship.",
        ["career", "leadership"],
        [("Write a promotion packet draft", False)],
    )
    mentor("ada", paused, "grace", "Would you help me plan the path to staff?")
    as_(
        "ada",
        "POST",
        f"/api/v1/goals/{paused}/messages",
        {"body": "Could we pause until my conference talk is done?"},
    )
    as_("ada", "POST", f"/api/v1/goals/{paused}/pause")

    # Achieved, with a public "what I learned".
    achieved = goal(
        "linus",
        "Learn enough SQL to build my own reports",
        "Stop asking colleagues for every query.",
        ["sql", "databases"],
        [("SELECT and WHERE", True), ("JOINs", True), ("Window functions", True)],
        ["Wrote my first report with a JOIN across three tables."],
    )
    mentor("linus", achieved, "ada", "You explained window functions so well: a month?")
    as_(
        "ada",
        "POST",
        f"/api/v1/goals/{achieved}/messages",
        {"body": "One report a week, written together. Deal?"},
    )
    as_(
        "linus",
        "POST",
        f"/api/v1/goals/{achieved}/complete",
        {
            "summary": "Window functions changed how I think about reports. **Ask for the "
            "shape of the output first**, then write the query."
        },
    )

    # Pending: Ada invites Grace on a fresh public goal.
    pending_goal = goal(
        "ada",
        "Run a half marathon in under two hours",
        "Training for the autumn race, four runs a week.",
        ["running"],
        [("Run 10 km without stopping", True), ("Run 15 km", False)],
    )
    as_(
        "ada",
        "POST",
        f"/api/v1/goals/{pending_goal}/mentorship-requests",
        {"mentor": "grace", "message": "You mentioned you coach runners. Would you help?"},
    )

    demo_question = server.api("GET", "/api/v1/questions?per_page=50&sort=newest")["items"]
    helped = [
        q for q in demo_question if q["title"].startswith("How do I find a beginner-friendly issue")
    ]
    return {
        "closed": closed,
        "paused": paused,
        "achieved": achieved,
        "pending_goal": pending_goal,
        "thread": helped[0]["id"] if helped else None,
    }


def check_page(page, name: str, width_name: str, problems: dict) -> None:
    """axe (no serious/critical result) and, at 360 px, no sideways scrolling."""
    page.wait_for_load_state("load")
    found = blocking(run_axe(page))
    if found:
        problems[f"axe {name} @ {width_name}"] = found
    if width_name == "360px":
        overflow = horizontal_overflow(page)
        if overflow:
            problems[f"overflow {name}"] = overflow


@pytest.mark.parametrize("width_name", list(WIDTHS))
def test_newcomer_walk(browser, demo_server, story, width_name):
    server = demo_server
    viewport = DESKTOP_1280 if width_name == "desktop" else VIEWPORTS[width_name]
    shot_height = 1100 if width_name == "desktop" else 1500
    tag = WIDTHS[width_name]
    problems: dict = {}
    visitor_ctx = browser.new_context(viewport=viewport, base_url=server.url, bypass_csp=True)
    linus_ctx = browser.new_context(viewport=viewport, base_url=server.url, bypass_csp=True)
    try:
        visitor = visitor_ctx.new_page()

        # --- Home: a living site with real threads, excerpts and activity.
        visitor.goto("/")
        expect(visitor.get_by_role("heading", level=1)).to_contain_text("Broadcast your goal")
        rows = visitor.locator(".main-column .summaries .summary")
        assert rows.count() >= 10, rows.count()
        expect(rows.locator(".excerpt").first).to_be_visible()
        expect(rows.locator(".meta time").first).to_have_attribute("title", re.compile(r"UTC$"))
        expect(rows.filter(has_text="last answer").first).to_be_visible()
        check_page(visitor, "home", width_name, problems)
        docs_screenshot(visitor, "home", tag, shot_height)

        # --- A thread: votes visible with disabled controls, the helped answer, similar.
        assert story["thread"], "the demo thread about a beginner-friendly issue is missing"
        visitor.goto(f"/questions/{story['thread']}")
        question = visitor.get_by_role("region", name="Question")
        expect(question.locator(".vote .score")).to_be_visible()
        expect(question.get_by_role("button", name="Upvote")).to_be_disabled()
        expect(question.get_by_role("link", name="Sign in to vote")).to_be_visible()
        helped = visitor.locator("article.answer.helpful")
        expect(helped.first).to_contain_text("Helped the asker")
        expect(helped.first.get_by_role("button", name="Downvote")).to_be_disabled()
        similar = visitor.get_by_role("complementary", name="Similar threads")
        expect(similar.get_by_role("link").first).to_be_visible()
        check_page(visitor, "thread", width_name, problems)
        docs_screenshot(visitor, "thread", tag, shot_height)

        # --- A goal read as a journey, then the achieved goal's lesson.
        visitor.goto("/goals")
        journey = "Learn Rust by rewriting a small command-line tool"
        visitor.get_by_role("link", name=journey).click()
        steps = visitor.locator("ol.milestones li")
        expect(steps.first).to_have_class("done")
        expect(visitor.locator("ol.milestones li.next")).to_have_count(1)
        expect(visitor.locator("ol.timeline > li").first).to_be_visible()
        expect(visitor.locator("#questions .summary").first).to_be_visible()
        check_page(visitor, "goal", width_name, problems)
        docs_screenshot(visitor, "goal", tag, shot_height)
        visitor.goto(f"/goals/{story['achieved']}")
        expect(visitor.get_by_role("region", name="What I learned")).to_contain_text(
            "shape of the output first"
        )
        check_page(visitor, "achieved", width_name, problems)

        # --- A mentor's profile: where she helped, availability, the reputation chart.
        visitor.goto("/users/grace")
        bars = visitor.get_by_role("region", name="Where Grace helped")
        expect(bars.locator(".helped-bars li").first).to_be_visible()
        expect(visitor.get_by_role("region", name="Mentoring and availability")).to_contain_text(
            "Usually replies within"
        )
        expect(visitor.get_by_role("img", name="Reputation earned per week")).to_be_visible()
        check_page(visitor, "profile", width_name, problems)
        docs_screenshot(visitor, "profile", tag, shot_height)

        # --- The closed goal does not exist for a visitor.
        response = visitor.goto(f"/goals/{story['closed']}")
        assert response is not None and response.status == 404
        expect(visitor.locator("main")).not_to_contain_text("Land my first job")

        # --- Linus signs in: the dashboard, then the private space.
        linus = linus_ctx.new_page()
        sign_in(linus, server.url, "linus", DEMO_PASSWORD)
        linus.get_by_role("navigation", name="Main").get_by_role("link", name="Mentorship").click()
        live = linus.get_by_role("region", name="Mentorships in progress")
        row = live.locator(".board-row", has_text="Land my first job as a junior developer")
        expect(row).to_contain_text("Grace")
        expect(row).to_contain_text("mentors you")
        expect(row).to_contain_text("Waiting for Grace to reply")  # Linus wrote last
        expect(row).to_contain_text("Next check-in: in 2 days")
        past = linus.get_by_role("region", name="Past mentorships")
        expect(past).to_contain_text("Learn enough SQL to build my own reports")
        check_page(linus, "dashboard", width_name, problems)
        docs_screenshot(linus, "dashboard", tag, shot_height)

        row.get_by_role("link", name="Land my first job as a junior developer").click()
        space = linus.get_by_role("region", name="Private space")
        expect(space).to_contain_text("only you and Grace can see this")
        expect(space.locator("#agreement")).to_contain_text("Every other Tuesday")
        expect(space.locator("#checkins .next-checkin")).to_have_text("in 2 days")
        expect(space.locator("#messages article.message")).to_have_count(2)
        expect(space.locator("#messages article.message.mine")).to_have_count(1)
        check_page(linus, "private-space", width_name, problems)
        space.scroll_into_view_if_needed()
        docs_screenshot(linus, "private-space", tag, shot_height + 500)

        # --- Dark mode (prefers-color-scheme) keeps the contrast too.
        if width_name == "desktop":
            for page, path in (
                (visitor, f"/questions/{story['thread']}"),
                (linus, f"/goals/{story['closed']}"),
                (linus, "/mentorship"),
            ):
                page.emulate_media(color_scheme="dark")
                page.goto(path)
                check_page(page, f"dark {path}", width_name, problems)
    finally:
        visitor_ctx.close()
        linus_ctx.close()
    assert not problems, json.dumps(problems, indent=2, ensure_ascii=False)[:6000]

"""The whole open → closed mentorship journey in a real browser, at desktop width and at 360 px.

User A registers, posts a goal, asks a question about it (similar threads appear while the title
is typed, filled by site.js from /api/v1/similar), user B (a second browser context) answers,
A marks "helped me", invites B from the goal page, B accepts, both exchange private messages in
the goal's private space, and a logged-out browser gets 404 on the now closed goal. Full-page
screenshots of the main pages go to artifacts/screenshots/; at 360 px no page scrolls sideways.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import (
    PASSWORD,
    VIEWPORTS,
    horizontal_overflow,
    screenshot,
    unique,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]


class Shots:
    """Screenshots every main page and, at 360 px, checks that it does not scroll sideways."""

    def __init__(self, width_name: str):
        self.width_name = width_name
        self.overflows: dict[str, dict] = {}

    def take(self, page, name: str) -> None:
        page.wait_for_load_state("load")
        screenshot(page, name, self.width_name)
        if self.width_name == "360px":
            overflow = horizontal_overflow(page)
            if overflow:
                self.overflows[name] = overflow


def register(page, base_url: str, username: str) -> None:
    page.goto(base_url + "/register")
    form = page.locator("main form")
    form.get_by_label("Username").fill(username)
    form.get_by_label("Email").fill(f"{username}@example.org")
    form.get_by_label("Password", exact=True).fill(PASSWORD)
    form.get_by_label("Repeat password").fill(PASSWORD)
    form.get_by_role("button", name="Create account").click()
    # Signed in: the nav names the new user and offers to sign out.
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name=username, exact=True)).to_be_visible()
    expect(nav.get_by_role("button", name="Sign out")).to_be_visible()


@pytest.mark.parametrize("width_name", list(VIEWPORTS))
def test_open_to_closed_mentorship_journey(browser, server, seeded, width_name):
    base = server.url
    viewport = VIEWPORTS[width_name]
    shots = Shots(width_name)
    alice, bob = unique("alice"), unique("bob")
    goal_title = f"Give a conference talk without panic {alice}"
    question_title = "How do I calm public speaking nerves before my first talk?"

    ctx_a = browser.new_context(viewport=viewport, base_url=base)
    ctx_b = browser.new_context(viewport=viewport, base_url=base)
    ctx_anon = browser.new_context(viewport=viewport, base_url=base)
    try:
        a = ctx_a.new_page()
        b = ctx_b.new_page()

        # --- A registers and posts a public goal.
        register(a, base, alice)
        a.goto("/")
        expect(a.get_by_role("heading", level=1)).to_contain_text("Broadcast your goal")
        shots.take(a, "home")
        a.get_by_role("link", name="Post a goal").click()
        form = a.locator("main form")
        form.get_by_label("Title").fill(goal_title)
        form.get_by_label("Description").fill(
            "I speak at a meetup in three months and freeze in front of groups."
        )
        form.get_by_label("Tags").fill("public-speaking, career")
        form.get_by_role("button", name="Post goal").click()
        expect(a.get_by_role("heading", level=1)).to_have_text(goal_title)
        expect(a.locator("#mentorship")).to_contain_text("Public goal")
        goal_url = a.url
        assert re.search(r"/goals/\d+$", goal_url), goal_url

        # --- A asks a question about the goal; similar threads appear while typing.
        a.get_by_role("link", name="Ask a question about this goal").click()
        expect(a.get_by_role("heading", level=1)).to_have_text("Ask a question")
        form = a.locator("main form")
        title = form.get_by_label("Title")
        similar = a.locator("#similar-list li")
        expect(similar).to_have_count(0)
        title.press_sequentially(question_title, delay=15)
        expect(similar.first).to_be_visible()
        expect(a.locator("#similar-list")).to_contain_text(
            "Public speaking nerves before a conference talk"
        )
        expect(a.locator("#similar-status")).to_have_text(re.compile(r"\d+ similar threads? found"))
        # Filled by site.js as the title was typed: the form was never submitted.
        expect(a).to_have_url(re.compile(r"/ask\?goal=\d+$"))
        shots.take(a, "ask")
        form.get_by_label("Details").fill(
            "My hands shake and I forget what comes next. Breathing exercises helped a bit."
        )
        form.get_by_label("Tags").fill("public-speaking")
        form.get_by_role("button", name="Post question").click()
        expect(a.get_by_role("heading", level=1)).to_have_text(question_title)
        question_url = a.url
        assert re.search(r"/questions/\d+$", question_url), question_url

        # --- B registers in a second browser and answers in public.
        register(b, base, bob)
        b.goto(question_url)
        expect(b.get_by_role("heading", level=1)).to_have_text(question_title)
        answer_text = (
            "Rehearse out loud three times to a friend, then record yourself once; "
            "the second minute is always calmer than the first."
        )
        form = b.locator("form", has=b.get_by_label("Your answer"))
        form.get_by_label("Your answer").fill(answer_text)
        form.get_by_role("button", name="Post answer").click()
        answer = b.locator("article.answer", has_text="Rehearse out loud")
        expect(answer).to_be_visible()
        expect(answer).to_contain_text(bob)

        # --- A marks the answer "helped me".
        a.goto(question_url)
        answer = a.locator("article.answer", has_text="Rehearse out loud")
        answer.get_by_role("button", name="This helped me").click()
        answer = a.locator("article.answer", has_text="Rehearse out loud")
        expect(answer).to_contain_text("Helped the asker")
        expect(answer.get_by_role("button", name="Remove “helped me”")).to_be_visible()
        shots.take(a, "question")

        # --- Search and profile pages, while everything is still public.
        a.get_by_role("navigation", name="Main").get_by_role("link", name="Search").click()
        a.get_by_role("search").get_by_label("Search goals, questions and answers").fill(
            "public speaking nerves"
        )
        a.get_by_role("search").get_by_role("button", name="Search").click()
        # The search worker indexes within about a second; a busy machine may need a retry.
        question_path = question_url.removeprefix(base)
        hit = a.locator(f'main .summaries a[href="{question_path}"]')
        for _ in range(40):
            if hit.count():
                break
            a.wait_for_timeout(500)
            a.reload()
        expect(hit).to_have_text(question_title)
        shots.take(a, "search")
        a.get_by_role("navigation", name="Main").get_by_role("link", name=alice, exact=True).click()
        expect(a.get_by_role("heading", level=1)).to_contain_text(alice)
        expect(a.locator("main")).to_contain_text(goal_title)
        shots.take(a, "profile")

        # --- A invites B from the goal page (B is among the suggested mentors).
        a.goto(goal_url)
        panel = a.locator("#mentorship")
        expect(panel.locator(".candidates")).to_contain_text(bob)
        shots.take(a, "goal")
        panel.get_by_label("Username of the mentor").fill(bob)
        panel.get_by_label("Message").fill("Your answer helped me most: would you mentor me?")
        panel.get_by_role("button", name="Send invite").click()
        expect(a.locator(".flashes")).to_contain_text(f"Invite sent to {bob}")
        expect(a.locator("#mentorship")).to_contain_text(f"Invite sent to {bob}")

        # --- B accepts: on the dashboard at desktop width, on the invite page at 360 px.
        b.get_by_role("navigation", name="Main").get_by_role("link", name="Mentorship").click()
        invites = b.locator("section", has=b.get_by_role("heading", name="Invites to you"))
        expect(invites).to_contain_text(goal_title)
        shots.take(b, "mentorship")
        if width_name == "desktop":
            invites.get_by_role("button", name=re.compile(r"^Accept")).click()
        else:
            invites.get_by_role("link", name=f"“{goal_title}”").click()
            expect(b.get_by_role("heading", level=1)).to_contain_text(goal_title)
            shots.take(b, "invite")
            b.locator("main").get_by_role("button", name="Accept").click()
        expect(b.locator(".flashes")).to_contain_text("You are now this goal's mentor")
        # Accepting lands B in the goal's private space.
        expect(b.get_by_role("heading", level=1)).to_have_text(goal_title)
        expect(b.locator("#mentorship")).to_contain_text("Closed mentorship")
        b.get_by_role("navigation", name="Main").get_by_role("link", name="Mentorship").click()
        mentees = b.get_by_role("region", name="Mentorships in progress")
        expect(mentees.locator(".board-row", has_text=goal_title)).to_contain_text(
            f"You mentor {alice}"
        )
        expect(b.locator("main")).to_contain_text("No invites waiting for you.")

        # --- Private messages in the closed goal's private space.
        mentees.get_by_role("link", name=goal_title).click()
        expect(b.locator("#mentorship")).to_contain_text("Closed mentorship")
        messages = b.locator("#messages")
        messages.get_by_label("Message").fill("Happy to help. What date is your talk?")
        messages.get_by_role("button", name="Send").click()
        expect(b.locator("#messages article.message")).to_contain_text("What date is your talk?")

        a.goto(goal_url)
        expect(a.locator("#mentorship")).to_contain_text("Closed mentorship")
        messages = a.locator("#messages")
        expect(messages).to_contain_text("What date is your talk?")
        messages.get_by_label("Message").fill("The 14th of March, at the local meetup.")
        messages.get_by_role("button", name="Send").click()
        expect(a.locator("#messages article.message")).to_have_count(2)
        shots.take(a, "private-space")

        b.reload()
        expect(b.locator("#messages")).to_contain_text("The 14th of March")

        # --- A logged-out browser sees neither the closed goal nor its question.
        anon = ctx_anon.new_page()
        response = anon.goto(goal_url)
        assert response is not None and response.status == 404, (
            f"logged-out GET {goal_url} → {response and response.status}"
        )
        expect(anon.locator("main")).not_to_contain_text(goal_title)
        response = anon.goto(question_url)
        assert response is not None and response.status == 404, (
            f"logged-out GET {question_url} → {response and response.status}"
        )
        expect(anon.locator("main")).not_to_contain_text(question_title)
        anon.goto("/")
        expect(anon.locator("main")).not_to_contain_text(goal_title)
    finally:
        for ctx in (ctx_a, ctx_b, ctx_anon):
            ctx.close()

    assert not shots.overflows, (
        "pages scroll sideways at 360 px (document.scrollingElement.scrollWidth > innerWidth):\n"
        + "\n".join(f"{name}: {info}" for name, info in shots.overflows.items())
    )

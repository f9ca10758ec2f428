"""The product face (issue 16 §2) through the pages: what visitors, protégés and mentors see.

The view data is unit-tested in tests/unit/test_view_data.py; here each piece is checked in
the rendered HTML, and privacy from the outside (a stranger and a logged-out reader).
"""

import re

import pytest

from app.extensions import db
from app.services import helpful, mentorship, mentorship_lifecycle, private_space
from tests.builders import build_answer, build_goal, build_question
from tests.conftest import login
from tests.html_audit import audit

AGREEMENT = {
    "modes": ["message"],
    "cadence": "Weekly on Mondays",
    "response_hours": 24,
    "success_criteria": "A finished race.",
}


@pytest.fixture
def world(app, make_user):
    owner = make_user("owner", display_name="Olivia")
    mentor = make_user("mentor", display_name="Marta")
    make_user("stranger")
    goal = build_goal(owner, title="Run a half marathon in spring", tags=("running",))
    question = build_question(
        owner,
        title="Which shoes for a first half marathon?",
        body="I run **three** times a week on roads.",
        goal=goal,
        tags=("running", "gear"),
    )
    answer = build_answer(mentor, question, "Get fitted at a running shop; try three pairs.")
    helpful.mark_helpful(owner, answer)
    db.session.commit()
    clients = {}
    for name in ("owner", "mentor", "stranger"):
        clients[name] = app.test_client()
        login(clients[name], name)
    clients["anonymous"] = app.test_client()
    return goal, question, answer, clients


def summary_row(page: str, title: str) -> str:
    """The list row of the thread with this title (up to the next row or the list's end)."""
    rest = page[page.index(title) :]
    ends = [i for i in (rest.find('<li class="summary'), rest.find("</ol>")) if i >= 0]
    return rest[: min(ends)]


def close(goal):
    request = mentorship.invite(goal.owner, goal, "mentor", "Would you mentor me?")
    return mentorship.accept(request.mentor, request)


def test_visitors_see_votes_disabled_with_sign_in(world):
    _goal, question, _answer, c = world
    page = c["anonymous"].get(f"/questions/{question.id}").text
    # Two posts (question and answer), each with disabled up/down buttons and a sign-in link.
    assert len(re.findall(r'<button type="button" class="vote-(?:up|down)" disabled>', page)) == 4
    assert page.count(f'href="/login?next=/questions/{question.id}">Sign in to vote</a>') == 2
    assert 'name="value"' not in page  # no vote form to submit
    assert "Helped the asker" in page and "1 helped the asker" in page
    assert audit(page).inline_scripts == 0
    # Signed in, a reader who did not write the posts gets working vote forms instead.
    signed_in = c["stranger"].get(f"/questions/{question.id}").text
    assert signed_in.count('name="value"') == 4  # up and down on the question and answer
    assert "Sign in to vote" not in signed_in
    # The author's own posts show the controls disabled, without the sign-in link.
    own = c["owner"].get(f"/questions/{question.id}").text
    assert "Your post" in own and "Sign in to vote" not in own


def test_lists_show_excerpts_and_activity(world):
    _goal, question, _answer, c = world
    for url in ("/", "/questions", "/tags/running"):
        page = c["anonymous"].get(url).text
        assert '<p class="excerpt">I run three times a week on roads.</p>' in page, url
        row = summary_row(page, question.title)
        assert "✓ helped the asker" in row and "last answer" in row, url


def test_a_private_helped_answer_never_shows_in_lists(world):
    """Written and marked while the goal was closed: after reopening, outsiders' lists show
    the public question without the mark or the answer time (rule 3, rule 7)."""
    goal, _q, _a, c = world
    question = build_question(goal.owner, title="How long should my longest run be?", goal=goal)
    db.session.commit()
    close(goal)
    private = build_answer(
        db.session.merge(goal).mentor, question, "Twenty kilometres, three weeks before the race."
    )
    helpful.mark_helpful(goal.owner, private)
    mentorship_lifecycle.reopen(goal.owner, goal)
    db.session.commit()
    for who in ("anonymous", "stranger"):
        page = c[who].get(f"/goals/{goal.id}").text
        row = summary_row(page[page.index('id="questions"') :], question.title)
        assert "helped the asker" not in row and "last answer" not in row, who
    owner_page = c["owner"].get(f"/goals/{goal.id}").text
    owner_list = owner_page[owner_page.index('id="questions"') :]
    assert "helped the asker" in summary_row(owner_list, question.title)


def test_goal_page_reads_as_a_journey(world, app):
    goal, _question, _answer, c = world
    from app.services import goals as goal_service

    first = goal_service.add_milestone(goal.owner, goal, {"title": "Run 10 km"})
    goal_service.add_milestone(goal.owner, goal, {"title": "Run 15 km"})
    goal_service.add_milestone(goal.owner, goal, {"title": "Race day"})
    db.session.flush()
    goal_service.update_milestone(goal.owner, first, {"done": True})
    goal_service.add_journal_entry(goal.owner, goal, "Ran 12 km in the rain.")
    db.session.commit()
    page = c["anonymous"].get(f"/goals/{goal.id}").text
    states = re.findall(r'<li class="(done|next|todo)">\s*<span class="step-dot"', page)
    assert states == ["done", "next", "todo"]
    assert "33% done · 1 of 3" in page
    assert '<ol class="timeline">' in page and "Ran 12 km in the rain." in page
    assert "Questions asked on the way" in page and "Which shoes" in page
    assert "Private space" not in page


def test_private_space_is_its_own_area_for_the_pair_only(world):
    goal, question, _answer, c = world
    close(goal)
    private_space.set_agreement(goal.owner, goal, AGREEMENT)
    private_space.send_message(goal.owner, goal, "zqx first message")
    db.session.commit()
    owner_page = c["owner"].get(f"/goals/{goal.id}").text
    assert "only you and <bdi>Marta</bdi> can see this" in owner_page
    assert '<article class="message mine"' in owner_page
    mentor_page = c["mentor"].get(f"/goals/{goal.id}").text
    assert "only you and <bdi>Olivia</bdi> can see this" in mentor_page
    assert '<article class="message"' in mentor_page and "message mine" not in mentor_page
    for who in ("anonymous", "stranger"):
        response = c[who].get(f"/goals/{goal.id}")
        assert response.status_code == 404 and "zqx" not in response.text
        assert c[who].get(f"/questions/{question.id}").status_code == 404


def test_dashboard_shows_both_roles_and_who_owes_a_reply(world, make_user):
    goal, _question, _answer, c = world
    close(goal)
    private_space.set_agreement(goal.owner, goal, AGREEMENT)
    private_space.send_message(goal.owner, goal, "How was the long run?")
    db.session.commit()
    mentor_board = c["mentor"].get("/mentorship").text
    assert "You mentor" in mentor_board and "You owe a reply" in mentor_board
    assert "(agreed: within 24 h)" in mentor_board and '<li class="board-row owes">' in mentor_board
    owner_board = c["owner"].get("/mentorship").text
    assert (
        "mentors you" in owner_board
        and "Waiting for <strong><bdi>Marta</bdi></strong>" in owner_board
        and "You owe a reply" not in owner_board
    )
    assert c["anonymous"].get("/mentorship").status_code == 302  # sign in first
    assert "Run a half marathon" not in c["stranger"].get("/mentorship").text


def test_mentor_profile_shows_where_they_helped_from_public_activity(world):
    goal, _question, _answer, c = world
    public = c["anonymous"].get("/users/mentor").text
    bars = public[public.index("Where <bdi>Marta</bdi> helped") :]
    bars = bars[: bars.index("</section>")]
    assert re.findall(r'class="tag" href="/tags/([a-z]+)"', bars) == ["gear", "running"]
    assert '<rect x="0" y="0" width="100" height="10" rx="2"/>' in bars
    # Once the goal is closed, its thread counts for nobody, not even on the owner's view.
    close(goal)
    db.session.commit()
    for who in ("anonymous", "stranger", "mentor", "owner"):
        assert "Where <bdi>Marta</bdi> helped" not in c[who].get("/users/mentor").text, who

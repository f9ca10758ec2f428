"""`flask demo load` from the repository alone: real threads, every mentorship state, privacy.

One load per backend (it takes a few seconds), then every check a newcomer would make: counts,
attribution, the closed goal from both sides and from outside (web and API), the achieved
goal's public summary, the pending invite, the anonymous question, and a second load that
changes nothing.
"""

from datetime import UTC, datetime

from sqlalchemy import select

from app.extensions import db
from app.models import (
    Agreement,
    Answer,
    CheckIn,
    Comment,
    Goal,
    HelpfulMark,
    JournalEntry,
    Mentorship,
    MentorshipRequest,
    Message,
    Milestone,
    Notification,
    Outcome,
    Question,
    SearchOutbox,
    User,
    Vote,
)
from app.services.accounts import authenticate
from app.services.demo import (
    DEMO_PASSWORD,
    STACKEXCHANGE_DIR,
    demo_goals,
    demo_questions,
    demo_users,
)
from app.services.goals import list_goals
from tests.conftest import api_token, bearer, login
from tests.helpers import count

CLOSED = "Give my first conference talk on PostgreSQL"  # ada (protégé) and grace (mentor)
ACHIEVED = "Land my first merged open-source pull request"  # linus, mentored by ada
PAUSED = "Move from data analyst to machine-learning engineer"  # tomas and grace
INVITED = "Move into a data-engineering role in Helsinki"  # mira invites ada
ANONYMOUS = "How do I tell my manager that I am close to burning out?"  # linus
PRIVATE_QUESTION = "Should I show a real production incident in the talk?"
PARAPHRASES = (
    "How do I renew my residence permit before it expires?",
    "RP renewal procedure: which documents are needed?",
)
TABLES = (
    User,
    Goal,
    Milestone,
    JournalEntry,
    Question,
    Answer,
    Comment,
    Vote,
    HelpfulMark,
    Outcome,
    Mentorship,
    MentorshipRequest,
    Agreement,
    Message,
    CheckIn,
    Notification,
)


def counts() -> dict:
    return {model.__name__: count(model) for model in TABLES}


def goal(title: str) -> Goal:
    return db.session.scalar(select(Goal).where(Goal.title == title))


def question(title: str) -> Question:
    return db.session.scalar(select(Question).where(Question.title == title))


def run(app, *args):
    return app.test_cli_runner().invoke(args=[str(a) for a in args])


def test_demo_load_from_the_repository(app):
    first = run(app, "demo", "load")
    assert first.exit_code == 0, first.output
    assert f"Demo users: {len(demo_users())} created" in first.output
    assert "Imported cstheory.meta" in first.output and "CC BY-SA" in first.output
    assert (
        f"Demo goals: {len(demo_goals())} created, 0 already there; demo questions: "
        f"{len(demo_questions())} created"
    ) in first.output
    db.session.commit()
    loaded = counts()

    _real_threads(app)
    _every_demo_account_signs_in()
    _closed_goal_is_private_to_the_pair(app)
    _other_mentorship_states(app)
    _anonymous_question_hides_its_asker(app)
    _content_reaches_the_index()
    _stories_spread_over_past_weeks()

    second = run(app, "demo", "load")
    assert second.exit_code == 0, second.output
    assert "Demo users: 0 created" in second.output
    assert "0 users, 0 questions, 0 answers" in second.output
    assert (
        f"Demo goals: 0 created, {len(demo_goals())} already there; demo questions: 0 "
        f"created, {len(demo_questions())} already there"
    ) in second.output
    db.session.commit()
    assert counts() == loaded


def _real_threads(app):
    imported = Question.external_id.is_not(None)
    assert count(Question, imported, Question.answer_count > 0) >= 300
    assert count(Answer, Answer.question.has(imported)) >= 1000
    assert count(Question, imported, Question.answered_in_id.is_not(None)) >= 10  # duplicates
    assert count(HelpfulMark) >= 200 and count(Question, imported, Question.score > 0) >= 300
    assert list_goals(None, per_page=50).total >= 10
    notice = (STACKEXCHANGE_DIR / "README.md").read_text()
    assert "CC BY-SA" in notice and "Stack Exchange" in notice
    thread = db.session.scalar(select(Question).where(imported).limit(1))
    page = app.test_client().get(f"/questions/{thread.id}").get_data(as_text=True)
    assert "licensed CC BY-SA" in page and "stackexchange.com/q/" in page


def _every_demo_account_signs_in():
    for spec in demo_users():
        assert authenticate(spec["username"], DEMO_PASSWORD) is not None, spec["username"]


def _closed_goal_is_private_to_the_pair(app):
    closed = goal(CLOSED)
    assert closed.visibility == "closed" and closed.mentor.username == "grace"
    base = f"/goals/{closed.id}"
    private_bits = (
        "Every two weeks, 30 minutes on video",  # the agreement
        "Cut the slide about cost constants",  # a message
        "Final slides and timing",  # an upcoming check-in
        "Debrief of the meetup rehearsal",
        PRIVATE_QUESTION,
    )
    for name in ("ada", "grace"):
        client = app.test_client()
        assert login(client, name, DEMO_PASSWORD).status_code == 302
        page = client.get(base)
        assert page.status_code == 200 and "no-store" in page.headers["Cache-Control"]
        html = page.get_data(as_text=True)
        assert all(bit in html for bit in private_bits), name
        headers = bearer(api_token(client, name, DEMO_PASSWORD))
        assert (
            len(
                client.get(
                    f"{base.replace('/goals', '/api/v1/goals')}/messages", headers=headers
                ).get_json()["items"]
            )
            == 7
        )
        agreement = client.get(f"/api/v1/goals/{closed.id}/agreement", headers=headers)
        assert agreement.status_code == 200 and agreement.get_json()["response_hours"] == 48
        checkins = client.get(f"/api/v1/goals/{closed.id}/checkins", headers=headers)
        when = [datetime.fromisoformat(c["scheduled_at"]) for c in checkins.get_json()["items"]]
        now = datetime.now(UTC)
        assert sum(w < now for w in when) == 2 and sum(w > now for w in when) == 2

    private_question = question(PRIVATE_QUESTION)
    outsiders = [app.test_client()]
    linus = app.test_client()  # answered in public before the goal closed: still an outsider
    login(linus, "linus", DEMO_PASSWORD)
    outsiders.append(linus)
    linus_headers = bearer(api_token(linus, "linus", DEMO_PASSWORD))
    for client in outsiders:
        for url in (base, f"/questions/{private_question.id}", f"{base}/revisions"):
            assert client.get(url).status_code == 404, url
        headers = linus_headers if client is linus else {}
        for path in ("", "/messages", "/agreement", "/checkins"):
            response = client.get(f"/api/v1/goals/{closed.id}{path}", headers=headers)
            # Signed out, the private-space endpoints ask for sign-in (401), exactly as for a
            # goal that does not exist: nothing tells the closed goal apart.
            missing = client.get(f"/api/v1/goals/999999{path}", headers=headers).status_code
            assert response.status_code == missing == (404 if headers or not path else 401)
        assert CLOSED not in client.get("/goals").get_data(as_text=True)


def _other_mentorship_states(app):
    achieved = goal(ACHIEVED)
    assert achieved.status == "achieved" and achieved.visibility == "open"
    page = app.test_client().get(f"/goals/{achieved.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "What I learned" in html and "Write the failing test first" in html
    assert "It's merged!!" not in html  # the private phase's messages stay private
    api = app.test_client().get(f"/api/v1/goals/{achieved.id}").get_json()
    assert "Write the failing test first" in api["summary"]

    paused = db.session.scalar(select(Mentorship).where(Mentorship.goal == goal(PAUSED)))
    assert paused.state == "paused" and paused.paused_by_id == paused.mentor_id
    assert paused.mentor.username == "grace"

    invite = db.session.scalar(
        select(MentorshipRequest).where(MentorshipRequest.goal == goal(INVITED))
    )
    assert invite.status == "pending" and invite.mentor.username == "ada"
    ada = app.test_client()
    login(ada, "ada", DEMO_PASSWORD)
    dashboard = ada.get("/mentorship").get_data(as_text=True)
    assert INVITED in dashboard and CLOSED in dashboard

    open_goal = goal("Learn Rust by rewriting a small command-line tool")
    milestones = open_goal.milestones
    assert any(m.done for m in milestones) and not all(m.done for m in milestones)
    assert open_goal.journal


def _anonymous_question_hides_its_asker(app):
    asked = question(ANONYMOUS)
    assert asked.anonymous and asked.owner.username == "linus"
    html = app.test_client().get(f"/questions/{asked.id}").get_data(as_text=True)
    assert "anonymous protégé" in html and "/users/linus" not in html
    assert ANONYMOUS not in app.test_client().get("/users/linus").get_data(as_text=True)
    api = app.test_client().get(f"/api/v1/questions/{asked.id}").get_json()
    assert "linus" not in str(api)


def _content_reaches_the_index():
    """Every demo post was queued for the index in its own transaction (the outbox)."""
    queued = {
        (row.doc_type, row.doc_id)
        for row in db.session.execute(select(SearchOutbox.doc_type, SearchOutbox.doc_id))
    }
    demo_questions_ = db.session.scalars(select(Question).where(Question.external_id.is_(None)))
    for item in [*db.session.scalars(select(Goal)), *demo_questions_]:
        kind = "goal" if isinstance(item, Goal) else "question"
        assert (kind, item.id) in queued, item.title
    for title in PARAPHRASES:
        assert question(title).goal_id is None or question(title).goal.visibility == "open"


def _stories_spread_over_past_weeks():
    """The demo clock: every story is in the past, in order, over weeks (not one instant)."""
    now = datetime.now(UTC)
    demo = Question.external_id.is_(None)
    stamps = [
        *db.session.scalars(select(Goal.created_at)),
        *db.session.scalars(select(Goal.updated_at)),
        *db.session.scalars(select(Question.updated_at).where(demo)),
        *db.session.scalars(select(Message.created_at)),
        *db.session.scalars(select(Mentorship.started_at)),
        *db.session.scalars(select(Notification.created_at)),
    ]
    assert all(stamp < now for stamp in stamps)
    assert (now - min(db.session.scalars(select(Goal.created_at)))).days >= 60
    for answer in db.session.scalars(select(Answer).where(Answer.question.has(demo))):
        assert answer.question.created_at < answer.created_at <= answer.question.updated_at
    closed = goal(CLOSED)
    mentorship = db.session.scalar(select(Mentorship).where(Mentorship.goal == closed))
    sent = list(
        db.session.scalars(
            select(Message.created_at).where(Message.goal_id == closed.id).order_by(Message.id)
        )
    )
    assert closed.created_at < mentorship.started_at < sent[0]
    assert sent == sorted(sent) and (sent[-1] - sent[0]).days >= 7

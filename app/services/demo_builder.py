"""Build one demo goal or question from its data (data/demo/*.toml) through the services.

Every step is the service a person's click would call (ask, answer, vote, mark, invite,
accept, agree, message, plan a check-in, pause, complete), so the demo obeys every rule of
the spec and reaches the search index through the outbox. The caller wraps each goal in one
write transaction: a goal exists complete or not at all. A DemoClock spreads each story over
the weeks before the load (``started_days_ago`` in the data); a flush after each step gives
the new rows their ids and their time on that clock.
"""

from datetime import UTC, datetime, time, timedelta

from app.extensions import db
from app.models import Goal, Question, User
from app.services import goals as goal_service
from app.services import helpful, mentorship, mentorship_lifecycle, private_space, questions, votes
from app.services.demo_clock import DemoClock

# Stories end a little before the load, so nothing the demo wrote looks like it is from now.
STORY_END = timedelta(hours=6)


def names_in(spec: dict) -> set[str]:
    """Every username a goal or question spec refers to."""
    names = {spec["owner"]}
    for section in (spec, spec.get("mentorship", {})):
        for q in section.get("questions", []):
            names.update(_question_names(q))
    if "invite" in spec:
        names.add(spec["invite"]["mentor"])
    if "mentorship" in spec:
        names.add(spec["mentorship"]["mentor"])
    if "answers" in spec:
        names.update(_question_names(spec))
    return names


def _question_names(q: dict) -> set[str]:
    names = set(q.get("votes", {})) | {who for who, _body in q.get("comments", [])}
    for answer in q.get("answers", []):
        names.add(answer["author"])
        names.update(answer.get("votes", {}))
        names.update(who for who, _body in answer.get("comments", []))
    return names


def _steps(spec: dict) -> int:
    """How many times the builder ticks the clock for this goal or question."""

    def asked(qs):
        return sum(1 + len(q.get("answers", [])) for q in qs)

    steps = 1 + len(spec.get("journal", [])) + asked(spec.get("questions", []))
    steps += len(spec.get("answers", [])) + ("invite" in spec)
    if "mentorship" in spec:
        m = spec["mentorship"]
        steps += 4 + len(m.get("messages", [])) + len(m.get("journal", []))
        steps += asked(m.get("questions", []))
    return steps


def _clock(spec: dict, now: datetime, default_days: int) -> DemoClock:
    start = now - timedelta(days=spec.get("started_days_ago", default_days))
    return DemoClock(start, now - STORY_END, _steps(spec))


def create_goal(spec: dict, users: dict[str, User], now: datetime) -> Goal:
    """The goal, its public history, then its invite or mentorship (inside a transaction)."""
    clock = _clock(spec, now, 30)
    with clock.running(db.session()):
        return _create_goal(spec, users, now, clock)


def ask_alone(spec: dict, users: dict[str, User], now: datetime) -> Question:
    """A question outside any goal, with its answers (inside a transaction)."""
    clock = _clock(spec, now, 5)
    with clock.running(db.session()):
        return ask(spec, users, clock)


def _create_goal(spec: dict, users: dict[str, User], now: datetime, clock: DemoClock) -> Goal:
    owner = users[spec["owner"]]
    fields = {key: spec[key] for key in ("title", "description", "tags") if key in spec}
    if "target_in_days" in spec:
        fields["target_date"] = now.date() + timedelta(days=spec["target_in_days"])
    goal = goal_service.create_goal(owner, fields)
    db.session.flush()
    clock.tick()
    milestones = {}
    for title, done in spec.get("milestones", []):
        milestones[title] = goal_service.add_milestone(owner, goal, {"title": title})
        db.session.flush()
        if done:
            goal_service.update_milestone(owner, milestones[title], {"done": True})
    for body in spec.get("journal", []):
        goal_service.add_journal_entry(owner, goal, body)
        db.session.flush()
        clock.tick()
    for q in spec.get("questions", []):
        ask(q | {"owner": spec["owner"]}, users, clock, goal=goal)
    if "invite" in spec:
        mentorship.invite(owner, goal, spec["invite"]["mentor"], spec["invite"]["message"])
        db.session.flush()
        clock.tick()
    if "mentorship" in spec:
        _mentorship(spec["mentorship"], goal, owner, milestones, users, now, clock)
    return goal


def ask(spec: dict, users: dict[str, User], clock: DemoClock, goal: Goal | None = None) -> Question:
    """A question with its answers, votes, comments, "helped me" marks and outcome."""
    owner = users[spec["owner"]]
    data = {"title": spec["title"], "body": spec["body"], "tags": spec["tags"]}
    if goal is not None:
        data["goal_id"] = goal.id
    if spec.get("anonymous"):
        data["anonymous"] = True
    question = questions.ask_question(owner, data)
    db.session.flush()
    _react(spec, question, users, question=question)
    clock.tick()
    for a in spec.get("answers", []):
        answer = questions.post_answer(users[a["author"]], question, a["body"])
        db.session.flush()
        _react(a, answer, users, answer=answer)
        if a.get("helped"):
            helpful.mark_helpful(owner, answer)
        # post_answer bumps the question's activity time with a Core UPDATE the clock cannot
        # see; touching it through the ORM lets the clock stamp it like everything else.
        question.updated_at = clock.now
        db.session.flush()
        clock.tick()
    if spec.get("outcome"):
        helpful.set_outcome(owner, question, spec["outcome"])
    return question


def _react(spec: dict, post, users: dict[str, User], **target) -> None:
    for voter, value in spec.get("votes", {}).items():
        votes.cast_vote(users[voter], post, value)
    for author, body in spec.get("comments", []):
        questions.add_comment(users[author], body=body, **target)


def _mentorship(
    spec: dict,
    goal: Goal,
    owner: User,
    milestones: dict,
    users: dict[str, User],
    now: datetime,
    clock: DemoClock,
) -> None:
    """Invite and accept, then the private space, then pause or complete as the data says."""
    mentor = users[spec["mentor"]]
    # Public-phase milestones are frozen while the goal is closed (rule 7: no trace of the
    # private phase), so the ones the story has done were done before the mentorship began.
    for title in spec.get("milestones_done", []):
        goal_service.update_milestone(owner, milestones[title], {"done": True})
    request = mentorship.invite(owner, goal, mentor.username, spec["invite"])
    db.session.flush()
    clock.tick()
    mentorship.accept(mentor, request)
    # Invites are answered with a Core UPDATE (a race-safe status change) the clock cannot
    # see; touching the time through the ORM lets the clock stamp it.
    request.responded_at = clock.now
    db.session.flush()
    clock.tick()
    if "agreement" in spec:
        private_space.set_agreement(mentor, goal, dict(spec["agreement"]))
        db.session.flush()
    clock.tick()
    for checkin in spec.get("checkins", []):
        hour, minute = (int(part) for part in checkin["at"].split(":"))
        when = datetime.combine(
            now.date() + timedelta(days=checkin["in_days"]), time(hour, minute), tzinfo=UTC
        )
        data = {"scheduled_at": when, "agenda": checkin["agenda"]}
        if checkin.get("notes"):
            data["notes"] = checkin["notes"]
        private_space.add_checkin(users[checkin.get("author", owner.username)], goal, data)
    for sender, body in spec.get("messages", []):
        private_space.send_message(users[sender], goal, body)
        db.session.flush()
        clock.tick()
    for body in spec.get("journal", []):
        goal_service.add_journal_entry(owner, goal, body)
        db.session.flush()
        clock.tick()
    for q in spec.get("questions", []):
        ask(q | {"owner": owner.username}, users, clock, goal=goal)
    state = spec.get("state", "active")
    if state == "paused":
        mentorship_lifecycle.pause(users[spec.get("paused_by", owner.username)], goal)
    elif state == "achieved":
        mentorship_lifecycle.complete(owner, goal, spec.get("summary"))
    db.session.flush()

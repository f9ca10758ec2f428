"""Build one demo goal or question from its data (data/demo/*.toml) through the services.

Every step is the service a person's click would call (ask, answer, vote, mark, invite,
accept, agree, message, plan a check-in, pause, complete), so the demo obeys every rule of
the spec and reaches the search index through the outbox. The caller wraps each goal in one
write transaction: a goal exists complete or not at all.
"""

from datetime import UTC, date, datetime, time, timedelta

from app.extensions import db
from app.models import Goal, Question, User
from app.services import goals as goal_service
from app.services import helpful, mentorship, private_space, questions, votes


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


def create_goal(spec: dict, users: dict[str, User], today: date) -> Goal:
    """The goal, its public history, then its invite or mentorship (inside a transaction)."""
    owner = users[spec["owner"]]
    fields = {key: spec[key] for key in ("title", "description", "tags") if key in spec}
    if "target_in_days" in spec:
        fields["target_date"] = today + timedelta(days=spec["target_in_days"])
    goal = goal_service.create_goal(owner, fields)
    _flush(goal)
    milestones = {}
    for title, done in spec.get("milestones", []):
        milestones[title] = goal_service.add_milestone(owner, goal, {"title": title})
        _flush(goal)
        if done:
            goal_service.update_milestone(owner, milestones[title], {"done": True})
    for body in spec.get("journal", []):
        goal_service.add_journal_entry(owner, goal, body)
    for q in spec.get("questions", []):
        ask(q | {"owner": spec["owner"]}, users, goal=goal)
    if "invite" in spec:
        mentorship.invite(owner, goal, spec["invite"]["mentor"], spec["invite"]["message"])
    if "mentorship" in spec:
        _mentorship(spec["mentorship"], goal, owner, milestones, users, today)
    return goal


def ask(spec: dict, users: dict[str, User], goal: Goal | None = None) -> Question:
    """A question with its answers, votes, comments, "helped me" marks and outcome."""
    owner = users[spec["owner"]]
    data = {"title": spec["title"], "body": spec["body"], "tags": spec["tags"]}
    if goal is not None:
        data["goal_id"] = goal.id
    if spec.get("anonymous"):
        data["anonymous"] = True
    question = questions.ask_question(owner, data)
    _flush(question)
    _react(spec, question, users, question=question)
    for a in spec.get("answers", []):
        answer = questions.post_answer(users[a["author"]], question, a["body"])
        _flush(answer)
        _react(a, answer, users, answer=answer)
        if a.get("helped"):
            helpful.mark_helpful(owner, answer)
    if spec.get("outcome"):
        helpful.set_outcome(owner, question, spec["outcome"])
    return question


def _react(spec: dict, post, users: dict[str, User], **target) -> None:
    for voter, value in spec.get("votes", {}).items():
        votes.cast_vote(users[voter], post, value)
    for author, body in spec.get("comments", []):
        questions.add_comment(users[author], body=body, **target)


def _mentorship(spec: dict, goal: Goal, owner: User, milestones: dict, users: dict[str, User],
                today: date) -> None:
    """Invite and accept, then the private space, then pause or complete as the data says."""
    mentor = users[spec["mentor"]]
    request = mentorship.invite(owner, goal, mentor.username, spec["invite"])
    _flush(request)
    mentorship.accept(mentor, request)
    if "agreement" in spec:
        private_space.set_agreement(mentor, goal, dict(spec["agreement"]))
    for checkin in spec.get("checkins", []):
        hour, minute = (int(part) for part in checkin["at"].split(":"))
        when = datetime.combine(today + timedelta(days=checkin["in_days"]),
                                time(hour, minute), tzinfo=UTC)
        data = {"scheduled_at": when, "agenda": checkin["agenda"]}
        if checkin.get("notes"):
            data["notes"] = checkin["notes"]
        private_space.add_checkin(users[checkin.get("author", owner.username)], goal, data)
    for sender, body in spec.get("messages", []):
        private_space.send_message(users[sender], goal, body)
    for title in spec.get("milestones_done", []):
        goal_service.update_milestone(owner, milestones[title], {"done": True})
    for body in spec.get("journal", []):
        goal_service.add_journal_entry(owner, goal, body)
    for q in spec.get("questions", []):
        ask(q | {"owner": owner.username}, users, goal=goal)
    state = spec.get("state", "active")
    if state == "paused":
        mentorship.pause(users[spec.get("paused_by", owner.username)], goal)
    elif state == "achieved":
        mentorship.complete(owner, goal, spec.get("summary"))


def _flush(_obj) -> None:
    """Give a new row its id (the services join the caller's open transaction)."""
    db.session.flush()

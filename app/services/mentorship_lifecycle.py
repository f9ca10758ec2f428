"""The lifecycle of an accepted mentorship: pause, resume, complete (with or without a
published "what I learned" summary), the mentor stepping back, and the owner reopening.

Every change runs in one write transaction holding the goal's lock and records a goal event;
reopening restores what the public saw before closing (app/services/phases.py).
"""

from app.core import validation as v
from app.core.errors import Conflict, Forbidden
from app.core.transaction import write_transaction
from app.models import Goal, Mentorship, User
from app.models.base import utcnow
from app.models.goals import VISIBILITY_OPEN
from app.models.mentorship import (
    END_COMPLETED,
    END_RELEASED,
    END_REOPENED,
    MENTORSHIP_ACTIVE,
    MENTORSHIP_ENDED,
    MENTORSHIP_PAUSED,
)
from app.rendering import render_markdown
from app.services.goals import require_goal_owner
from app.services.phases import live_mentorship, lock_goal, record_event, restore_public_fields


def _live(session, goal: Goal) -> Mentorship:
    mentorship = live_mentorship(session, goal.id)
    if mentorship is None:
        raise Conflict("This goal has no mentorship in progress.")
    return mentorship


def _require_party(user: User, mentorship: Mentorship) -> None:
    if user.id not in (mentorship.protege_id, mentorship.mentor_id):
        raise Forbidden("Only the protégé and the mentor can do that.")


def pause(user: User, goal: Goal) -> Mentorship:
    """Either party pauses the mentorship (the goal stays closed)."""
    with write_transaction() as session:
        lock_goal(session, goal.id)
        mentorship = _live(session, goal)
        _require_party(user, mentorship)
        if mentorship.state != MENTORSHIP_ACTIVE:
            raise Conflict("The mentorship is already paused.")
        mentorship.state, mentorship.paused_at, mentorship.paused_by_id = (
            MENTORSHIP_PAUSED,
            utcnow(),
            user.id,
        )
        record_event(session, goal, "paused", user, mentorship)
    return mentorship


def resume(user: User, goal: Goal) -> Mentorship:
    """Either party resumes a paused mentorship."""
    with write_transaction() as session:
        lock_goal(session, goal.id)
        mentorship = _live(session, goal)
        _require_party(user, mentorship)
        if mentorship.state != MENTORSHIP_PAUSED:
            raise Conflict("The mentorship is not paused.")
        mentorship.state, mentorship.paused_at, mentorship.paused_by_id = (
            MENTORSHIP_ACTIVE,
            None,
            None,
        )
        record_event(session, goal, "resumed", user, mentorship)
    return mentorship


def _end(session, mentorship: Mentorship, reason: str) -> None:
    mentorship.state, mentorship.ended_at, mentorship.end_reason = (
        MENTORSHIP_ENDED,
        utcnow(),
        reason,
    )


def _check_summary(summary) -> str:
    errors = v.FieldErrors()
    summary = errors.check(
        "summary", v.check_body, summary, max_length=v.SUMMARY_MAX, label="Summary"
    )
    errors.raise_if_any()
    return summary


def _set_summary(session, owner: User, goal: Goal, summary: str) -> None:
    """Inside a write transaction holding the goal's lock: publish the checked summary."""
    goal.summary, goal.summary_html = summary, render_markdown(summary)
    goal.summary_published_at = utcnow()
    if goal.visibility != VISIBILITY_OPEN:  # publishing: the current status/date stand
        goal.visibility, goal.mentor_id = VISIBILITY_OPEN, None
        goal.public_status = goal.public_target_date = None
        record_event(session, goal, "summary published", owner)
    goal.updated_at = utcnow()


def complete(owner: User, goal: Goal, summary: str | None = None) -> Goal:
    """The owner marks the goal achieved; the pair keeps the closed goal unless a summary
    is published, which reopens its public history (private-phase content stays private).
    The summary is checked first and published in the same transaction: a bad summary
    leaves the mentorship as it was."""
    require_goal_owner(owner, goal)
    if summary is not None:
        summary = _check_summary(summary)
    with write_transaction() as session:
        lock_goal(session, goal.id)
        mentorship = _live(session, goal)
        _end(session, mentorship, END_COMPLETED)
        goal.status, goal.updated_at = "achieved", utcnow()
        record_event(session, goal, "completed", owner, mentorship)
        if summary is not None:
            session.flush()
            _set_summary(session, owner, goal, summary)
    return goal


def publish_summary(owner: User, goal: Goal, summary) -> Goal:
    """Publish "what I learned" on an achieved goal: public and searchable, with the goal's
    public-phase history visible again (private-phase content stays private)."""
    require_goal_owner(owner, goal)
    summary = _check_summary(summary)
    with write_transaction() as session:
        locked = lock_goal(session, goal.id)
        if locked.status != "achieved" or live_mentorship(session, goal.id) is not None:
            raise Conflict("Publish a summary once the mentorship is complete.")
        _set_summary(session, owner, goal, summary)
    return goal


def release(mentor: User, goal: Goal) -> Goal:
    """The mentor steps back: the mentorship ends and the goal stays closed without a
    mentor until its owner reopens it or another mentor accepts."""
    with write_transaction() as session:
        lock_goal(session, goal.id)
        mentorship = _live(session, goal)
        if mentor.id != mentorship.mentor_id:
            raise Forbidden("Only the mentor can step back.")
        _end(session, mentorship, END_RELEASED)
        goal.mentor_id, goal.updated_at = None, utcnow()
        record_event(session, goal, "released", mentor, mentorship)
    return goal


def reopen(owner: User, goal: Goal) -> Goal:
    """The owner reopens the goal: pre-closing content is public (and indexed) again;
    content created while closed stays private to that mentorship."""
    require_goal_owner(owner, goal)
    with write_transaction() as session:
        locked = lock_goal(session, goal.id)
        if locked.visibility == VISIBILITY_OPEN:
            raise Conflict("The goal is already open.")
        mentorship = live_mentorship(session, goal.id)
        if mentorship is not None:
            _end(session, mentorship, END_REOPENED)
        goal.visibility, goal.mentor_id, goal.updated_at = VISIBILITY_OPEN, None, utcnow()
        restore_public_fields(goal)
        record_event(session, goal, "reopened", owner, mentorship)
    return goal

"""What a goal's phase (open, or closed with a mentor) means for writes under it.

Two rules keep a closed mentorship from leaking when the goal later reopens:
- content created while the goal is closed gets a private mark (its mentorship), so it stays
  private to the pair forever (``private_mark_for``);
- content from the public phase is frozen while the goal is closed, so no private words can
  enter a post that becomes public again on reopening (``require_editable``).
- status and target date changed while closed stay private: closing remembers what the
  public saw, reopening restores it (``remember_public_fields``/``restore_public_fields``).
Both read the goal row locked (PostgreSQL ``FOR UPDATE``; SQLite's write transactions are
serialised already), so a post racing an accept or a reopen sees one consistent phase.
"""

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, scoped_session

from app.core.errors import Conflict
from app.models import Goal, GoalEvent, Mentorship, User
from app.models.goals import VISIBILITY_OPEN
from app.models.mentorship import MENTORSHIP_ENDED

NO_MENTOR = (
    "This goal is closed without a mentor: reopen it or invite a mentor before adding to it."
)
FROZEN = (
    "This was posted while the goal was public; it cannot change while the goal is in "
    "a closed mentorship (reopen the goal to edit it, or write in the private space)."
)


def lock_goal(session: Session, goal_id: int) -> Goal:
    """Re-read the goal inside the caller's write transaction, locking its row."""
    return session.execute(
        select(Goal)
        .where(Goal.id == goal_id)
        .with_for_update(of=Goal)
        .execution_options(populate_existing=True)
    ).scalar_one()


def live_mentorship(session: Session | scoped_session[Any], goal_id: int) -> Mentorship | None:
    """The goal's mentorship that has not ended (active or paused), if any."""
    return session.scalars(
        select(Mentorship).where(
            Mentorship.goal_id == goal_id, Mentorship.state != MENTORSHIP_ENDED
        )
    ).first()


def private_mark_for(session: Session, goal_id: int | None) -> int | None:
    """The mark for content created now under this goal: None while open."""
    if goal_id is None:
        return None
    goal = lock_goal(session, goal_id)
    if goal.visibility == VISIBILITY_OPEN:
        return None
    mentorship = live_mentorship(session, goal_id)
    if mentorship is None:
        raise Conflict(NO_MENTOR)
    return mentorship.id


def require_editable(session: Session, goal_id: int | None, item) -> None:
    """Refuse to change public-phase content while its goal is closed."""
    if goal_id is None or item.mentorship_id is not None:
        return
    if lock_goal(session, goal_id).visibility != VISIBILITY_OPEN:
        raise Conflict(FROZEN)


def remember_public_fields(goal: Goal) -> None:
    """On closing an open goal: keep the status and target date the public last saw."""
    if goal.visibility == VISIBILITY_OPEN:
        goal.public_status, goal.public_target_date = goal.status, goal.target_date


def restore_public_fields(goal: Goal) -> None:
    """On reopening: changes made inside the mentorship stay there (rule 7)."""
    if goal.public_status is not None:
        goal.status, goal.target_date = goal.public_status, goal.public_target_date
        goal.public_status = goal.public_target_date = None


def record_event(
    session: Session, goal: Goal, kind: str, actor: User | None, mentorship=None
) -> None:
    """Add a goal event (closed, paused, reopened, ...) with the goal's visibility now."""
    session.add(
        GoalEvent(
            goal_id=goal.id,
            kind=kind,
            actor_id=actor.id if actor else None,
            mentorship_id=mentorship.id if mentorship else None,
            visibility=goal.visibility,
        )
    )

"""View data for the goal page read as a journey: the milestone line and the private space.

The caller passes only what the gate already let the viewer see (goal_contents), so nothing
here reads more than the page may show.
"""

from dataclasses import dataclass
from datetime import datetime

from app.models import CheckIn, Milestone, User


@dataclass
class Step:
    """One milestone on the progress line."""

    milestone: Milestone
    number: int
    state: str  # "done", "next" (the first one not done) or "todo"


@dataclass
class Line:
    """The milestone line: its steps and how far along it the goal is."""

    steps: list[Step]
    done: int
    total: int

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


def milestone_line(milestones: list[Milestone]) -> Line:
    """Steps in order; the first undone milestone is "next", the rest "todo"."""
    steps, seen_next = [], False
    for number, milestone in enumerate(milestones, start=1):
        if milestone.done:
            state = "done"
        elif not seen_next:
            state, seen_next = "next", True
        else:
            state = "todo"
        steps.append(Step(milestone, number, state))
    done = sum(1 for s in steps if s.state == "done")
    return Line(steps, done, len(steps))


def space_partner(viewer: User | None, owner: User, mentor: User | None) -> User | None:
    """The other person in a private space: "only you and <partner> can see this"."""
    if viewer is None or mentor is None:
        return None
    if viewer.id == owner.id:
        return mentor
    if viewer.id == mentor.id:
        return owner
    return None


def next_checkin(checkins: list[CheckIn], now: datetime) -> CheckIn | None:
    """The first check-in from now on (the list is in date order, as list_checkins gives)."""
    return next((c for c in checkins if c.scheduled_at >= now), None)

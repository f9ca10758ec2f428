"""A moving clock in the past for the demo, so its goals read as journeys, not one instant.

The services stamp rows with the current time. While the demo builds one goal, this clock
re-stamps the rows each flush creates or changes (created, updated, done, started, paused,
ended, responded, published) with a time that the builder moves forward step by step, from
weeks ago to just before now. Planned times (check-ins, invite expiry) and the search outbox
are left alone, and nothing else changes: the services still make every decision.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from app.models import SearchOutbox

STAMPED = (
    "created_at",
    "updated_at",
    "done_at",
    "started_at",
    "paused_at",
    "ended_at",
    "responded_at",
    "summary_published_at",
)
# Stamped on new rows even when the column default fills them in at INSERT.
ALWAYS = ("created_at", "updated_at", "started_at")


class DemoClock:
    """Time runs from ``start`` to ``end`` in ``steps`` equal ticks."""

    def __init__(self, start: datetime, end: datetime, steps: int) -> None:
        self.now = start
        self.step = (end - start) / max(steps, 1)

    def tick(self, steps: int = 1) -> None:
        """Move on (the builder calls this between the events of a story)."""
        self.now += self.step * steps

    def _stamp(self, session: Session, _context, _instances) -> None:
        for obj in [*session.new, *session.dirty]:
            if isinstance(obj, SearchOutbox):
                continue
            state = inspect(obj)
            names = state.mapper.column_attrs.keys()
            for name in STAMPED:
                if name not in names:
                    continue
                if obj in session.new:
                    if name in ALWAYS or getattr(obj, name) is not None:
                        setattr(obj, name, self.now)
                elif state.attrs[name].history.has_changes() and getattr(obj, name):
                    setattr(obj, name, self.now)
        # A second per flush keeps rows in the order the services wrote them.
        self.now += timedelta(seconds=1)

    @contextmanager
    def running(self, session: Session) -> Iterator["DemoClock"]:
        """Stamp this session's flushes until the block ends."""
        event.listen(session, "before_flush", self._stamp)
        try:
            yield self
        finally:
            event.remove(session, "before_flush", self._stamp)

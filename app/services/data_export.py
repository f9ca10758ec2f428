"""Data export (SPEC §1 "Data ownership"): everything a user wrote or received, as JSON.

What the user wrote is exported whole, private phases and anonymous questions included.
Whatever belongs to others (question titles their answers sit under, answers and comments
received, goal titles of mentorships, notification texts) passes the visibility gate as
this user, so the file never holds what they could not read on the site now: a later phase
of a goal they once mentored, or a mentorship they were not part of, stays out.
Secrets never leave: no password hash, no token digests (token dates are fine).

The parts: data_export_own (what the user wrote) and data_export_received (what others
wrote to them, through the gate).
"""

from app.core.errors import Forbidden, NotFound
from app.models import User
from app.models.base import utcnow
from app.services import data_export_own as own
from app.services import data_export_received as received

SCHEMA_VERSION = 1


def export_user_data(user: User) -> dict:
    """Everything the user wrote or received, as a JSON-ready dict (see module docstring)."""
    if user is None or user.is_deleted:
        raise NotFound("This account does not exist.")
    if user.is_suspended:
        raise Forbidden("This account is suspended; ask the moderators for a copy of your data.")
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_at": own.when(utcnow()),
        "profile": own.profile(user),
        "api_tokens": own.tokens(user),
        "goals": own.goals(user),
        "questions": own.questions(user),
        "answers": own.answers(user),
        "comments": own.comments(user),
        "revisions": own.revisions(user),
        "votes": own.votes(user),
        "helpful_marks": own.helpful(user),
        "received": received.received(user),
        **received.social(user),
        "notifications": received.notifications(user),
        "mentorship_requests": received.requests(user),
        "mentorships": received.mentorships(user),
    }

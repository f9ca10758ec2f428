"""Open → closed mentorship: invites to mentor a goal, and reading its mentorship (SPEC §1).

What happens to a mentorship once accepted (pause, resume, complete, release, reopen, the
published summary) is in mentorship_lifecycle.

Every state change is a conditional UPDATE (``WHERE status = 'pending'`` and the like) inside
one write transaction that also locks the goal row, so two accepts, or an accept racing a
withdraw, leave exactly one outcome; the loser gets a Conflict. Goal visibility changes reach
the search index through the outbox hook, in the same transaction.
"""

from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select, update

from app.core import validation as v
from app.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.core.transaction import rows_affected, write_transaction
from app.extensions import db
from app.models import Goal, GoalEvent, Mentorship, MentorshipRequest, User
from app.models.base import utcnow
from app.models.goals import VISIBILITY_CLOSED, VISIBILITY_OPEN
from app.models.mentorship import (
    REQUEST_ACCEPTED,
    REQUEST_DECLINED,
    REQUEST_EXPIRED,
    REQUEST_PENDING,
    REQUEST_WITHDRAWN,
)
from app.services.blocks import blocked_either_way
from app.services.goals import require_goal_owner
from app.services.notifications import notify
from app.services.phases import (
    live_mentorship,
    lock_goal,
    record_event,
    remember_public_fields,
)

# -- invites --------------------------------------------------------------------------------


def expire_due_invites(goal_id: int | None = None) -> int:
    """Mark pending invites past their expiry as expired; returns how many."""
    query = update(MentorshipRequest).where(
        MentorshipRequest.status == REQUEST_PENDING, MentorshipRequest.expires_at <= utcnow()
    )
    if goal_id is not None:
        query = query.where(MentorshipRequest.goal_id == goal_id)
    with write_transaction() as session:
        count = rows_affected(
            session.execute(
                query.values(status=REQUEST_EXPIRED, responded_at=utcnow()).execution_options(
                    synchronize_session=False
                )
            )
        )
    return count


def _find_user(username) -> User:
    name = username.strip().lower() if isinstance(username, str) else ""
    user = (
        db.session.scalar(
            select(User).where(func.lower(User.username) == name, User.deleted_at.is_(None))
        )
        if name
        else None
    )
    if user is None:
        raise ValidationFailed("No such user.", {"mentor": ["No user with that name."]})
    return user


def invite(owner: User, goal: Goal, mentor_username, message) -> MentorshipRequest:
    """The owner invites one user to mentor this goal (one pending invite per goal)."""
    require_goal_owner(owner, goal)
    mentor = _find_user(mentor_username)
    errors = v.FieldErrors()
    message = errors.check(
        "message", v.check_body, message, max_length=v.INVITE_MESSAGE_MAX, label="Message"
    )
    if mentor.id == owner.id:
        errors.add("mentor", "You cannot mentor your own goal.")
    elif blocked_either_way(owner.id, mentor.id):
        errors.add("mentor", "You cannot invite this user.")
    errors.raise_if_any()
    expire_due_invites(goal.id)  # an expired invite no longer blocks a new one
    ttl = timedelta(seconds=current_app.config["INVITE_TTL_SECONDS"])
    with write_transaction() as session:
        locked = lock_goal(session, goal.id)
        if locked.visibility != VISIBILITY_OPEN and locked.mentor_id is not None:
            raise Conflict("This goal already has a mentor.")
        if locked.status != "active":
            raise Conflict("Only an active goal can get a mentor.")
        pending = session.scalar(
            select(MentorshipRequest.id).where(
                MentorshipRequest.goal_id == goal.id, MentorshipRequest.status == REQUEST_PENDING
            )
        )
        if pending is not None:
            raise Conflict("This goal already has a pending invite: withdraw it first.")
        request = MentorshipRequest(
            goal_id=goal.id,
            protege_id=owner.id,
            mentor_id=mentor.id,
            message=message,
            expires_at=utcnow() + ttl,
        )
        session.add(request)
        session.flush()
        notify(session, mentor.id, "invite", "request", request.id, actor_id=owner.id)
    return request


def get_request(user, request_id) -> MentorshipRequest:
    """An invite its protégé or invitee may see (expired lazily), else NotFound."""
    valid = isinstance(request_id, int) and not isinstance(request_id, bool)
    request = db.session.get(MentorshipRequest, request_id) if valid else None
    viewer = user.id if user is not None and user.is_authenticated else None
    if request is None or viewer not in (request.protege_id, request.mentor_id):
        raise NotFound("No such invite.")
    if request.status == REQUEST_PENDING and request.expires_at <= utcnow():
        expire_due_invites(request.goal_id)
        db.session.refresh(request)
    return request


def _respond(request: MentorshipRequest, status: str) -> None:
    """Move a pending, unexpired invite to status, or raise Conflict (inside a transaction)."""
    changed = rows_affected(
        db.session.execute(
            update(MentorshipRequest)
            .where(
                MentorshipRequest.id == request.id,
                MentorshipRequest.status == REQUEST_PENDING,
                MentorshipRequest.expires_at > utcnow(),
            )
            .values(status=status, responded_at=utcnow())
            .execution_options(synchronize_session=False)
        )
    )
    if changed != 1:
        db.session.refresh(request)
        state = REQUEST_EXPIRED if request.status == REQUEST_PENDING else request.status
        raise Conflict(f"This invite is no longer pending (it was {state}).")


def withdraw(owner: User, request: MentorshipRequest) -> MentorshipRequest:
    """The protégé takes back a pending invite."""
    if owner.id != request.protege_id:
        raise Forbidden("Only the goal's owner can withdraw this invite.")
    with write_transaction() as session:
        _respond(request, REQUEST_WITHDRAWN)
        notify(
            session, request.mentor_id, "invite_withdrawn", "request", request.id, actor_id=owner.id
        )
    db.session.refresh(request)
    return request


def decline(invitee: User, request: MentorshipRequest) -> MentorshipRequest:
    """The invitee says no."""
    if invitee.id != request.mentor_id:
        raise Forbidden("Only the invited user can decline.")
    with write_transaction() as session:
        _respond(request, REQUEST_DECLINED)
        notify(
            session,
            request.protege_id,
            "invite_declined",
            "request",
            request.id,
            actor_id=invitee.id,
        )
    db.session.refresh(request)
    return request


def accept(invitee: User, request: MentorshipRequest) -> Mentorship:
    """The invitee accepts: in this one transaction the goal closes with them as mentor."""
    if invitee.id != request.mentor_id:
        raise Forbidden("Only the invited user can accept.")
    if blocked_either_way(request.protege_id, invitee.id):
        raise Conflict("One of you has blocked the other since the invite was sent.")
    with write_transaction() as session:
        goal = lock_goal(session, request.goal_id)  # serialises accept, withdraw, reopen
        _respond(request, REQUEST_ACCEPTED)
        notify(
            session,
            request.protege_id,
            "invite_accepted",
            "request",
            request.id,
            actor_id=invitee.id,
        )
        if live_mentorship(session, goal.id) is not None or goal.status != "active":
            raise Conflict("This goal cannot take a mentor now.")
        mentorship = Mentorship(
            goal_id=goal.id, protege_id=goal.owner_id, mentor_id=invitee.id, request_id=request.id
        )
        session.add(mentorship)
        # The flush hook queues removal of the goal and everything under it from the index;
        # until the indexer applies it, every search hit is re-checked against the gate.
        remember_public_fields(goal)
        goal.visibility, goal.mentor_id, goal.updated_at = VISIBILITY_CLOSED, invitee.id, utcnow()
        session.flush()
        record_event(session, goal, "closed", invitee, mentorship)
    db.session.refresh(request)
    return mentorship


# -- reading --------------------------------------------------------------------------------


def current_mentorship(goal: Goal) -> Mentorship | None:
    """The goal's mentorship in progress (active or paused), if any."""
    return live_mentorship(db.session, goal.id)


def pending_invite(goal: Goal) -> MentorshipRequest | None:
    """The goal's pending, unexpired invite, if any."""
    return db.session.scalar(
        select(MentorshipRequest).where(
            MentorshipRequest.goal_id == goal.id,
            MentorshipRequest.status == REQUEST_PENDING,
            MentorshipRequest.expires_at > utcnow(),
        )
    )


def goal_history(goal: Goal, viewer=None) -> list[GoalEvent]:
    """The goal's visibility and mentor history, oldest first: all of it (or for the owner),
    for a mentor their own mentorships' only (a second mentor learns nothing of the first)."""
    query = select(GoalEvent).where(GoalEvent.goal_id == goal.id)
    if viewer is not None and viewer.id != goal.owner_id:
        mine = select(Mentorship.id).where(
            Mentorship.goal_id == goal.id, Mentorship.mentor_id == getattr(viewer, "id", None)
        )
        query = query.where(GoalEvent.mentorship_id.in_(mine))
    return list(db.session.scalars(query.order_by(GoalEvent.created_at, GoalEvent.id)))

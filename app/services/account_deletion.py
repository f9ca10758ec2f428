"""Account deletion (SPEC §1 "Data ownership"): posts stay as "deleted user", the rest goes.

What happens, all in one write transaction (a failure anywhere changes nothing):

- the user row stays, so their public goals, questions, answers, comments, revisions, votes
  and helped-me marks keep their authorship and scores, shown as "deleted user";
- username becomes ``deleted-<id>``, email a unique non-deliverable placeholder (so the
  address can sign up again), the password hash an unusable value, the profile, skills,
  mentor topics and mentor availability are cleared and ``session_version`` is bumped, so
  every session and remember cookie dies; API tokens are deleted;
- private messages they sent are deleted (with the notifications pointing at them); their
  notifications, follows, blocks (both ways) and invitations to answer are deleted;
- pending mentorship invites are withdrawn (sent) or declined (received), and mentorships in
  progress end through the mentorship services, chosen so the other party keeps what they
  had: as mentor they *release* the goal (the owner keeps the closed goal and may reopen it
  or invite someone else); as goal owner they *complete* it, which keeps the goal closed with
  the mentor still able to read it (a reopen would make public what the owner chose to
  close, and nobody is left to decide that), then the goal is marked abandoned, since the
  owner left rather than achieved it.
"""

import secrets

from sqlalchemy import delete, or_, select, update

from app.core.errors import NotFound, ValidationFailed
from app.core.transaction import rows_affected, write_transaction
from app.extensions import db
from app.models import (
    Answer,
    AnswerInvitation,
    ApiToken,
    Block,
    Follow,
    Goal,
    Mentorship,
    MentorshipRequest,
    Message,
    Notification,
    Question,
    User,
)
from app.models.base import utcnow
from app.models.mentorship import MENTORSHIP_ENDED, REQUEST_PENDING
from app.search.outbox import enqueue
from app.services import mentorship as mentorships
from app.services import mentorship_lifecycle
from app.services.accounts import get_user
from app.services.passwords import burn_verification_time, verify_password

DELETED_NAME = "deleted user"
# Not a hash any hasher produces: verify_password() is always False for it.
UNUSABLE_PASSWORD = "!deleted-account"  # noqa: S105  (a marker, not a secret)
WRONG_PASSWORD = "The password is wrong; nothing was deleted."  # noqa: S105
ALREADY_DELETED = "This account has already been deleted."


def public_username(user: User) -> str:
    """The username to show others: "deleted user" once the account is deleted."""
    return DELETED_NAME if user.is_deleted else user.username


def get_profile_user(username) -> User:
    """The user behind a profile: NotFound for unknown and deleted accounts alike."""
    user = get_user(username)
    if user.is_deleted:
        raise NotFound("No such user.")
    return user


def _check_password(user: User, password) -> None:
    if not isinstance(password, str) or not password or len(password) > 1000:
        burn_verification_time("")
        raise ValidationFailed(WRONG_PASSWORD, {"password": ["Enter your current password."]})
    if not verify_password(user.password_hash, password):
        raise ValidationFailed(WRONG_PASSWORD, {"password": ["The password is wrong."]})


def _free_username(session, user: User) -> str:
    """``deleted-<id>``, or with a random suffix should someone have registered that name."""
    name = f"deleted-{user.id}"
    while session.scalar(select(User.id).where(User.username == name, User.id != user.id)):
        name = f"deleted-{user.id}-{secrets.token_hex(3)}"
    return name


def _end_mentorship_ties(session, user: User) -> None:
    """Withdraw/decline pending invites and end live mentorships via the mentorship services."""
    mentorships.expire_due_invites()  # an expired invite is no longer "pending" to answer
    pending = session.scalars(
        select(MentorshipRequest).where(
            MentorshipRequest.status == REQUEST_PENDING,
            or_(MentorshipRequest.protege_id == user.id, MentorshipRequest.mentor_id == user.id),
        )
    )
    for request in list(pending):
        if request.protege_id == user.id:
            mentorships.withdraw(user, request)
        else:
            mentorships.decline(user, request)
    live = session.scalars(
        select(Mentorship).where(
            Mentorship.state != MENTORSHIP_ENDED,
            or_(Mentorship.protege_id == user.id, Mentorship.mentor_id == user.id),
        )
    )
    for mentorship in list(live):
        goal = session.get(Goal, mentorship.goal_id)
        if mentorship.mentor_id == user.id:
            mentorship_lifecycle.release(user, goal)
        else:
            mentorship_lifecycle.complete(user, goal)
            # The owner left; "achieved" would claim a success nobody reported.
            goal.status, goal.updated_at = "abandoned", utcnow()


def _remove_private_traces(session, user: User) -> None:
    """Messages they sent, and their notifications, follows, blocks, invitations, tokens."""
    message_ids = list(session.scalars(select(Message.id).where(Message.sender_id == user.id)))
    if message_ids:
        session.execute(
            delete(Notification).where(
                Notification.subject_type == "message", Notification.subject_id.in_(message_ids)
            )
        )
        session.execute(delete(Message).where(Message.id.in_(message_ids)))
    session.execute(delete(Notification).where(Notification.user_id == user.id))
    session.execute(delete(Follow).where(Follow.user_id == user.id))
    session.execute(
        delete(Block).where(or_(Block.blocker_id == user.id, Block.blocked_id == user.id))
    )
    session.execute(
        delete(AnswerInvitation).where(
            or_(AnswerInvitation.user_id == user.id, AnswerInvitation.invited_by_id == user.id)
        )
    )
    session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))


def _anonymise(session, user: User) -> None:
    user.username = _free_username(session, user)
    # .invalid never resolves (RFC 2606); the random part keeps it unguessable and unique.
    user.email = f"deleted-{user.id}-{secrets.token_hex(8)}@deleted.invalid"
    user.password_hash = UNUSABLE_PASSWORD
    user.display_name = user.bio = user.bio_html = user.location = user.availability = ""
    user.timezone, user.preferred_modes, user.response_time_hours = "UTC", [], None
    user.mentor_available, user.email_mode, user.role = False, "off", "user"
    user.skills, user.mentor_topics = [], []
    user.session_version = User.session_version + 1
    user.deleted_at = utcnow()


def _reindex_posts(session, user: User) -> None:
    """Search documents carry the author's username: re-index every post of theirs."""
    for kind, model in (("goal", Goal), ("question", Question), ("answer", Answer)):
        enqueue(session, kind, session.scalars(select(model.id).where(model.owner_id == user.id)))


def delete_account(user: User, password) -> None:
    """Delete the account after checking its password (see the module docstring)."""
    if user is None or user.is_deleted:
        raise NotFound(ALREADY_DELETED)
    _check_password(user, password)
    with write_transaction() as session:
        # Claim the row first: of two concurrent deletions exactly one goes on.
        claimed = rows_affected(
            session.execute(
                update(User)
                .where(User.id == user.id, User.deleted_at.is_(None))
                .values(updated_at=utcnow())
                .execution_options(synchronize_session=False)
            )
        )
        if claimed != 1:
            raise NotFound(ALREADY_DELETED)
        _end_mentorship_ties(session, user)
        _remove_private_traces(session, user)
        _anonymise(session, user)
        _reindex_posts(session, user)
    db.session.refresh(user)

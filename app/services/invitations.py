"""Invitations to answer: the asker names up to 5 people to answer a public question.

``invite_to_answer`` holds every rule: only the asker; only a public question (not under a
closed goal, not private-marked); at most ``MAX_INVITATIONS`` per question in all; every
username must exist; not yourself; nobody blocked either way. Inviting someone already
invited is harmless (idempotent: no second row, no second notification, not counted
twice). Each new invitee is notified in the same transaction that stores the invitation.
"""

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.core.errors import Conflict, Forbidden, ValidationFailed
from app.core.transaction import write_transaction
from app.core.visibility import can_view_question
from app.extensions import db
from app.models import AnswerInvitation, Question, User
from app.services.blocks import blocked_either_way
from app.services.notifications import notify

MAX_INVITATIONS = 5
_FIELD = "usernames"


def _fail(message: str) -> ValidationFailed:
    return ValidationFailed(message, {_FIELD: [message]})


def _clean_names(usernames) -> list[str]:
    """Distinct lowercase names in the order given (duplicates in one request collapse)."""
    if (
        not isinstance(usernames, list)
        or not usernames
        or not all(isinstance(name, str) for name in usernames)
    ):
        raise _fail("Give a list of 1 to 5 usernames.")
    names: list[str] = []
    for name in usernames:
        name = name.strip().lstrip("@").lower()
        if name and name not in names:
            names.append(name)
    if not names:
        raise _fail("Give a list of 1 to 5 usernames.")
    if len(names) > MAX_INVITATIONS:
        raise _fail(f"You can invite at most {MAX_INVITATIONS} people to answer a question.")
    return names


def list_invitations(question: Question) -> list[AnswerInvitation]:
    """The question's invitations, oldest first (the caller checked who may see them)."""
    return list(
        db.session.scalars(
            select(AnswerInvitation)
            .where(AnswerInvitation.question_id == question.id)
            .order_by(AnswerInvitation.created_at, AnswerInvitation.user_id)
        )
    )


def require_asker(user, question: Question) -> None:
    """Only the asker manages (and sees) a question's invitations."""
    if user is None or user.id != question.owner_id:
        raise Forbidden("Only the asker can invite people to answer this question.")


def invite_to_answer(asker: User, question: Question, usernames) -> list[AnswerInvitation]:
    """Invite these users to answer; returns the newly created invitations.

    The question must be visible to the caller already (the views fetch it through the
    gate, so a hidden question is a 404 before this runs).
    """
    require_asker(asker, question)
    if not can_view_question(None, question):
        raise Conflict(
            "Only public questions take invitations: this one is private to a closed mentorship."
        )
    names = _clean_names(usernames)
    users = {
        u.username: u
        for u in db.session.scalars(
            select(User).where(User.username.in_(names), User.deleted_at.is_(None))
        )
    }
    unknown = [name for name in names if name not in users]
    if unknown:
        raise _fail("No such user: " + ", ".join(unknown) + ".")
    if asker.username in names:
        raise _fail("You cannot invite yourself.")
    refused = [name for name in names if blocked_either_way(asker.id, users[name].id)]
    if refused:
        raise _fail("You cannot invite: " + ", ".join(refused) + ".")
    try:
        with write_transaction() as session:
            # Serialise invitations to one question (SQLite: the write lock already does).
            session.execute(select(Question.id).where(Question.id == question.id).with_for_update())
            already = set(
                session.scalars(
                    select(AnswerInvitation.user_id).where(
                        AnswerInvitation.question_id == question.id
                    )
                )
            )
            new = [users[name] for name in names if users[name].id not in already]
            total = (
                session.scalar(
                    select(func.count())
                    .select_from(AnswerInvitation)
                    .where(AnswerInvitation.question_id == question.id)
                )
                or 0
            ) + len(new)
            if total > MAX_INVITATIONS:
                left = MAX_INVITATIONS - len(already)
                raise _fail(
                    f"At most {MAX_INVITATIONS} people can be invited to answer a "
                    f"question; {left} more can be invited here."
                )
            created = []
            for user in new:
                invitation = AnswerInvitation(
                    question_id=question.id, user_id=user.id, invited_by_id=asker.id
                )
                session.add(invitation)
                created.append(invitation)
                notify(
                    session,
                    user.id,
                    "answer_invitation",
                    "question",
                    question.id,
                    actor_id=asker.id,
                )
    except IntegrityError:
        # The same invitation committed by a parallel request: that one notified them.
        db.session.rollback()
        raise Conflict("These invitations were just changed; try again.") from None
    return created

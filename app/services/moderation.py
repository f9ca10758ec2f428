"""Moderation: users flag public posts; admins hide/unhide posts, dismiss flags, suspend users.

Every admin action writes one ModerationAction row (the audit log) in the same transaction.
Who sees a hidden post is rule 3 of the privacy gate (app/core/visibility.py); this
module only sets ``hidden_at``. Only public posts can be flagged or hidden, so moderators
never read private mentorship content. What admins read (the queue, the log) is
moderation_queue.py.
"""

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.core import validation as v
from app.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.core.posts import can_view_post, hidden_by_moderators, is_public_post, load, type_of
from app.core.transaction import write_transaction
from app.core.visibility import valid_id, viewer_is_admin
from app.extensions import db
from app.models import Answer, Question, User
from app.models.base import utcnow
from app.models.moderation import FLAG_REASONS, FLAG_TARGETS, Flag, ModerationAction
from app.services.accounts import get_user
from app.services.tokens import revoke_all_tokens

REASON_LABELS = {
    "spam": "Spam",
    "abuse": "Abusive or harassing",
    "off_topic": "Off topic",
    "privacy": "Shares someone's private information",
    "other": "Something else",
}


def require_admin(user) -> None:
    """Admins only; everyone else gets a 404 so the admin area does not announce itself."""
    if not viewer_is_admin(user):
        raise NotFound("Not found.")


def _check_type(target_type) -> str:
    if target_type not in FLAG_TARGETS:
        raise ValidationFailed(
            "Unknown post type.", {"type": [f"One of: {', '.join(FLAG_TARGETS)}."]}
        )
    return target_type


def load_target(target_type: str, target_id):
    """The post of a flaggable type and id, or None (no gate check: callers apply it)."""
    return load(target_type, target_id) if valid_id(target_id) else None


def _author_id(target) -> int:
    return type_of(target).author_id(target)


def _log(session, admin, action: str, target_type: str, target_id: int, reason: str) -> None:
    session.add(
        ModerationAction(
            moderator_id=admin.id,
            action=action,
            target_type=target_type,
            target_id=target_id,
            reason=reason,
        )
    )


def _clean_reason(value, *, required: bool, max_length: int = v.FLAG_DETAILS_MAX) -> str:
    errors = v.FieldErrors()
    reason = errors.check(
        "reason", v.clean_text, value, max_length=max_length, multiline=True, label="Reason"
    )
    if reason == "" and required:
        errors.add("reason", "Give a reason: the user is shown it.")
    errors.raise_if_any()
    return reason


# -- flagging ---------------------------------------------------------------------------------


def flag(user, target_type, target_id, reason, details="") -> Flag:
    """Report a public post to the moderators (once per user and post)."""
    if user is None or not getattr(user, "is_authenticated", False):
        raise Forbidden("Sign in to flag a post.")
    if user.is_suspended:
        raise Forbidden("Your account is suspended.")
    errors = v.FieldErrors()
    if target_type not in FLAG_TARGETS:
        errors.add("type", f"One of: {', '.join(FLAG_TARGETS)}.")
    if reason not in FLAG_REASONS:
        errors.add("reason", f"One of: {', '.join(FLAG_REASONS)}.")
    details = errors.check(
        "details",
        v.clean_text,
        details,
        max_length=v.FLAG_DETAILS_MAX,
        multiline=True,
        label="Details",
    )
    errors.raise_if_any()
    target = load_target(target_type, target_id)
    if target is None:
        raise NotFound(f"No such {target_type}.")
    public = is_public_post(target)
    if not can_view_post(user, target):
        # Hidden by moderators or private: the same answer as a missing post (rule 7).
        raise NotFound(f"No such {target_type}.")
    if _author_id(target) == user.id:
        raise Forbidden("You cannot flag your own post.")
    if not public:
        raise Forbidden(
            "Private mentorship content cannot be flagged: moderators do not "
            "read it. You can block the person or end the mentorship instead."
        )
    if hidden_by_moderators(target):
        raise Conflict("Moderators already hid this post.")
    if (
        db.session.scalar(
            select(Flag.id).where(
                Flag.target_type == target_type,
                Flag.target_id == target.id,
                Flag.reporter_id == user.id,
            )
        )
        is not None
    ):
        raise Conflict("You already flagged this.")
    record = Flag(
        target_type=target_type,
        target_id=target.id,
        reporter_id=user.id,
        reason=reason,
        details=details,
        status="open",
    )
    try:
        with write_transaction() as session:
            session.add(record)
    except IntegrityError:
        raise Conflict("You already flagged this.") from None  # a double click racing
    return record


# -- hiding -----------------------------------------------------------------------------------


def get_target(admin, target_type, target_id):
    """A public post (hidden or not) for an admin; NotFound for anything else."""
    require_admin(admin)
    _check_type(target_type)
    target = load_target(target_type, target_id)
    # Private mentorship content is out of moderators' reach, as if it did not exist.
    if target is None or not is_public_post(target):
        raise NotFound(f"No such {target_type}.")
    return target


def _resolve_flags(session, admin, target_type: str, target_id: int, status: str) -> int:
    result = session.execute(
        update(Flag)
        .where(Flag.target_type == target_type, Flag.target_id == target_id, Flag.status == "open")
        .values(status=status, resolved_by_id=admin.id, resolved_at=utcnow())
    )
    return result.rowcount


def _count_answer(session, answer: Answer, delta: int) -> None:
    """Keep the question's answer count to what its readers can see."""
    question = answer.question
    # Mirrors post_answer: a private answer on a public-phase question was never counted.
    if answer.mentorship_id is None or answer.mentorship_id == question.mentorship_id:
        session.execute(
            update(Question)
            .where(Question.id == question.id, Question.answer_count + delta >= 0)
            .values(answer_count=Question.answer_count + delta)
        )
        session.expire(question, ["answer_count"])


def hide(admin, target_type, target_id, reason="") -> object:
    """Hide a public post (and everything under it); its open flags become "actioned"."""
    target = get_target(admin, target_type, target_id)
    reason = _clean_reason(reason, required=False)
    if target.hidden_at is not None:
        raise Conflict("This post is already hidden.")
    with write_transaction() as session:
        target.hidden_at = utcnow()
        if isinstance(target, Answer):
            _count_answer(session, target, -1)
        _resolve_flags(session, admin, target_type, target.id, "actioned")
        _log(session, admin, "hide", target_type, target.id, reason)
    return target


def unhide(admin, target_type, target_id, reason="") -> object:
    """Show a hidden post again (and everything under it that is not hidden itself)."""
    target = get_target(admin, target_type, target_id)
    reason = _clean_reason(reason, required=False)
    if target.hidden_at is None:
        raise Conflict("This post is not hidden.")
    with write_transaction() as session:
        target.hidden_at = None
        if isinstance(target, Answer):
            _count_answer(session, target, +1)
        _log(session, admin, "unhide", target_type, target.id, reason)
    return target


def dismiss(admin, target_type, target_id, reason="") -> int:
    """Dismiss every open flag on a post (it stays as it is); returns how many."""
    require_admin(admin)
    _check_type(target_type)
    reason = _clean_reason(reason, required=False)
    if not valid_id(target_id):
        raise NotFound("No open flags on this post.")
    with write_transaction() as session:
        count = _resolve_flags(session, admin, target_type, target_id, "dismissed")
        if not count:
            raise Conflict("There are no open flags on this post.")
        _log(session, admin, "dismiss", target_type, target_id, reason)
    return count


def dismiss_flag(admin, flag_id, reason="") -> int:
    """Dismiss a flag together with the other open flags on the same post."""
    require_admin(admin)
    record = db.session.get(Flag, flag_id) if valid_id(flag_id) else None
    if record is None:
        raise NotFound("No such flag.")
    if record.status != "open":
        raise Conflict(f"This flag was already {record.status}.")
    return dismiss(admin, record.target_type, record.target_id, reason)


# -- suspending -------------------------------------------------------------------------------


def suspend(admin, username, reason) -> User:
    """Suspend an account: it cannot sign in, and every session and token dies at once."""
    require_admin(admin)
    reason = _clean_reason(reason, required=True, max_length=v.SUSPEND_REASON_MAX)
    user = get_user(username)
    if user.id == admin.id:
        raise Forbidden("You cannot suspend yourself.")
    if user.is_admin:
        raise Forbidden("Admins cannot be suspended; remove the admin role first.")
    if user.is_deleted:
        raise Conflict("This account was deleted.")
    if user.is_suspended:
        raise Conflict(f"{user.username} is already suspended.")
    with write_transaction() as session:
        user.suspended_at = utcnow()
        user.suspended_reason = reason
        # Sessions carry the version (User.get_id): bumping it ends every one of them.
        user.session_version = User.session_version + 1
        revoke_all_tokens(user)  # joins this transaction
        _log(session, admin, "suspend", "user", user.id, reason)
    return user


def unsuspend(admin, username, reason="") -> User:
    """Lift a suspension; the user signs in again (old sessions and tokens stay dead)."""
    require_admin(admin)
    reason = _clean_reason(reason, required=False, max_length=v.SUSPEND_REASON_MAX)
    user = get_user(username)
    if not user.is_suspended:
        raise Conflict(f"{user.username} is not suspended.")
    with write_transaction() as session:
        user.suspended_at = None
        user.suspended_reason = ""
        _log(session, admin, "unsuspend", "user", user.id, reason)
    return user

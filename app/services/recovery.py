"""Account recovery and verified email (SPEC §1): reset links, verification, address changes.

Every rule here has one function; web and API views only parse input and call them.
"""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.core import validation as v
from app.core.errors import Conflict, ServiceError, ValidationFailed
from app.core.transaction import write_transaction
from app.extensions import db
from app.models import User
from app.models.base import utcnow
from app.services.account_mail import queue_reset, queue_verification, wake_sender
from app.services.account_tokens import (
    read_reset_token,
    read_verify_token,
    reset_token_matches,
)
from app.services.accounts import grant_listed_admin
from app.services.passwords import hash_password, verify_password
from app.services.tokens import revoke_all_tokens

INVALID_LINK = "This link is invalid, expired or already used. Ask for a new one."
ADDRESS_TAKEN = "That email address cannot be used. Try another."
WRONG_PASSWORD = "The password is wrong."  # noqa: S105


class InvalidToken(ServiceError):
    """A reset or verification token that is altered, expired, used or outdated."""

    status = 400
    code = "invalid_token"


def request_password_reset(email) -> None:
    """Queue a reset link for the account with this address, if any; same work either way.

    Raises ValidationFailed only for input that is not an email address at all, which says
    nothing about accounts. Whether an account exists is decided later, by the sender.
    """
    errors = v.FieldErrors()
    address = errors.check("email", v.normalise_email, email)
    errors.raise_if_any()
    with write_transaction() as session:
        queue_reset(session, address)
    wake_sender()


def _user_for_update(session, user_id: int) -> User | None:
    """Re-read the account locked (PostgreSQL; SQLite holds the write lock already)."""
    return session.scalars(
        select(User)
        .where(User.id == user_id)
        .with_for_update(of=User)
        .execution_options(populate_existing=True)
    ).first()


def check_reset_token(token) -> User:
    """The account a reset link is for, while the link still works (else InvalidToken)."""
    parsed = read_reset_token(token)
    user = db.session.get(User, parsed[0]) if parsed else None
    if (
        parsed is None
        or user is None
        or user.is_deleted
        or not reset_token_matches(user, parsed[1])
    ):
        raise InvalidToken(INVALID_LINK)
    return user


def reset_password(token, new_password) -> User:
    """Set a new password from a reset link: once; other sessions and all tokens end.

    The link reached the mailbox, so it also verifies the address.
    """
    check_reset_token(token)
    errors = v.FieldErrors()
    new_password = errors.check("password", v.check_password, new_password)
    errors.raise_if_any()
    new_hash = hash_password(new_password)  # slow: before the write lock is taken
    # Read again: the link may have expired while the password was hashed.
    parsed = read_reset_token(token)
    if parsed is None:
        raise InvalidToken(INVALID_LINK)
    _user_id, fingerprint = parsed
    with write_transaction() as session:
        user = _user_for_update(session, _user_id)
        # Checked again under the lock: of two requests racing with one link, one wins.
        if user is None or user.is_deleted or not reset_token_matches(user, fingerprint):
            raise InvalidToken(INVALID_LINK)
        user.password_hash = new_hash
        user.session_version = (user.session_version or 0) + 1
        if user.email_verified_at is None:
            user.email_verified_at = utcnow()
        grant_listed_admin(user)
        revoke_all_tokens(user)
    return user


def verify_email(token) -> User:
    """Use a verification link: confirm the address, or switch to the new one it names."""
    parsed = read_verify_token(token)
    if parsed is None:
        raise InvalidToken(INVALID_LINK)
    user_id, before, after = parsed
    try:
        with write_transaction() as session:
            user = _user_for_update(session, user_id)
            if user is None or user.is_deleted or user.email != before:
                raise InvalidToken(INVALID_LINK)
            if after != before:
                taken = session.scalar(select(User.id).where(User.email == after))
                if taken is not None:
                    raise Conflict(ADDRESS_TAKEN)
                user.email = after
                user.email_verified_at = utcnow()
            elif user.email_verified_at is None:
                user.email_verified_at = utcnow()
            grant_listed_admin(user)
    except IntegrityError as exc:  # someone took the address a moment ago
        raise Conflict(ADDRESS_TAKEN) from exc
    return user


def resend_verification(user: User) -> None:
    """Queue a new verification link for the current address (Conflict once verified)."""
    if user.email_verified:
        raise Conflict("Your email address is already verified.")
    with write_transaction() as session:
        queue_verification(session, user)
    wake_sender()


def request_email_change(user: User, password, new_email) -> str:
    """Mail a link to the new address; it replaces the old one only when that link is used.

    Returns the normalised new address. Whether another account uses it is checked when the
    link is used, so asking reveals nothing about other accounts.
    """
    if not isinstance(password, str) or not verify_password(user.password_hash, password):
        raise ValidationFailed(WRONG_PASSWORD, {"password": [WRONG_PASSWORD]})
    errors = v.FieldErrors()
    address = errors.check("email", v.normalise_email, new_email)
    errors.raise_if_any()
    if address == user.email:
        raise ValidationFailed(
            "That is already your address.", {"email": ["That is already your address."]}
        )
    with write_transaction() as session:
        queue_verification(session, user, address)
    wake_sender()
    return address

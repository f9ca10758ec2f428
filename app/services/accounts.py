"""Accounts: sign-up, sign-in, profile edits, password changes, roles."""

from typing import TypeGuard

from flask import current_app
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from app.core import validation as v
from app.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.core.transaction import write_transaction
from app.extensions import db
from app.models import User
from app.models.base import utcnow
from app.models.users import ROLE_ADMIN
from app.rendering import render_markdown
from app.services.account_mail import queue_verification, wake_sender
from app.services.passwords import (
    burn_verification_time,
    hash_password,
    needs_rehash,
    verify_password,
)
from app.services.tags import get_or_create_tags
from app.services.tokens import revoke_all_tokens

# One message for "username taken" and "email taken", so sign-up does not reveal which.
SIGNUP_CONFLICT_MESSAGE = "That username or email address cannot be used. Try another."

PROFILE_FIELDS = (
    "display_name",
    "bio",
    "skills",
    "location",
    "timezone",
    "mentor_available",
    "mentor_topics",
    "preferred_modes",
    "availability",
    "response_time_hours",
    "email_mode",
)
# Email copies of notifications (SPEC §1): none, each at once, or a daily/weekly digest.
EMAIL_MODES = ("off", "immediate", "daily", "weekly")


def _is_admin_email(email: str) -> bool:
    return email.lower() in current_app.config.get("ADMIN_EMAILS", ())


def grant_listed_admin(user: User) -> bool:
    """ADMIN_EMAILS: the admin role for a *verified* listed address (caller commits)."""
    if user.email_verified and _is_admin_email(user.email) and user.role != ROLE_ADMIN:
        user.role = ROLE_ADMIN
        return True
    return False


def register_user(
    username, email, password, *, display_name="", verified=False, password_hash: str | None = None
) -> User:
    """Create an account and queue its verification mail; ValidationFailed or a Conflict.

    ``verified``: the operator vouches for the address (`flask users create`, demo data).
    ``password_hash`` (the demo loader only: its accounts share one published password)
    is a hash of ``password`` computed once, saving a slow hash per account.
    """
    errors = v.FieldErrors()
    username = errors.check("username", v.normalise_username, username)
    email = errors.check("email", v.normalise_email, email)
    password = errors.check("password", v.check_password, password)
    display_name = errors.check(
        "display_name",
        v.clean_text,
        display_name,
        max_length=v.DISPLAY_NAME_MAX,
        label="Display name",
    )
    errors.raise_if_any()
    # Hash before looking for duplicates, so taken and free names cost the same time.
    password_hash = password_hash or hash_password(password)
    user = User(
        username=username,
        email=email,
        password_hash=password_hash,
        display_name=display_name or "",
        role="user",
        preferred_modes=[],
        email_verified_at=utcnow() if verified else None,
    )
    # Only a verified address gets the role: whoever registers a listed address first
    # (or after its admin deleted their account) must not become admin.
    grant_listed_admin(user)
    try:
        with write_transaction() as session:
            taken = session.scalar(
                select(User.id).where(or_(User.username == username, User.email == email))
            )
            if taken is not None:
                raise Conflict(SIGNUP_CONFLICT_MESSAGE)
            session.add(user)
            if not verified:
                session.flush()
                queue_verification(session, user)
    except IntegrityError as exc:
        # Two sign-ups racing for the same name: the unique constraint decides.
        raise Conflict(SIGNUP_CONFLICT_MESSAGE) from exc
    if not verified:
        wake_sender()
    return user


def find_user_by_login(login: str) -> User | None:
    """Find a user by username or email, case-insensitively."""
    if not isinstance(login, str) or not login.strip() or len(login) > v.EMAIL_MAX:
        return None
    login = login.strip().lower()
    return db.session.scalar(select(User).where(or_(User.username == login, User.email == login)))


def authenticate(login, password) -> User | None:
    """Return the user for valid credentials, else None, in similar time either way.

    Raises Forbidden (with the moderators' reason) for a suspended account.
    """
    if not isinstance(password, str) or len(password) > v.PASSWORD_MAX:
        burn_verification_time("")
        return None
    user = find_user_by_login(login)
    if user is None:
        burn_verification_time(password)
        return None
    if not verify_password(user.password_hash, password) or user.is_deleted:
        return None
    if user.is_suspended:
        # Told only after the password checked out, so it reveals nothing to strangers.
        raise Forbidden(
            "This account is suspended by the moderators. Reason: "
            f"{user.suspended_reason or 'none given'}"
        )
    _after_sign_in(user, password)
    return user


def account_usable(user: User | None) -> TypeGuard[User]:
    """Whether sessions and tokens of this account still work (not suspended or deleted)."""
    return user is not None and not user.is_suspended and not user.is_deleted


def _after_sign_in(user: User, password: str) -> None:
    """Upgrade old hashes and apply ADMIN_EMAILS (verified addresses) on every sign-in."""
    upgrade_hash = needs_rehash(user.password_hash)
    grant_admin = user.email_verified and _is_admin_email(user.email) and user.role != ROLE_ADMIN
    if upgrade_hash or grant_admin:
        with write_transaction():
            if upgrade_hash:
                user.password_hash = hash_password(password)
            grant_listed_admin(user)


def get_user(username) -> User:
    """The user with this username (any case), or NotFound."""
    if not isinstance(username, str) or len(username) > v.USERNAME_MAX:
        raise NotFound("No such user.")
    user = db.session.scalar(select(User).where(User.username == username.lower()))
    if user is None:
        raise NotFound("No such user.")
    return user


def update_profile(user: User, changes: dict) -> User:
    """Apply the given profile fields (any subset of PROFILE_FIELDS) after validating all."""
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise ValidationFailed("Unknown field.", {name: ["Unknown field."] for name in unknown})
    errors = v.FieldErrors()
    clean: dict = {}
    text_limits = {
        "display_name": (v.DISPLAY_NAME_MAX, False, "Display name"),
        "bio": (v.BIO_MAX, True, "Bio"),
        "location": (v.LOCATION_MAX, False, "Location"),
        "availability": (v.AVAILABILITY_MAX, False, "Availability"),
    }
    for name, value in changes.items():
        if name in text_limits:
            limit, multiline, label = text_limits[name]
            clean[name] = errors.check(
                name, v.clean_text, value, max_length=limit, multiline=multiline, label=label
            )
        elif name in ("skills", "mentor_topics"):
            clean[name] = errors.check(name, v.normalise_tags, value, max_count=v.SKILLS_MAX)
        elif name == "timezone":
            clean[name] = errors.check(name, v.check_timezone, value)
        elif name == "preferred_modes":
            clean[name] = errors.check(name, v.check_modes, value)
        elif name == "response_time_hours":
            clean[name] = errors.check(name, v.check_response_time, value)
        elif name == "email_mode":
            if not isinstance(value, str) or value not in EMAIL_MODES:
                errors.add(name, "Choose one of: " + ", ".join(EMAIL_MODES) + ".")
            clean[name] = value
        elif name == "mentor_available":
            if not isinstance(value, bool):
                errors.add(name, "Must be true or false.")
            clean[name] = value
    errors.raise_if_any()
    with write_transaction():
        for name, value in clean.items():
            if name in ("skills", "mentor_topics"):
                setattr(user, name, get_or_create_tags(value))
            else:
                setattr(user, name, value)
        if "bio" in clean:
            user.bio_html = render_markdown(clean["bio"])
    return user


def change_password(user: User, current_password, new_password) -> None:
    """Change the password after checking the current one; ends other sessions and tokens."""
    if not isinstance(current_password, str) or not verify_password(
        user.password_hash, current_password
    ):
        raise ValidationFailed(
            "Current password is wrong.", {"current_password": ["Current password is wrong."]}
        )
    errors = v.FieldErrors()
    new_password = errors.check("new_password", v.check_password, new_password)
    errors.raise_if_any()
    new_hash = hash_password(new_password)
    with write_transaction():
        user.password_hash = new_hash
        user.session_version = User.session_version + 1
        # A changed password should lock out whoever else held the account: tokens go too.
        revoke_all_tokens(user)
    db.session.refresh(user)


def set_role(username: str, role: str) -> User:
    """Give a user a role (used by `flask users promote`)."""
    if role not in ("user", ROLE_ADMIN):
        raise ValidationFailed("Unknown role.", {"role": ["Unknown role."]})
    user = get_user(username)
    with write_transaction():
        user.role = role
    return user


def end_sessions(user: User) -> None:
    """Sign-out on the server: every session and remember cookie of the account stops working.

    Cookies are signed, not stored, so the only way to make a copied cookie die is to move
    the session version it carries; that also signs out the account's other browsers.
    """
    with write_transaction():
        user.session_version = User.session_version + 1
    db.session.refresh(user)

"""Signed links for account mail: verify an address (48 h) and reset a password (1 h).

Tokens are itsdangerous signatures over a small payload, never stored. Each is bound to the
state it may change, so it dies as soon as that state moves on:

- a reset token carries a fingerprint of the current password hash (and the email address):
  setting a password changes the hash, so the link works once, and a password changed any
  other way (or a changed address) kills it too;
- a verify token names the address it was sent to (``to``) and the account's address when it
  was sent (``from``): equal for sign-up, different when it confirms a new address, and
  useless once the account's address is no longer ``from``.
"""

import hashlib
import hmac

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

RESET_SALT = "journster-password-reset"
VERIFY_SALT = "journster-verify-email"
RESET_MAX_AGE = 3600
VERIFY_MAX_AGE = 48 * 3600
TOKEN_MAX_LENGTH = 1000


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _fingerprint(user) -> str:
    """A keyed digest of password hash and address: changes whenever either changes."""
    key = current_app.config["SECRET_KEY"].encode()
    state = f"{user.id}:{user.password_hash}:{user.email}".encode("utf-8", "surrogatepass")
    return hmac.new(key, state, hashlib.sha256).hexdigest()[:32]


def _load(token, salt: str, max_age: int) -> dict | None:
    if not isinstance(token, str) or not token or len(token) > TOKEN_MAX_LENGTH:
        return None
    try:
        data = _serializer(salt).loads(token, max_age=max_age)
    except (BadSignature, UnicodeError, ValueError):  # expired, altered, malformed
        return None
    if not isinstance(data, dict):
        return None
    user_id = data.get("u")
    if not isinstance(user_id, int) or isinstance(user_id, bool) or user_id <= 0:
        return None
    return data


def reset_token(user) -> str:
    """A password-reset token for this account in its current state."""
    return _serializer(RESET_SALT).dumps({"u": user.id, "f": _fingerprint(user)})


def read_reset_token(token) -> tuple[int, str] | None:
    """(user id, fingerprint) from a valid, unexpired reset token, else None."""
    data = _load(token, RESET_SALT, RESET_MAX_AGE)
    if data is None or not isinstance(data.get("f"), str):
        return None
    return data["u"], data["f"]


def reset_token_matches(user, fingerprint: str) -> bool:
    """Whether a reset token made for this account still fits its current state."""
    return hmac.compare_digest(_fingerprint(user), fingerprint)


def verify_token(user, address: str) -> str:
    """A token confirming ``address`` for this account (its own, or a new one)."""
    return _serializer(VERIFY_SALT).dumps({"u": user.id, "from": user.email, "to": address})


def read_verify_token(token) -> tuple[int, str, str] | None:
    """(user id, address then, address to verify) from a valid verify token, else None."""
    data = _load(token, VERIFY_SALT, VERIFY_MAX_AGE)
    if data is None:
        return None
    before, after = data.get("from"), data.get("to")
    if not isinstance(before, str) or not isinstance(after, str):
        return None
    return data["u"], before, after

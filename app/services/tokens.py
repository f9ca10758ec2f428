"""API bearer tokens: issued at sign-in with HTTP Basic, stored only as SHA-256 digests."""

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from app.core.transaction import write_transaction
from app.extensions import db
from app.models import ApiToken, User
from app.models.base import utcnow

TOKEN_PREFIX = "jst_"  # noqa: S105
# Update last_used_at at most this often, so reads do not become writes on every request.
_LAST_USED_GRANULARITY = timedelta(minutes=5)


def _digest(token: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is enough (unlike passwords).
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def issue_token(user: User) -> tuple[str, ApiToken]:
    """Create a token for the user; the plain value is returned once and never stored."""
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    ttl = timedelta(seconds=current_app.config["API_TOKEN_TTL_SECONDS"])
    record = ApiToken(user_id=user.id, token_hash=_digest(plain), expires_at=utcnow() + ttl)
    with write_transaction() as session:
        session.add(record)
    return plain, record


def user_for_token(plain: str) -> tuple[User, ApiToken] | None:
    """Resolve a presented token to its user, if it is known, unexpired and not revoked."""
    if not plain or len(plain) > 200 or not plain.startswith(TOKEN_PREFIX):
        return None
    record = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(plain)))
    now = utcnow()
    if record is None or record.revoked_at is not None or record.expires_at <= now:
        return None
    if record.last_used_at is None or now - record.last_used_at > _LAST_USED_GRANULARITY:
        with write_transaction() as session:
            session.execute(
                update(ApiToken).where(ApiToken.id == record.id).values(last_used_at=now)
            )
    return record.user, record


def revoke_token(record: ApiToken) -> None:
    """Revoke one token (idempotent)."""
    with write_transaction():
        if record.revoked_at is None:
            record.revoked_at = utcnow()


def revoke_all_tokens(user: User) -> None:
    """Revoke every live token of a user (password change, account deletion)."""
    with write_transaction() as session:
        session.execute(
            update(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )

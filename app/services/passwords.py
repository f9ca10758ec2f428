"""Password hashing with argon2id at (above) OWASP strength."""

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# argon2-cffi's default is RFC 9106's low-memory profile: argon2id, t=3, m=64 MiB, p=4,
# above OWASP's minimum (m=19 MiB, t=2, p=1). Kept explicit so a library upgrade cannot lower it.
HASHER = PasswordHasher(time_cost=3, memory_cost=65_536, parallelism=4, hash_len=32, salt_len=16)


def hash_password(password: str) -> str:
    """Return an encoded argon2id hash (salt and parameters included)."""
    return HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Check a password against a stored hash; never raises for a wrong password."""
    try:
        return HASHER.verify(password_hash, password)
    except VerificationError:
        return False
    except InvalidHashError:
        # Unusable hashes (imported accounts) must cost as much as real ones, or their
        # fast failure would tell them apart.
        burn_verification_time(password)
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the stored hash used weaker parameters than HASHER's."""
    try:
        return HASHER.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password("journster-dummy-password-for-timing")


def burn_verification_time(password: str) -> None:
    """Spend one verification's time, so unknown accounts answer as slowly as known ones."""
    verify_password(_dummy_hash(), password)

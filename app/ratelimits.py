"""Rate limits of SPEC §3.1, each applied per IP and, where there is one, per account."""

import hashlib

from flask import current_app, g, request
from flask_limiter.util import get_remote_address
from flask_login import current_user

from app.extensions import limiter


def _setting(name: str):
    return lambda: current_app.config[name]


def _submitted_account() -> str:
    """The account a sign-in attempt names (form field or HTTP Basic), lowercased."""
    name = request.form.get("login", "") if request.form else ""
    if not name and request.authorization and request.authorization.type == "basic":
        name = request.authorization.username or ""
    return "account:" + name.strip().lower()[:254] if name.strip() else get_remote_address()


signup_limit = limiter.shared_limit(_setting("RATELIMIT_SIGNUP"), scope="signup", methods=["POST"])
signin_limit_ip = limiter.shared_limit(
    _setting("RATELIMIT_SIGNIN"), scope="signin-ip", methods=["POST"]
)
signin_limit_account = limiter.shared_limit(
    _setting("RATELIMIT_SIGNIN"),
    scope="signin-account",
    key_func=_submitted_account,
    methods=["POST"],
)
token_limit_ip = limiter.shared_limit(
    _setting("RATELIMIT_TOKENS"), scope="tokens-ip", methods=["POST"]
)
token_limit_account = limiter.shared_limit(
    _setting("RATELIMIT_TOKENS"),
    scope="tokens-account",
    key_func=_submitted_account,
    methods=["POST"],
)


def _posting_account() -> str:
    """The signed-in poster (bearer token or cookie session), else the client IP."""
    user = g.get("api_user") or g.get("api_cookie_user")
    if user is None and current_user.is_authenticated:
        user = current_user
    return f"account:{user.id}" if user is not None else get_remote_address()


# The /ask form's "check for similar threads" button posts the draft but publishes nothing.
SIMILAR_CHECK = "check_similar"


def _not_posting() -> bool:
    return SIMILAR_CHECK in request.form


_posting_limit_ip = limiter.shared_limit(
    _setting("RATELIMIT_POSTING"),
    scope="posting-ip",
    methods=["POST"],
    exempt_when=_not_posting,
)
_posting_limit_account = limiter.shared_limit(
    _setting("RATELIMIT_POSTING"),
    scope="posting",
    key_func=_posting_account,
    methods=["POST"],
    exempt_when=_not_posting,
)


def posting_limit(view):
    """Posts and comments: RATELIMIT_POSTING per IP and per account (SPEC §3.1)."""
    return _posting_limit_ip(_posting_limit_account(view))


_message_limit_ip = limiter.shared_limit(
    _setting("RATELIMIT_MESSAGES"), scope="messages-ip", methods=["POST"]
)
_message_limit_account = limiter.shared_limit(
    _setting("RATELIMIT_MESSAGES"),
    scope="messages",
    key_func=_posting_account,
    methods=["POST"],
)


def message_limit(view):
    """Private messages (web form and API): RATELIMIT_MESSAGES per IP and per account."""
    return _message_limit_ip(_message_limit_account(view))


_search_limit_ip = limiter.shared_limit(_setting("RATELIMIT_SEARCH"), scope="search-ip")
_search_limit_account = limiter.shared_limit(
    _setting("RATELIMIT_SEARCH"), scope="search", key_func=_posting_account
)
# Similar threads get their own buckets: the /ask title fetch (debounced 300 ms) must not
# be starved by the same person's searches in another tab, nor starve them.
_similar_limit_ip = limiter.shared_limit(_setting("RATELIMIT_SEARCH"), scope="similar-ip")
_similar_limit_account = limiter.shared_limit(
    _setting("RATELIMIT_SEARCH"), scope="similar", key_func=_posting_account
)


def search_limit(view):
    """/search and GET /api/v1/search: RATELIMIT_SEARCH per IP and per account."""
    return _search_limit_ip(_search_limit_account(view))


def similar_limit(view):
    """GET /api/v1/similar (the /ask as-you-type list): RATELIMIT_SEARCH, separate buckets."""
    return _similar_limit_ip(_similar_limit_account(view))


def _not_checking_similar() -> bool:
    return SIMILAR_CHECK not in request.form


# The no-JS "check for similar threads" button is the same lookup: same buckets.
_similar_check_ip = limiter.shared_limit(
    _setting("RATELIMIT_SEARCH"),
    scope="similar-ip",
    methods=["POST"],
    exempt_when=_not_checking_similar,
)
_similar_check_account = limiter.shared_limit(
    _setting("RATELIMIT_SEARCH"),
    scope="similar",
    key_func=_posting_account,
    methods=["POST"],
    exempt_when=_not_checking_similar,
)


def similar_check_limit(view):
    """/ask's "check for similar threads" button: counted with GET /api/v1/similar."""
    return _similar_check_ip(_similar_check_account(view))


def _submitted_email() -> str:
    """The address a reset request names (form field or JSON body), as a storage-safe key."""
    address = request.form.get("email", "") if request.form else ""
    if not address and request.is_json:
        body = request.get_json(silent=True)
        if isinstance(body, dict) and isinstance(body.get("email"), str):
            address = body["email"]
    address = address.strip().lower()[:254]
    if not address:
        return get_remote_address()
    # Hashed: any text (lone surrogates included) becomes a key every storage accepts.
    return "email:" + hashlib.sha256(address.encode("utf-8", "surrogatepass")).hexdigest()


def _limit_pair(
    setting: str,
    scope: str,
    *,
    methods=("POST", "PUT", "PATCH", "DELETE"),
    key_func=_posting_account,
    exempt_when=None,
    doc: str,
):
    """One limit counted twice (SPEC §3.1): per IP (``<scope>-ip``) and per ``key_func``."""
    methods = list(methods)
    per_ip = limiter.shared_limit(
        _setting(setting), scope=f"{scope}-ip", methods=methods, exempt_when=exempt_when
    )
    per_key = limiter.shared_limit(
        _setting(setting), scope=scope, key_func=key_func, methods=methods, exempt_when=exempt_when
    )

    def decorate(view):
        return per_ip(per_key(view))

    decorate.__doc__ = doc
    return decorate


password_reset_limit = _limit_pair(
    "RATELIMIT_PASSWORD_RESET",
    "password-reset",
    methods=["POST"],
    key_func=_submitted_email,
    doc="Asking for a reset link (web and API): RATELIMIT_PASSWORD_RESET per IP and address.",
)
# Each verification mail costs as much as a reset mail (and lands in someone's inbox).
verification_mail_limit = _limit_pair(
    "RATELIMIT_PASSWORD_RESET",
    "verify-resend",
    methods=["POST"],
    doc="Asking for another verification link: RATELIMIT_PASSWORD_RESET per IP and account.",
)


def _no_password_sent() -> bool:
    """Only requests carrying a password count (the settings page also saves profiles)."""
    if request.form and any("password" in name for name in request.form):
        return False
    body = request.get_json(silent=True) if request.is_json else None
    return not (isinstance(body, dict) and "password" in body)


password_check_limit = _limit_pair(
    "RATELIMIT_PASSWORD_CHECK",
    "password-check",
    methods=["POST", "PATCH", "DELETE"],
    exempt_when=_no_password_sent,
    doc="Other password checks (delete account, change password/email): per IP and account.",
)


# Votes (cast, change, withdraw), flags, follows (and unfollows), blocks (and unblocks):
# each kind has its own buckets, so voting does not use up someone's flags.
_ACTION_DOC = "{} per IP and per account (SPEC §3.1), web and API alike."
vote_limit = _limit_pair("RATELIMIT_VOTES", "votes", doc=_ACTION_DOC.format("RATELIMIT_VOTES"))
flag_limit = _limit_pair("RATELIMIT_FLAGS", "flags", doc=_ACTION_DOC.format("RATELIMIT_FLAGS"))
follow_limit = _limit_pair(
    "RATELIMIT_FOLLOWS", "follows", doc=_ACTION_DOC.format("RATELIMIT_FOLLOWS")
)
block_limit = _limit_pair("RATELIMIT_BLOCKS", "blocks", doc=_ACTION_DOC.format("RATELIMIT_BLOCKS"))

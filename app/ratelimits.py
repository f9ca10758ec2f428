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
    key_scope: str | None = None,
    doc: str,
):
    """One limit counted twice (SPEC §3.1): per IP (``<scope>-ip``) and per ``key_func``.

    ``methods=None`` counts every method; ``key_scope`` names the per-key bucket when it is
    not ``scope`` itself.
    """
    methods = list(methods) if methods is not None else None
    per_ip = limiter.shared_limit(
        _setting(setting), scope=f"{scope}-ip", methods=methods, exempt_when=exempt_when
    )
    per_key = limiter.shared_limit(
        _setting(setting),
        scope=key_scope or scope,
        key_func=key_func,
        methods=methods,
        exempt_when=exempt_when,
    )

    def decorate(view):
        return per_ip(per_key(view))

    decorate.__doc__ = doc
    return decorate


signin_limit = _limit_pair(
    "RATELIMIT_SIGNIN",
    "signin",
    methods=["POST"],
    key_func=_submitted_account,
    key_scope="signin-account",
    doc="Signing in: RATELIMIT_SIGNIN per IP and per account named (SPEC §3.1).",
)
token_limit = _limit_pair(
    "RATELIMIT_TOKENS",
    "tokens",
    methods=["POST"],
    key_func=_submitted_account,
    key_scope="tokens-account",
    doc="Creating API tokens: RATELIMIT_TOKENS per IP and per account named (SPEC §3.1).",
)
posting_limit = _limit_pair(
    "RATELIMIT_POSTING",
    "posting",
    methods=["POST"],
    exempt_when=_not_posting,
    doc="Posts and comments: RATELIMIT_POSTING per IP and per account (SPEC §3.1).",
)
message_limit = _limit_pair(
    "RATELIMIT_MESSAGES",
    "messages",
    methods=["POST"],
    doc="Private messages (web form and API): RATELIMIT_MESSAGES per IP and per account.",
)
search_limit = _limit_pair(
    "RATELIMIT_SEARCH",
    "search",
    methods=None,
    doc="/search and GET /api/v1/search: RATELIMIT_SEARCH per IP and per account.",
)
# Similar threads get their own buckets: the /ask title fetch (debounced 300 ms) must not
# be starved by the same person's searches in another tab, nor starve them.
similar_limit = _limit_pair(
    "RATELIMIT_SEARCH",
    "similar",
    methods=None,
    doc="GET /api/v1/similar (the /ask as-you-type list): RATELIMIT_SEARCH, separate buckets.",
)


def _not_checking_similar() -> bool:
    return SIMILAR_CHECK not in request.form


# The no-JS "check for similar threads" button is the same lookup: same buckets.
similar_check_limit = _limit_pair(
    "RATELIMIT_SEARCH",
    "similar",
    methods=["POST"],
    exempt_when=_not_checking_similar,
    doc='/ask\'s "check for similar threads" button: counted with GET /api/v1/similar.',
)


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

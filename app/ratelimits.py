"""Rate limits of SPEC §3.1, each applied per IP and, where there is one, per account."""

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
    _setting("RATELIMIT_SIGNIN"), scope="signin-account", key_func=_submitted_account,
    methods=["POST"],
)
token_limit_ip = limiter.shared_limit(
    _setting("RATELIMIT_TOKENS"), scope="tokens-ip", methods=["POST"]
)
token_limit_account = limiter.shared_limit(
    _setting("RATELIMIT_TOKENS"), scope="tokens-account", key_func=_submitted_account,
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
    _setting("RATELIMIT_POSTING"), scope="posting-ip", methods=["POST"],
    exempt_when=_not_posting,
)
_posting_limit_account = limiter.shared_limit(
    _setting("RATELIMIT_POSTING"), scope="posting", key_func=_posting_account, methods=["POST"],
    exempt_when=_not_posting,
)


def posting_limit(view):
    """Posts and comments: RATELIMIT_POSTING per IP and per account (SPEC §3.1)."""
    return _posting_limit_ip(_posting_limit_account(view))


_message_limit_ip = limiter.shared_limit(
    _setting("RATELIMIT_MESSAGES"), scope="messages-ip", methods=["POST"]
)
_message_limit_account = limiter.shared_limit(
    _setting("RATELIMIT_MESSAGES"), scope="messages", key_func=_posting_account,
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
    _setting("RATELIMIT_SEARCH"), scope="similar-ip", methods=["POST"],
    exempt_when=_not_checking_similar,
)
_similar_check_account = limiter.shared_limit(
    _setting("RATELIMIT_SEARCH"), scope="similar", key_func=_posting_account, methods=["POST"],
    exempt_when=_not_checking_similar,
)


def similar_check_limit(view):
    """/ask's "check for similar threads" button: counted with GET /api/v1/similar."""
    return _similar_check_ip(_similar_check_account(view))


def _action_limit(setting: str, scope: str):
    """A per-IP plus per-account limit on the state-changing methods of one kind of action."""
    methods = ["POST", "PUT", "PATCH", "DELETE"]
    per_ip = limiter.shared_limit(_setting(setting), scope=f"{scope}-ip", methods=methods)
    per_account = limiter.shared_limit(_setting(setting), scope=scope,
                                       key_func=_posting_account, methods=methods)

    def decorate(view):
        return per_ip(per_account(view))

    decorate.__doc__ = f"{setting} per IP and per account (SPEC §3.1), web and API alike."
    return decorate


# Votes (cast, change, withdraw), flags, follows (and unfollows), blocks (and unblocks):
# each kind has its own buckets, so voting does not use up someone's flags.
vote_limit = _action_limit("RATELIMIT_VOTES", "votes")
flag_limit = _action_limit("RATELIMIT_FLAGS", "flags")
follow_limit = _action_limit("RATELIMIT_FOLLOWS", "follows")
block_limit = _action_limit("RATELIMIT_BLOCKS", "blocks")

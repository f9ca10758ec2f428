"""Rate limits of SPEC §3.1, each applied per IP and, where there is one, per account."""

from flask import current_app, request
from flask_limiter.util import get_remote_address

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

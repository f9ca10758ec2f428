"""What every API v1 blueprint shares: authentication, JSON body checks, the caller."""

from functools import wraps

from flask import abort, g, request
from flask_login import current_user
from flask_smorest import Blueprint
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import BadRequest, Unauthorized

from app.core.pagination import Page
from app.extensions import csrf
from app.services.accounts import account_usable
from app.services.tokens import user_for_token

API_PREFIX = "/api/v1"
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def make_blueprint(name: str, description: str) -> Blueprint:
    """A smorest blueprint under /api/v1 with bearer/cookie auth and JSON body checks."""
    blp = Blueprint(name, __name__, url_prefix=API_PREFIX, description=description)
    # CSRF applies only where a cookie session authenticates a change: see current_api_user().
    csrf.exempt(blp)
    blp.before_request(_require_json_body)
    blp.before_request(_authenticate)
    return blp


def _require_json_body() -> None:
    """A request body, when present, must be a JSON object (400 otherwise)."""
    if request.method not in _BODY_METHODS:
        return
    has_body = (
        bool(request.content_length)
        or "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    )
    if not has_body:
        return
    if not request.is_json:
        raise BadRequest("Send a JSON body with Content-Type: application/json.")
    try:
        data = request.get_json(silent=True)
    except RecursionError:
        # The stdlib decoder recurses per nesting level: [[[[...]]]] must not become a 500.
        raise BadRequest("The JSON body is nested too deeply.") from None
    if data is None:
        raise BadRequest("The request body is not valid JSON (UTF-8).")
    if not isinstance(data, dict):
        raise BadRequest("The request body must be a JSON object.")


def _authenticate() -> None:
    """Resolve the caller from a bearer token, or remember the cookie session for later."""
    g.api_user = None
    g.api_token = None
    g.api_cookie_user = None
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        resolved = user_for_token(header[7:].strip())
        if resolved is None or not account_usable(resolved[0]):
            raise _invalid_token()
        g.api_user, g.api_token = resolved
    elif current_user.is_authenticated:
        g.api_cookie_user = current_user._get_current_object()


def _invalid_token() -> Unauthorized:
    challenge = WWWAuthenticate("Bearer", {"realm": "journster", "error": "invalid_token"})
    return Unauthorized("The token is invalid, expired or revoked.", www_authenticate=challenge)


def current_api_user():
    """The caller (bearer token or cookie session), or None when anonymous."""
    if g.get("api_user") is None and g.get("api_cookie_user") is not None:
        # The cookie identity is used only now, so only now must a state change carry
        # a CSRF token (X-CSRFToken header); bearer requests cannot be forged cross-site.
        if request.method not in _SAFE_METHODS:
            csrf.protect()
        g.api_user = g.api_cookie_user
    return g.get("api_user")


def require_user():
    """The authenticated caller, or a 401 error."""
    user = current_api_user()
    if user is None:
        raise Unauthorized(
            "Authentication required: send Authorization: Bearer <token>.",
            www_authenticate=WWWAuthenticate("Bearer", {"realm": "journster"}),
        )
    return user


def authenticated(blp: Blueprint):
    """Decorator: 401 (documented) before the body is even validated for anonymous callers.

    Place it below @blp.route (and any rate limit) and above @blp.arguments.
    """

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            require_user()
            return view(*args, **kwargs)

        return blp.alt_response(401, description="Authentication required.")(wrapper)

    return decorate


def require_token():
    """The bearer token the caller used (401 for cookie sessions)."""
    require_user()
    if g.get("api_token") is None:
        abort(401, "This endpoint needs a bearer token.")
    return g.api_token


def page_of(items: list, args: dict) -> Page:
    """One page (args: page, per_page) of an already loaded list, in the SPEC list shape."""
    page, per_page = args["page"], args["per_page"]
    start = (page - 1) * per_page
    return Page(
        items=items[start : start + per_page], page=page, per_page=per_page, total=len(items)
    )


class WithVisibleChildren:
    """A model instance plus the children this viewer may see, as attributes for one response."""

    def __init__(self, target, **extra) -> None:
        self._target = target
        self.__dict__.update(extra)

    def __getattr__(self, name):
        return getattr(self._target, name)

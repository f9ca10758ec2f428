"""API v1: sign-up, tokens, profiles."""

from flask import request
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Unauthorized

from app.blueprints.api.common import authenticated, make_blueprint, require_token, require_user
from app.blueprints.api.schemas import (
    PrivateUserSchema,
    ProfilePatchSchema,
    TokenSchema,
    UserCreateSchema,
    UserSchema,
)
from app.ratelimits import block_limit, signup_limit, token_limit
from app.services.account_deletion import get_profile_user
from app.services.accounts import authenticate, register_user, update_profile
from app.services.blocks import block, unblock
from app.services.tokens import issue_token, revoke_token

blp = make_blueprint("api_users", "Accounts, API tokens and profiles.")


@blp.route("/users", methods=["POST"])
@signup_limit
@blp.arguments(UserCreateSchema)
@blp.response(201, PrivateUserSchema)
@blp.alt_response(409, description="Username or email cannot be used (one generic message).")
def create_user(data):
    """Create an account."""
    return register_user(data["username"], data["email"], data["password"])


@blp.route("/tokens", methods=["POST"])
@token_limit
@blp.response(201, TokenSchema)
@blp.alt_response(401, description="Missing or wrong HTTP Basic credentials.")
def create_token():
    """Exchange HTTP Basic credentials (username or email, password) for a bearer token."""
    auth = request.authorization
    user = None
    if auth is not None and auth.type == "basic":
        user = authenticate(auth.username or "", auth.password or "")
    if user is None:
        raise Unauthorized(
            "Send a valid username or email and password with HTTP Basic.",
            www_authenticate=WWWAuthenticate("Basic", {"realm": "journster"}),
        )
    plain, record = issue_token(user)
    return {"token": plain, "expires_at": record.expires_at}


@blp.route("/tokens/current", methods=["DELETE"])
@blp.response(204)
def delete_current_token():
    """Revoke the bearer token used for this request."""
    revoke_token(require_token())
    return ""


@blp.route("/users/me", methods=["GET"])
@blp.response(200, PrivateUserSchema)
def get_me():
    """The caller's own profile, with email."""
    return require_user()


@blp.route("/users/me", methods=["PATCH"])
@blp.arguments(ProfilePatchSchema)
@blp.response(200, PrivateUserSchema)
def patch_me(changes):
    """Edit any subset of the caller's profile fields."""
    return update_profile(require_user(), changes)


@blp.route("/users/<username>", methods=["GET"])
@blp.response(200, UserSchema)
def get_user_profile(username):
    """A public profile (404 for a deleted account)."""
    return get_profile_user(username)


@blp.route("/users/<username>/block", methods=["PUT", "POST"])
@block_limit
@authenticated(blp)
@blp.response(204)
@blp.alt_response(404, description="No such user.")
def block_user(username):
    """Block a user: no answers, comments, invites or messages from them (idempotent).

    POST is the SPEC §3 spelling; PUT (idempotent by HTTP definition) does the same.
    """
    block(require_user(), username)


@blp.route("/users/<username>/block", methods=["DELETE"])
@block_limit
@authenticated(blp)
@blp.response(204)
@blp.alt_response(404, description="No such user.")
def unblock_user(username):
    """Lift a block (idempotent)."""
    unblock(require_user(), username)

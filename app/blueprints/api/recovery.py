"""API v1: password reset links and email verification (SPEC §1, §3)."""

from marshmallow import Schema, fields, validate

from app.blueprints.api.common import authenticated, make_blueprint, require_user
from app.core import validation as v
from app.ratelimits import password_check_limit, password_reset_limit, verification_mail_limit
from app.services.recovery import request_password_reset, resend_verification, reset_password

blp = make_blueprint("api_recovery", "Password reset and email verification.")


class ResetRequestSchema(Schema):
    email = fields.String(required=True, validate=validate.Length(1, v.EMAIL_MAX))


class NewPasswordSchema(Schema):
    password = fields.String(
        required=True, load_only=True, validate=validate.Length(v.PASSWORD_MIN, v.PASSWORD_MAX)
    )


class EmptySchema(Schema):
    """An empty JSON object."""


@blp.route("/password-resets", methods=["POST"])
@password_reset_limit
@blp.arguments(ResetRequestSchema)
@blp.response(
    202,
    EmptySchema,
    description="Always the same answer, in the same time: if "
    "an account has this address, a link is mailed.",
)
@blp.alt_response(429, description="Too many reset requests (per IP and per address).")
def create_password_reset(data):
    """Mail a single-use link (1 h) to set a new password, if an account has this address."""
    request_password_reset(data["email"])
    return {}


@blp.route("/password-resets/<token>", methods=["POST"])
@password_check_limit
@blp.arguments(NewPasswordSchema)
@blp.response(
    204, description="Password set; every session and API token of the account has ended."
)
@blp.alt_response(400, description='The link is used, expired or altered: code "invalid_token".')
@blp.alt_response(429, description="Too many password checks (per IP and per account).")
def use_password_reset(data, token):
    """Set a new password with the token from the reset link (works once)."""
    reset_password(token, data["password"])
    return ""


@blp.route("/me/email-verification", methods=["POST"])
@authenticated(blp)
@verification_mail_limit
@blp.response(202, EmptySchema, description="A new verification link (48 h) is on its way.")
@blp.alt_response(409, description="The address is already verified.")
@blp.alt_response(429, description="Too many verification mails (per IP and per account).")
def resend_email_verification():
    """Mail a new link confirming the caller's email address."""
    resend_verification(require_user())
    return {}

"""API v1: the caller's own data: export it, or delete the account."""

from marshmallow import Schema, fields, validate

from app.blueprints.api.common import authenticated, make_blueprint, require_user
from app.blueprints.downloads import export_download
from app.ratelimits import password_check_limit
from app.services.account_deletion import delete_account

blp = make_blueprint("api_me", "The caller's data: export and account deletion.")


class DeleteAccountArgs(Schema):
    password = fields.String(
        required=True,
        validate=validate.Length(max=1000),
        metadata={"description": "The account's current password, to confirm."},
    )


@blp.route("/me/export", methods=["GET"])
@authenticated(blp)
@blp.response(
    200,
    description="A JSON file (attachment) with everything the caller wrote "
    "or received, private content included.",
)
@blp.alt_response(403, description="The account is suspended.")
def export_me():
    """Download all the caller's data as JSON (schema_version, generated_at, ...)."""
    return export_download(require_user())


@blp.route("/me", methods=["DELETE"])
@authenticated(blp)
@password_check_limit
@blp.arguments(DeleteAccountArgs)
@blp.response(204)
@blp.alt_response(422, description="Wrong or missing password: nothing was deleted.")
def delete_me(data):
    """Delete the caller's account: posts stay as "deleted user"; sessions and tokens end."""
    delete_account(require_user(), data["password"])
    return ""

"""API v1: following tags, goals and questions."""

from marshmallow import Schema, fields

from app.blueprints.api.common import authenticated, make_blueprint, require_user
from app.blueprints.api.qa_args import PageArgsSchema
from app.models.social import FOLLOW_TARGETS
from app.ratelimits import follow_limit
from app.services import follows

blp = make_blueprint("api_follows", "Following tags, goals and questions.")

_TARGET_DOC = {"description": "tag, goal or question."}
_KEY_DOC = {"description": "The tag's name, or the goal's or question's id."}


class FollowSchema(Schema):
    target_type = fields.String(metadata={"enum": list(FOLLOW_TARGETS)})
    target_id = fields.Integer()
    key = fields.String(metadata=_KEY_DOC)
    label = fields.String(
        allow_none=True,
        metadata={
            "description": "Tag name or title; null when the goal or question is hidden now."
        },
    )
    visible = fields.Boolean()
    created_at = fields.DateTime()


FollowPageSchema = Schema.from_dict(
    {
        "items": fields.List(fields.Nested(FollowSchema)),
        "page": fields.Integer(),
        "per_page": fields.Integer(),
        "total": fields.Integer(),
    },
    name="FollowPage",
)


@blp.route("/follows", methods=["GET"])
@authenticated(blp)
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, FollowPageSchema)
def list_follows(args):
    """What the caller follows, newest first."""
    return follows.list_follows(require_user(), page=args["page"], per_page=args["per_page"])


@blp.route("/follows/<target_type>/<key>", methods=["PUT"])
@follow_limit
@authenticated(blp)
@blp.response(204)
@blp.alt_response(404, description="Unknown target type, or no such (visible) target.")
def follow(target_type, key):
    """Follow a tag, goal or question the caller can see (idempotent)."""
    follows.follow(require_user(), target_type, key)


@blp.route("/follows/<target_type>/<key>", methods=["DELETE"])
@follow_limit
@authenticated(blp)
@blp.response(204)
@blp.alt_response(404, description="Unknown target type, or no such target.")
def unfollow(target_type, key):
    """Stop following (idempotent)."""
    follows.unfollow(require_user(), target_type, key)

"""API v1: flagging posts, and the admin moderation endpoints (hide, dismiss, suspend, log).

Admin endpoints answer 404 to everyone who is not an admin (the service decides), so they
do not announce themselves.
"""

from marshmallow import Schema, fields, validate

from app.blueprints.api.common import authenticated, make_blueprint, require_user
from app.blueprints.api.qa_args import PageArgsSchema
from app.core import validation as v
from app.core.errors import NotFound
from app.models.moderation import FLAG_REASONS, FLAG_TARGETS
from app.ratelimits import flag_limit
from app.services import moderation, moderation_queue

blp = make_blueprint("api_moderation", "Flagging posts; moderation for admins.")

_ADMIN_404 = "Not an admin, or no such (public) post, flag or user."
_PLURALS = {"goals": "goal", "questions": "question", "answers": "answer", "comments": "comment"}


class FlagCreateSchema(Schema):
    type = fields.String(required=True, metadata={"enum": list(FLAG_TARGETS)})
    id = fields.Integer(required=True, strict=True)
    reason = fields.String(required=True, metadata={"enum": list(FLAG_REASONS)})
    details = fields.String(load_default="", validate=validate.Length(max=v.FLAG_DETAILS_MAX))


class ReasonSchema(Schema):
    reason = fields.String(
        load_default="",
        validate=validate.Length(max=v.SUSPEND_REASON_MAX),
        metadata={"description": "Note for the log."},
    )


class SuspendSchema(Schema):
    reason = fields.String(
        required=True,
        validate=validate.Length(1, v.SUSPEND_REASON_MAX),
        metadata={"description": "Shown to the user."},
    )


class UsernameSchema(Schema):
    username = fields.String()


class FlagSchema(Schema):
    id = fields.Integer()
    type = fields.String(attribute="target_type")
    target_id = fields.Integer()
    reason = fields.String()
    details = fields.String()
    status = fields.String()
    reporter = fields.Nested(UsernameSchema, allow_none=True)
    created_at = fields.DateTime()


class FlaggedPostSchema(Schema):
    type = fields.String(attribute="target_type")
    id = fields.Integer(attribute="target_id")
    count = fields.Integer()
    reasons = fields.Dict(keys=fields.String(), values=fields.Integer())
    flags = fields.List(fields.Nested(FlagSchema))
    excerpt = fields.String(
        allow_none=True, metadata={"description": "null when the post is gone or no longer public."}
    )
    url = fields.String(allow_none=True)
    author = fields.Nested(UsernameSchema, allow_none=True)
    hidden = fields.Boolean()


class HiddenStateSchema(Schema):
    type = fields.String()
    id = fields.Integer()
    hidden = fields.Boolean()
    hidden_at = fields.DateTime(allow_none=True)


class DismissedSchema(Schema):
    dismissed = fields.Integer(metadata={"description": "How many open flags were dismissed."})


class SuspensionSchema(Schema):
    username = fields.String()
    suspended = fields.Boolean(attribute="is_suspended")
    suspended_at = fields.DateTime(allow_none=True)
    suspended_reason = fields.String()


class ActionSchema(Schema):
    id = fields.Integer()
    moderator = fields.Nested(UsernameSchema, allow_none=True)
    action = fields.String()
    target_type = fields.String()
    target_id = fields.Integer()
    reason = fields.String()
    created_at = fields.DateTime()


def _page_schema(item_schema, name: str):
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item_schema)),
            "page": fields.Integer(),
            "per_page": fields.Integer(),
            "total": fields.Integer(),
        },
        name=name,
    )


def _as_item(post: moderation_queue.FlaggedPost) -> dict:
    return {
        "target_type": post.target_type,
        "target_id": post.target_id,
        "count": post.count,
        "reasons": post.reasons,
        "flags": post.flags,
        "excerpt": post.excerpt if post.target else None,
        "url": post.url or None,
        "author": post.author,
        "hidden": post.hidden,
    }


def _hidden_state(target_type: str, target) -> dict:
    return {
        "type": target_type,
        "id": target.id,
        "hidden": target.hidden_at is not None,
        "hidden_at": target.hidden_at,
    }


@blp.route("/flags", methods=["POST"])
@flag_limit
@authenticated(blp)
@blp.arguments(FlagCreateSchema)
@blp.response(201, FlagSchema)
@blp.alt_response(403, description="Your own post, or private mentorship content.")
@blp.alt_response(404, description="No such post visible to you.")
@blp.alt_response(409, description="You already flagged it, or moderators hid it already.")
def create_flag(data):
    """Flag a public post for the moderators (once per post)."""
    return moderation.flag(
        require_user(), data["type"], data["id"], data["reason"], data["details"]
    )


@blp.route("/admin/flags", methods=["GET"])
@authenticated(blp)
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, _page_schema(FlaggedPostSchema, "FlaggedPostPage"))
@blp.alt_response(404, description=_ADMIN_404)
def list_flags(args):
    """Open flags grouped by post, most-flagged first (admins)."""
    page = moderation_queue.open_flags(require_user(), args["page"], args["per_page"])
    page.items = [_as_item(item) for item in page.items]
    return page


@blp.route("/admin/hidden", methods=["GET"])
@authenticated(blp)
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, _page_schema(FlaggedPostSchema, "HiddenPostPage"))
@blp.alt_response(404, description=_ADMIN_404)
def list_hidden(args):
    """Posts hidden by moderators, most recently hidden first (admins)."""
    page = moderation_queue.hidden_posts(require_user(), args["page"], args["per_page"])
    page.items = [_as_item(item) for item in page.items]
    return page


def _post_action(action: str, target_type: str, target_id: int, data: dict) -> dict:
    if target_type not in FLAG_TARGETS:
        raise NotFound("No such post type.")
    target = getattr(moderation, action)(require_user(), target_type, target_id, data["reason"])
    return _hidden_state(target_type, target)


_BY_TYPE = "/admin/posts/<target_type>/<int:target_id>"
_BY_KIND = "/admin/<kind>/<int:target_id>"


@blp.route(f"{_BY_TYPE}/hide", methods=["POST"])
@authenticated(blp)
@blp.arguments(ReasonSchema)
@blp.response(200, HiddenStateSchema)
@blp.alt_response(404, description=_ADMIN_404)
@blp.alt_response(409, description="Already hidden.")
def hide_post(data, target_type, target_id):
    """Hide a public post and everything under it (admins); its open flags are actioned."""
    return _post_action("hide", target_type, target_id, data)


@blp.route(f"{_BY_TYPE}/unhide", methods=["POST"])
@authenticated(blp)
@blp.arguments(ReasonSchema)
@blp.response(200, HiddenStateSchema)
@blp.alt_response(404, description=_ADMIN_404)
@blp.alt_response(409, description="Not hidden.")
def unhide_post(data, target_type, target_id):
    """Show a hidden post again (admins)."""
    return _post_action("unhide", target_type, target_id, data)


@blp.route(f"{_BY_KIND}/hide", methods=["POST"])
@authenticated(blp)
@blp.arguments(ReasonSchema)
@blp.response(200, HiddenStateSchema)
@blp.alt_response(404, description=_ADMIN_404)
@blp.alt_response(409, description="Already hidden.")
def hide_by_kind(data, kind, target_id):
    """Hide a goal, question, answer or comment (same as /admin/posts/<type>/<id>/hide)."""
    return _post_action("hide", _PLURALS.get(kind, ""), target_id, data)


@blp.route(f"{_BY_KIND}/unhide", methods=["POST"])
@authenticated(blp)
@blp.arguments(ReasonSchema)
@blp.response(200, HiddenStateSchema)
@blp.alt_response(404, description=_ADMIN_404)
@blp.alt_response(409, description="Not hidden.")
def unhide_by_kind(data, kind, target_id):
    """Show a goal, question, answer or comment again (as /admin/posts/.../unhide)."""
    return _post_action("unhide", _PLURALS.get(kind, ""), target_id, data)


@blp.route("/admin/flags/<int:flag_id>/dismiss", methods=["POST"])
@authenticated(blp)
@blp.arguments(ReasonSchema)
@blp.response(200, DismissedSchema)
@blp.alt_response(404, description=_ADMIN_404)
@blp.alt_response(409, description="The flag is no longer open.")
def dismiss_flag(data, flag_id):
    """Dismiss a flag, with the other open flags on the same post (admins)."""
    return {"dismissed": moderation.dismiss_flag(require_user(), flag_id, data["reason"])}


@blp.route("/admin/users/<username>/suspend", methods=["POST"])
@authenticated(blp)
@blp.arguments(SuspendSchema)
@blp.response(200, SuspensionSchema)
@blp.alt_response(403, description="Yourself, or another admin.")
@blp.alt_response(404, description=_ADMIN_404)
@blp.alt_response(409, description="Already suspended, or a deleted account.")
def suspend(data, username):
    """Suspend an account: every session and token ends at once (admins)."""
    return moderation.suspend(require_user(), username, data["reason"])


@blp.route("/admin/users/<username>/unsuspend", methods=["POST"])
@authenticated(blp)
@blp.arguments(ReasonSchema)
@blp.response(200, SuspensionSchema)
@blp.alt_response(404, description=_ADMIN_404)
@blp.alt_response(409, description="Not suspended.")
def unsuspend(data, username):
    """Lift a suspension (admins)."""
    return moderation.unsuspend(require_user(), username, data["reason"])


@blp.route("/admin/log", methods=["GET"])
@authenticated(blp)
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, _page_schema(ActionSchema, "ModerationLogPage"))
@blp.alt_response(404, description=_ADMIN_404)
def moderation_log(args):
    """The audit log of moderator actions, newest first (admins)."""
    return moderation_queue.audit_log(require_user(), args["page"], args["per_page"])

"""API v1: the caller's notifications (re-checked through the gate) and marking them read."""

from marshmallow import Schema, fields, validate

from app.blueprints.api.common import authenticated, make_blueprint, require_user
from app.blueprints.api.qa_args import PageArgsSchema
from app.services import notification_feed
from app.services.account_deletion import public_username

blp = make_blueprint("api_notifications", "The caller's notifications.")


class _UnreadFlag(fields.Boolean):
    """?unread=1|true|0|false (anything else is a 422)."""

    truthy = {"1", "true"}
    falsy = {"0", "false", ""}


class NotificationArgsSchema(PageArgsSchema):
    unread = _UnreadFlag(
        load_default=False, metadata={"description": "1: only unread notifications."}
    )


class ActorSchema(Schema):
    username = fields.Function(public_username, metadata={"type": "string"})


class NotificationSchema(Schema):
    id = fields.Integer()
    kind = fields.String(
        metadata={
            "description": "answer, comment, helpful, invite, "
            "invite_accepted, invite_declined, invite_withdrawn, "
            "message, followed_answer, and the like."
        }
    )
    actor = fields.Nested(
        ActorSchema,
        allow_none=True,
        metadata={"description": "Who did it; null when unknown, anonymous, or no longer visible."},
    )
    subject_type = fields.String()
    subject_id = fields.Integer(
        allow_none=True,
        metadata={"description": "null when the subject is no longer visible to the caller."},
    )
    text = fields.String(
        metadata={
            "description": "One line; no title or text of a subject the caller can no longer see."
        }
    )
    url = fields.String(allow_none=True)
    read = fields.Boolean()
    created_at = fields.DateTime(format="iso")


class NotificationPageSchema(Schema):
    items = fields.List(fields.Nested(NotificationSchema))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
    unread = fields.Integer(metadata={"description": "Unread notifications in all."})


class MarkReadArgs(Schema):
    ids = fields.List(
        fields.Integer(strict=True, validate=validate.Range(1, 2**31 - 1)),
        validate=validate.Length(max=notification_feed.MAX_IDS),
        metadata={"description": "The caller's own notification ids; omit to mark all read."},
    )


class UnreadSchema(Schema):
    unread = fields.Integer()


@blp.route("/notifications", methods=["GET"])
@authenticated(blp)
@blp.arguments(NotificationArgsSchema, location="query")
@blp.response(200, NotificationPageSchema)
def list_notifications(args):
    """The caller's notifications, newest first, with the unread count."""
    user = require_user()
    page = notification_feed.list_notifications(
        user, unread_only=args["unread"], page=args["page"], per_page=args["per_page"]
    )
    return {
        "items": page.items,
        "page": page.page,
        "per_page": page.per_page,
        "total": page.total,
        "unread": notification_feed.unread_count(user),
    }


@blp.route("/notifications/read", methods=["POST"])
@authenticated(blp)
@blp.arguments(MarkReadArgs)
@blp.response(200, UnreadSchema)
def mark_read(data):
    """Mark the given notifications (all when ids is omitted) read; returns the unread count.

    An id that is not one of the caller's notifications refuses the whole request (422).
    """
    user = require_user()
    return {"unread": notification_feed.mark_read(user, data.get("ids"))}

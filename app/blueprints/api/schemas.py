"""Marshmallow schemas: they validate API input and generate the OpenAPI document."""

from marshmallow import Schema, fields, validate

from app.core import validation as v
from app.services.accounts import EMAIL_MODES


class StrictBoolean(fields.Boolean):
    """Only JSON true/false (marshmallow's Boolean also takes "yes", 1, ...)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class ErrorBodySchema(Schema):
    code = fields.String(required=True, metadata={"example": "validation_failed"})
    message = fields.String(required=True)
    field_errors = fields.Dict(
        data_key="fields",
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "Messages per input field name (422 only)."},
    )


class ErrorSchema(Schema):
    """Every error answer: {"error": {"code", "message", "fields"?}}."""

    error = fields.Nested(ErrorBodySchema, required=True)


class UserCreateSchema(Schema):
    username = fields.String(
        required=True,
        validate=validate.Length(v.USERNAME_MIN, v.USERNAME_MAX),
        metadata={"description": "3–30 characters of a-z 0-9 _ - (stored lowercase)."},
    )
    email = fields.String(required=True, validate=validate.Length(1, v.EMAIL_MAX))
    password = fields.String(
        required=True, load_only=True, validate=validate.Length(v.PASSWORD_MIN, v.PASSWORD_MAX)
    )


class CommunicationSchema(Schema):
    preferred_modes = fields.List(fields.String(validate=validate.OneOf(v.CONTACT_MODES)))
    availability = fields.String()
    response_time_hours = fields.Integer(allow_none=True)


class UserSchema(Schema):
    """A public profile."""

    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    bio = fields.String()
    bio_html = fields.String()
    skills = fields.Method("_skills", metadata={"type": "array", "items": {"type": "string"}})
    location = fields.String()
    timezone = fields.String()
    mentor_available = fields.Boolean()
    mentor_topics = fields.Method(
        "_topics", metadata={"type": "array", "items": {"type": "string"}}
    )
    communication = fields.Method("_communication", metadata={"type": "object"})
    reputation = fields.Integer()
    created_at = fields.DateTime(format="iso")
    url = fields.Method("_url", metadata={"type": "string"})

    def _skills(self, user) -> list[str]:
        return [t.name for t in user.skills]

    def _topics(self, user) -> list[str]:
        return [t.name for t in user.mentor_topics]

    def _communication(self, user) -> dict:
        return {
            "preferred_modes": list(user.preferred_modes or []),
            "availability": user.availability,
            "response_time_hours": user.response_time_hours,
        }

    def _url(self, user) -> str:
        return f"/users/{user.username}"


class PrivateUserSchema(UserSchema):
    """The caller's own profile: adds the email address and role."""

    email = fields.String()
    email_verified = fields.Boolean(
        metadata={
            "description": "Whether the address is confirmed; until then no notification mail."
        }
    )
    role = fields.String()
    reputation = fields.Integer(
        attribute="total_reputation",
        metadata={
            "description": "Public plus private reputation (earned on anonymous questions and "
            "inside closed goals); others see only the public part."
        },
    )
    public_reputation = fields.Integer(
        attribute="reputation", metadata={"description": "The reputation everyone else sees."}
    )
    email_mode = fields.String(metadata={"enum": list(EMAIL_MODES)})


class ProfilePatchSchema(Schema):
    """Any subset of the editable profile fields."""

    display_name = fields.String(validate=validate.Length(max=v.DISPLAY_NAME_MAX))
    bio = fields.String(validate=validate.Length(max=v.BIO_MAX))
    skills = fields.List(
        fields.String(validate=validate.Length(1, v.TAG_MAX)),
        validate=validate.Length(max=v.SKILLS_MAX),
    )
    location = fields.String(validate=validate.Length(max=v.LOCATION_MAX))
    timezone = fields.String(
        validate=validate.Length(max=64), metadata={"description": "IANA name, e.g. Europe/Berlin."}
    )
    mentor_available = StrictBoolean()
    mentor_topics = fields.List(
        fields.String(validate=validate.Length(1, v.TAG_MAX)),
        validate=validate.Length(max=v.SKILLS_MAX),
    )
    preferred_modes = fields.List(fields.String(validate=validate.OneOf(v.CONTACT_MODES)))
    availability = fields.String(validate=validate.Length(max=v.AVAILABILITY_MAX))
    response_time_hours = fields.Integer(
        strict=True, allow_none=True, validate=validate.Range(1, v.RESPONSE_TIME_MAX_HOURS)
    )
    email_mode = fields.String(
        validate=validate.OneOf(EMAIL_MODES),
        metadata={
            "description": "Email copies of notifications: off, immediate, or a daily "
            "or weekly digest."
        },
    )


class TokenSchema(Schema):
    token = fields.String(metadata={"description": "Send as Authorization: Bearer <token>."})
    expires_at = fields.DateTime(format="iso")

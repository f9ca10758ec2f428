"""Request and response schemas of the mentorship API (app/blueprints/api/mentorship.py)."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.blueprints.api.qa_schemas import UserRefSchema
from app.core.pagination import MAX_PER_PAGE
from app.core.posts import ANSWER, POST_TYPES
from app.models.mentorship import REQUEST_STATUSES


class RequestSchema(Schema):
    id = fields.Integer()
    goal_id = fields.Integer()
    protege = fields.Nested(UserRefSchema)
    mentor = fields.Nested(UserRefSchema)
    message = fields.String()
    status = fields.String(metadata={"enum": list(REQUEST_STATUSES)})
    created_at = fields.DateTime(format="iso")
    expires_at = fields.DateTime(format="iso")


class InviteArgs(Schema):
    mentor = fields.String(required=True, validate=validate.Length(max=254))
    message = fields.String(required=True, validate=validate.Length(max=20_000))


class CandidateAnswerSchema(Schema):
    id = fields.Integer()
    question_id = fields.Integer()
    score = fields.Integer()
    helpful = fields.Boolean()
    url = fields.Function(POST_TYPES[ANSWER].url)


class CandidateSchema(Schema):
    username = fields.String()
    user = fields.Nested(UserRefSchema)
    reason = fields.String()
    score = fields.Integer(
        metadata={"description": "Rank score, higher first (the items come in this order)."}
    )
    helpful_on_goal = fields.Integer(
        metadata={"description": '"Helped me" marks on this goal\'s answers.'}
    )
    votes_on_goal = fields.Integer(metadata={"description": "Net votes on this goal's answers."})
    helpful = fields.Integer()
    votes = fields.Integer()
    answers = fields.List(fields.Nested(CandidateAnswerSchema))


class CandidateListSchema(Schema):
    items = fields.List(fields.Nested(CandidateSchema))


class CompleteArgs(Schema):
    summary = fields.String(
        validate=validate.Length(max=40_000),
        metadata={
            "description": 'Optional "what I learned": publishing it makes the goal\'s public '
            "history public again (private-phase content stays private)."
        },
    )


class SummaryArgs(Schema):
    summary = fields.String(required=True, validate=validate.Length(max=40_000))


class MessageSchema(Schema):
    id = fields.Integer()
    goal_id = fields.Integer()
    sender = fields.Nested(UserRefSchema)
    body = fields.String()
    body_html = fields.String()
    created_at = fields.DateTime(format="iso")


class MessageArgs(Schema):
    body = fields.String(required=True, validate=validate.Length(max=20_000))


class PageArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(1, 100_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(1, MAX_PER_PAGE))


class MessagePageSchema(Schema):
    items = fields.List(fields.Nested(MessageSchema))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()


class AgreementSchema(Schema):
    version = fields.Integer()
    modes = fields.Function(lambda a: a.mode_list, metadata={"type": "array"})
    cadence = fields.String()
    response_time_hours = fields.Function(lambda a: a.response_hours, metadata={"type": "integer"})
    response_hours = fields.Integer(
        metadata={"description": "Same as response_time_hours (earlier name)."}
    )
    success_criteria = fields.String()
    success_html = fields.String()
    author = fields.Nested(UserRefSchema)
    created_at = fields.DateTime(format="iso")


class AgreementArgs(Schema):
    modes = fields.List(
        fields.String(validate=validate.Length(max=20)),
        required=True,
        validate=validate.Length(max=10),
    )
    cadence = fields.String(required=True, validate=validate.Length(max=1000))
    response_time_hours = fields.Integer(
        strict=True, metadata={"description": "Expected response time in hours (1–720); required."}
    )
    response_hours = fields.Integer(
        strict=True,
        metadata={"description": "Earlier name of response_time_hours: send one of the two."},
    )
    success_criteria = fields.String(required=True, validate=validate.Length(max=20_000))

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _one_response_time(self, data, original, **kwargs):
        sent = original if isinstance(original, dict) else {}
        given = [name for name in ("response_time_hours", "response_hours") if name in sent]
        if not given:
            raise ValidationError("Missing data for required field.", "response_time_hours")
        if len(given) == 2:
            raise ValidationError("Send response_time_hours only.", "response_hours")


class CheckInSchema(Schema):
    id = fields.Integer()
    scheduled_at = fields.DateTime(format="iso")
    agenda = fields.String()
    agenda_html = fields.String()
    notes = fields.String()
    notes_html = fields.String()
    author = fields.Nested(UserRefSchema)
    created_at = fields.DateTime(format="iso")
    updated_at = fields.DateTime(format="iso")


class CheckInListSchema(Schema):
    items = fields.List(fields.Nested(CheckInSchema))


class CheckInArgs(Schema):
    scheduled_at = fields.String(required=True, validate=validate.Length(max=64))
    agenda = fields.String(required=True, validate=validate.Length(max=20_000))
    notes = fields.String(validate=validate.Length(max=40_000))


class CheckInPatchArgs(Schema):
    scheduled_at = fields.String(validate=validate.Length(max=64))
    agenda = fields.String(validate=validate.Length(max=20_000))
    notes = fields.String(validate=validate.Length(max=40_000))

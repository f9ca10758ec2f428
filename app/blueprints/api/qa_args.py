"""Input schemas of the Q&A core (JSON bodies and query strings).

They check JSON types strictly and document the limits; the services apply every rule again
(after stripping whitespace), so the two can never disagree in the caller's favour.
Unknown JSON fields are refused (422); unknown query parameters are ignored.
"""

from marshmallow import Schema, fields, pre_load, validate

from app.blueprints.api.schemas import StrictBoolean
from app.core import validation as v
from app.core.pagination import MAX_PAGE, MAX_PER_PAGE
from app.models.goals import STATUSES
from app.services.questions import SORTS

# "*", not "+": an empty filter (?tag=) means no filter (PageArgsSchema drops it), and the
# OpenAPI document says so.
_TAG_FILTER_RE = r"^[A-Za-z0-9+#.-]*$"
_USERNAME_FILTER_RE = r"^[A-Za-z0-9_-]*$"


def _title(required: bool) -> fields.String:
    return fields.String(
        required=required,
        validate=validate.Length(v.TITLE_MIN, v.TITLE_MAX),
        metadata={"description": f"{v.TITLE_MIN}–{v.TITLE_MAX} characters on one line."},
    )


def _tags(required: bool) -> fields.List:
    return fields.List(
        fields.String(validate=validate.Length(1, v.TAG_MAX)),
        required=required,
        validate=validate.Length(v.POST_TAGS_MIN, v.POST_TAGS_MAX),
        metadata={"description": "1–5 tags of a-z 0-9 + # . - (stored lowercase)."},
    )


def _markdown(
    required: bool,
    *,
    min_length: int = 0,
    max_length: int = v.BODY_MAX,
    description: str = "Markdown.",
) -> fields.String:
    return fields.String(
        required=required,
        validate=validate.Length(min_length, max_length),
        metadata={"description": description},
    )


def _date() -> fields.Date:
    return fields.Date(allow_none=True, metadata={"description": "YYYY-MM-DD, or null."})


class GoalCreateSchema(Schema):
    title = _title(True)
    description = _markdown(False, description="Markdown, at most 20,000 characters.")
    tags = _tags(True)
    target_date = _date()


class GoalPatchSchema(Schema):
    """Any subset of the editable fields; text changes keep the previous version."""

    title = _title(False)
    description = _markdown(False, description="Markdown, at most 20,000 characters.")
    tags = _tags(False)
    target_date = _date()
    status = fields.String(validate=validate.OneOf(STATUSES))


class MilestoneCreateSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(1, v.MILESTONE_TITLE_MAX))
    due_date = _date()
    done = StrictBoolean()


class MilestonePatchSchema(Schema):
    title = fields.String(validate=validate.Length(1, v.MILESTONE_TITLE_MAX))
    due_date = _date()
    done = StrictBoolean()


class BodySchema(Schema):
    """A journal entry or an outcome: Markdown, 1–20,000 characters."""

    body = _markdown(True, min_length=1, description="Markdown, 1–20,000 characters.")


class AnswerBodySchema(Schema):
    body = _markdown(
        True,
        min_length=v.ANSWER_MIN,
        description=f"Markdown, {v.ANSWER_MIN}–{v.BODY_MAX} characters.",
    )


class CommentBodySchema(Schema):
    body = _markdown(
        True,
        min_length=1,
        max_length=v.COMMENT_MAX,
        description=f"Markdown, 1–{v.COMMENT_MAX} characters.",
    )


class QuestionCreateSchema(Schema):
    title = _title(True)
    body = _markdown(True, min_length=1, description="Markdown, 1–20,000 characters.")
    tags = _tags(True)
    goal_id = fields.Integer(
        strict=True, allow_none=True, metadata={"description": "One of the caller's own goals."}
    )
    anonymous = StrictBoolean(
        metadata={
            "description": 'Ask anonymously: others see "anonymous protégé", never the asker. '
            "Not allowed together with goal_id (422)."
        }
    )


class InvitationCreateSchema(Schema):
    usernames = fields.List(
        fields.String(validate=validate.Length(1, 100)),
        required=True,
        validate=validate.Length(1, 5),
        metadata={"description": "1–5 usernames to invite (at most 5 per question in all)."},
    )


class QuestionPatchSchema(Schema):
    """Any subset of title, body and tags; the previous version is kept as a revision."""

    title = _title(False)
    body = _markdown(False, min_length=1, description="Markdown, 1–20,000 characters.")
    tags = _tags(False)


class AnsweredInSchema(Schema):
    question_id = fields.Integer(
        strict=True, required=True, metadata={"description": "The earlier question's id."}
    )


class VoteSchema(Schema):
    value = fields.Integer(strict=True, required=True, validate=validate.OneOf([1, -1]))


class PageArgsSchema(Schema):
    """?page=&per_page= (1-based; per_page at most 100). Empty parameters count as absent."""

    page = fields.Integer(load_default=1, validate=validate.Range(1, MAX_PAGE))
    per_page = fields.Integer(load_default=20, validate=validate.Range(1, MAX_PER_PAGE))

    @pre_load
    def _drop_empty(self, data, **kwargs):
        return {key: data[key] for key in data if data[key] != ""}


class GoalListArgsSchema(PageArgsSchema):
    tag = fields.String(validate=[validate.Length(max=v.TAG_MAX), validate.Regexp(_TAG_FILTER_RE)])
    status = fields.String(validate=validate.OneOf(STATUSES))
    owner = fields.String(
        validate=[validate.Length(max=v.USERNAME_MAX), validate.Regexp(_USERNAME_FILTER_RE)],
        metadata={"description": "Username."},
    )


class QuestionListArgsSchema(PageArgsSchema):
    tag = fields.String(validate=[validate.Length(max=v.TAG_MAX), validate.Regexp(_TAG_FILTER_RE)])
    sort = fields.String(
        load_default="newest",
        validate=validate.OneOf(SORTS),
        metadata={"description": "unanswered: only questions without answers, newest first."},
    )

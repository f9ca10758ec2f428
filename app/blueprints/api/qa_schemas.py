"""Output schemas of the Q&A core: goals, milestones, journal, questions, answers, comments.

Input schemas live in qa_args.py. Times are ISO 8601 UTC; ``url`` is the HTML page path
(from the post registry, by the schema's type: objects may arrive wrapped, for one response).
They only format: who may be named and which linked thread may be shown was decided before
(each question, answer, comment and revision arrives with ``shown``: qa_shown.py).
"""

from marshmallow import Schema, fields

from app.core.posts import ANSWER, GOAL, POST_TYPES, QUESTION
from app.services.account_deletion import public_username

_STRINGS = {"type": "array", "items": {"type": "string"}}


class UserRefSchema(Schema):
    """A post's author, as shown next to names ("deleted user" once the account is deleted)."""

    username = fields.Function(public_username, metadata={"type": "string"})
    display_name = fields.Function(
        lambda user: user.name if user.is_deleted else user.display_name,
        metadata={"type": "string"},
    )
    reputation = fields.Integer()


_USER_REF_OR_NULL = {
    "type": "object",
    "nullable": True,
    "properties": {
        "username": {"type": "string"},
        "display_name": {"type": "string"},
        "reputation": {"type": "integer"},
    },
}


def _author_ref(post, author):
    """The author as this caller may see them: null when it is a hidden anonymous asker."""
    return UserRefSchema().dump(author) if post.shown.author else None


class GoalSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    description = fields.String()
    description_html = fields.String()
    tags = fields.Method("_tags", metadata=_STRINGS)
    owner = fields.Nested(UserRefSchema)
    visibility = fields.String(metadata={"enum": ["open", "closed"]})
    status = fields.String(metadata={"enum": ["active", "achieved", "abandoned"]})
    mentor = fields.Nested(UserRefSchema, allow_none=True)
    target_date = fields.Date(allow_none=True)
    created_at = fields.DateTime(format="iso")
    updated_at = fields.DateTime(format="iso")
    url = fields.Method("_url", metadata={"type": "string"})
    summary = fields.String(
        allow_none=True, metadata={"description": '"What I learned", once published on completion.'}
    )
    summary_html = fields.String(allow_none=True)

    def _tags(self, goal) -> list[str]:
        return [t.name for t in goal.tags]

    def _url(self, goal) -> str:
        return POST_TYPES[GOAL].url(goal)


class MilestoneSchema(Schema):
    id = fields.Integer()
    goal_id = fields.Integer()
    title = fields.String()
    position = fields.Integer()
    due_date = fields.Date(allow_none=True)
    done = fields.Boolean()
    done_at = fields.DateTime(format="iso", allow_none=True)


class JournalEntrySchema(Schema):
    id = fields.Integer()
    goal_id = fields.Integer()
    author = fields.Nested(UserRefSchema)
    body = fields.String()
    body_html = fields.String()
    created_at = fields.DateTime(format="iso")


class GoalDetailSchema(GoalSchema):
    """A single goal: adds its milestones (in order), journal (oldest first) and progress."""

    milestones = fields.List(fields.Nested(MilestoneSchema))
    journal = fields.List(fields.Nested(JournalEntrySchema))
    progress = fields.Integer(metadata={"description": "Percentage of milestones done."})


class OutcomeSchema(Schema):
    body = fields.String()
    body_html = fields.String()
    updated_at = fields.DateTime(format="iso")


class QuestionLinkSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    url = fields.Method("_url", metadata={"type": "string"})

    def _url(self, question) -> str:
        return POST_TYPES[QUESTION].url(question)


class QuestionSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    body = fields.String()
    body_html = fields.String()
    tags = fields.Method("_tags", metadata=_STRINGS)
    owner = fields.Method(
        "_owner",
        metadata={
            **_USER_REF_OR_NULL,
            "description": "The asker; null on an anonymous question unless you asked it "
            "(or are an admin).",
        },
    )
    anonymous = fields.Boolean(
        metadata={"description": 'Asked anonymously: the public sees "anonymous protégé".'}
    )
    goal_id = fields.Integer(allow_none=True)
    score = fields.Integer()
    answer_count = fields.Integer()
    outcome = fields.Nested(OutcomeSchema, allow_none=True)
    answered_in = fields.Method(
        "_answered_in",
        metadata={
            "description": "The earlier thread that answers this one, or null.",
            "type": "object",
            "nullable": True,
            "properties": {
                "id": {"type": "integer"},
                "title": {"type": "string"},
                "url": {"type": "string"},
            },
        },
    )
    created_at = fields.DateTime(format="iso")
    updated_at = fields.DateTime(format="iso")
    url = fields.Method("_url", metadata={"type": "string"})

    def _tags(self, question) -> list[str]:
        return [t.name for t in question.tags]

    def _owner(self, question):
        return _author_ref(question, question.owner)

    def _answered_in(self, question):
        target = question.shown.answered_in  # None when absent or hidden from the caller
        return QuestionLinkSchema().dump(target) if target is not None else None

    def _url(self, question) -> str:
        return POST_TYPES[QUESTION].url(question)


class CommentSchema(Schema):
    id = fields.Integer()
    question_id = fields.Integer(allow_none=True)
    answer_id = fields.Integer(allow_none=True)
    author = fields.Method(
        "_author",
        metadata={**_USER_REF_OR_NULL, "description": "null when it is the anonymous asker."},
    )
    body = fields.String()
    body_html = fields.String()
    created_at = fields.DateTime(format="iso")

    def _author(self, comment):
        return _author_ref(comment, comment.author)


class AnswerSchema(Schema):
    id = fields.Integer()
    question_id = fields.Integer()
    body = fields.String()
    body_html = fields.String()
    owner = fields.Method(
        "_owner",
        metadata={**_USER_REF_OR_NULL, "description": "null when it is the anonymous asker."},
    )
    score = fields.Integer()
    helpful = fields.Boolean(metadata={"description": 'Marked "helped me" by the asker.'})
    created_at = fields.DateTime(format="iso")
    updated_at = fields.DateTime(format="iso")
    url = fields.Method("_url", metadata={"type": "string"})

    def _url(self, answer) -> str:
        return POST_TYPES[ANSWER].url(answer)

    def _owner(self, answer):
        return _author_ref(answer, answer.owner)


class ThreadAnswerSchema(AnswerSchema):
    comments = fields.List(fields.Nested(CommentSchema))


class QuestionDetailSchema(QuestionSchema):
    """A single question: adds its answers (helped-me first, then score) and comments."""

    answers = fields.List(fields.Nested(ThreadAnswerSchema))
    comments = fields.List(fields.Nested(CommentSchema))


class VoteResultSchema(Schema):
    value = fields.Integer(metadata={"description": "The caller's vote now: 1, -1 or 0."})
    score = fields.Integer(metadata={"description": "The post's score now."})


class RevisionEditorSchema(Schema):
    username = fields.Function(public_username, metadata={"type": "string"})


class RevisionSchema(Schema):
    """The text of a post as it was before one edit."""

    id = fields.Integer()
    editor = fields.Method(
        "_editor",
        metadata={
            "type": "object",
            "nullable": True,
            "properties": {"username": {"type": "string"}},
            "description": "null when it is the anonymous asker.",
        },
    )
    created_at = fields.DateTime(format="iso")
    title = fields.String(allow_none=True)
    body = fields.String()
    tags = fields.List(fields.String())

    def _editor(self, revision):
        return RevisionEditorSchema().dump(revision.editor) if revision.shown.author else None


class InvitationSchema(Schema):
    """Someone the asker invited to answer a question."""

    question_id = fields.Integer()
    user = fields.Nested(UserRefSchema)
    created_at = fields.DateTime(format="iso")


class InvitationListSchema(Schema):
    items = fields.List(
        fields.Nested(InvitationSchema),
        metadata={"description": "Every invitation of the question, oldest first."},
    )
    invited = fields.List(
        fields.String(),
        metadata={
            "description": "Usernames this request invited (already invited ones are skipped)."
        },
    )


def _page_schema(name: str, item_schema: type[Schema]) -> type[Schema]:
    """The SPEC §3 list shape {"items", "page", "per_page", "total"} of one item schema."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item_schema)),
            "page": fields.Integer(),
            "per_page": fields.Integer(),
            "total": fields.Integer(),
        },
        name=name,
    )


GoalPageSchema = _page_schema("GoalPage", GoalSchema)
QuestionPageSchema = _page_schema("QuestionPage", QuestionSchema)
RevisionPageSchema = _page_schema("RevisionPage", RevisionSchema)

"""API v1: answers, "helped me" marks, and comments, votes and revisions on answers."""

from app.blueprints.api.common import (
    authenticated,
    current_api_user,
    make_blueprint,
    page_of,
    require_user,
)
from app.blueprints.api.qa_args import (
    AnswerBodySchema,
    CommentBodySchema,
    PageArgsSchema,
    VoteSchema,
)
from app.blueprints.api.qa_schemas import (
    AnswerSchema,
    CommentSchema,
    RevisionPageSchema,
    VoteResultSchema,
)
from app.blueprints.api.qa_shown import with_shown
from app.core.visibility import get_answer, get_question
from app.ratelimits import posting_limit, vote_limit
from app.services import questions as question_service
from app.services.helpful import mark_helpful, unmark_helpful
from app.services.revisions import list_revisions
from app.services.votes import cast_vote, withdraw_vote

blp = make_blueprint("api_answers", 'Answers, "helped me" marks, votes and comments.')

_HIDDEN = "Hidden, or no such answer."


@blp.route("/questions/<int:question_id>/answers", methods=["POST"])
@posting_limit
@authenticated(blp)
@blp.arguments(AnswerBodySchema)
@blp.response(201, AnswerSchema)
@blp.alt_response(404, description="Hidden, or no such question.")
def create_answer(data, question_id):
    """Answer a question (20–20,000 characters of Markdown)."""
    user = require_user()
    return with_shown(
        question_service.post_answer(user, get_question(user, question_id), data["body"])
    )


@blp.route("/answers/<int:answer_id>", methods=["GET"])
@blp.response(200, AnswerSchema)
@blp.alt_response(404, description=_HIDDEN)
def get_answer_detail(answer_id):
    """One answer."""
    return with_shown(get_answer(current_api_user(), answer_id))


@blp.route("/answers/<int:answer_id>", methods=["PATCH"])
@authenticated(blp)
@blp.arguments(AnswerBodySchema)
@blp.response(200, AnswerSchema)
@blp.alt_response(403, description="Only the author can edit.")
@blp.alt_response(404, description=_HIDDEN)
def patch_answer(data, answer_id):
    """Edit one's own answer; the previous text is kept as a revision."""
    user = require_user()
    return with_shown(question_service.edit_answer(user, get_answer(user, answer_id), data["body"]))


@blp.route("/answers/<int:answer_id>/helpful", methods=["POST"])
@authenticated(blp)
@blp.response(200, AnswerSchema)
@blp.alt_response(403, description="Only the person who asked can mark answers.")
@blp.alt_response(404, description=_HIDDEN)
@blp.alt_response(
    409,
    description="Public-phase post of a goal that is closed now: "
    "votes and marks wait until it reopens.",
)
def mark_answer_helpful(answer_id):
    """The asker marks the answer "helped me" (+15 reputation to its author); idempotent."""
    user = require_user()
    answer = get_answer(user, answer_id)
    mark_helpful(user, answer)
    return with_shown(answer)


@blp.route("/answers/<int:answer_id>/helpful", methods=["DELETE"])
@authenticated(blp)
@blp.response(204)
@blp.alt_response(403, description="Only the person who asked can unmark answers.")
@blp.alt_response(404, description=_HIDDEN)
@blp.alt_response(
    409,
    description="Public-phase post of a goal that is closed now: "
    "votes and marks wait until it reopens.",
)
def unmark_answer_helpful(answer_id):
    """Take back a "helped me" mark (and its reputation); idempotent."""
    user = require_user()
    unmark_helpful(user, get_answer(user, answer_id))
    return ""


@blp.route("/answers/<int:answer_id>/comments", methods=["POST"])
@posting_limit
@authenticated(blp)
@blp.arguments(CommentBodySchema)
@blp.response(201, CommentSchema)
@blp.alt_response(404, description=_HIDDEN)
def create_answer_comment(data, answer_id):
    """Comment on an answer (at most 600 characters)."""
    user = require_user()
    answer = get_answer(user, answer_id)
    return with_shown(question_service.add_comment(user, answer=answer, body=data["body"]))


@blp.route("/answers/<int:answer_id>/votes", methods=["POST"])
@vote_limit
@authenticated(blp)
@blp.arguments(VoteSchema)
@blp.response(200, VoteResultSchema)
@blp.alt_response(403, description="Nobody votes on their own post.")
@blp.alt_response(404, description=_HIDDEN)
@blp.alt_response(
    409,
    description="Public-phase post of a goal that is closed now: "
    "votes and marks wait until it reopens.",
)
def vote_answer(data, answer_id):
    """Vote +1 or -1 (repeating a vote changes nothing; the other value changes it)."""
    user = require_user()
    answer = get_answer(user, answer_id)
    value = cast_vote(user, answer, data["value"])
    return {"value": value, "score": answer.score}


@blp.route("/answers/<int:answer_id>/votes", methods=["DELETE"])
@vote_limit
@authenticated(blp)
@blp.response(204)
@blp.alt_response(404, description=_HIDDEN)
@blp.alt_response(
    409,
    description="Public-phase post of a goal that is closed now: "
    "votes and marks wait until it reopens.",
)
def withdraw_answer_vote(answer_id):
    """Withdraw one's vote (nothing happens when there was none)."""
    user = require_user()
    withdraw_vote(user, get_answer(user, answer_id))
    return ""


@blp.route("/answers/<int:answer_id>/revisions", methods=["GET"])
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, RevisionPageSchema)
@blp.alt_response(404, description=_HIDDEN)
def answer_revisions(args, answer_id):
    """Earlier versions of the answer's text, newest first."""
    answer = get_answer(current_api_user(), answer_id)
    return with_shown(page_of(list_revisions("answer", answer.id), args))

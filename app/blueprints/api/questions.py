"""API v1: questions, their "answered in" link, outcome, comments, votes and revisions."""

from app.blueprints.api.common import (
    authenticated,
    current_api_user,
    make_blueprint,
    page_of,
    require_user,
)
from app.blueprints.api.qa_args import (
    AnsweredInSchema,
    BodySchema,
    CommentBodySchema,
    InvitationCreateSchema,
    PageArgsSchema,
    QuestionCreateSchema,
    QuestionListArgsSchema,
    QuestionPatchSchema,
    VoteSchema,
)
from app.blueprints.api.qa_schemas import (
    CommentSchema,
    InvitationListSchema,
    OutcomeSchema,
    QuestionDetailSchema,
    QuestionPageSchema,
    QuestionSchema,
    RevisionPageSchema,
    VoteResultSchema,
)
from app.blueprints.api.qa_shown import thread_shown, with_shown
from app.core.visibility import get_question
from app.ratelimits import posting_limit, vote_limit
from app.services import questions as question_service
from app.services.helpful import set_outcome
from app.services.invitations import invite_to_answer, list_invitations, require_asker
from app.services.revisions import list_revisions
from app.services.votes import cast_vote, withdraw_vote

blp = make_blueprint("api_questions", "Questions, outcomes, links to answering threads.")

_HIDDEN = "Hidden, or no such question."


def thread(question):
    """The question with its answers (helped-me first, then score) and all comments."""
    viewer = current_api_user()
    answers = question_service.answers_for_page(viewer, question)
    comments = question_service.comments_for(viewer, question, answers)
    return thread_shown(question, answers, comments)


@blp.route("/questions", methods=["GET"])
@blp.arguments(QuestionListArgsSchema, location="query")
@blp.response(200, QuestionPageSchema)
def list_questions(args):
    """Questions the caller may see: newest, by votes, or unanswered (newest first)."""
    return with_shown(
        question_service.list_questions(
            current_api_user(),
            tag=args.get("tag"),
            sort=args["sort"],
            page=args["page"],
            per_page=args["per_page"],
        )
    )


@blp.route("/questions", methods=["POST"])
@posting_limit
@authenticated(blp)
@blp.arguments(QuestionCreateSchema)
@blp.response(201, QuestionSchema)
@blp.alt_response(403, description="goal_id names someone else's goal.")
@blp.alt_response(404, description="goal_id names a hidden or missing goal.")
def create_question(data):
    """Ask a question, optionally under one of the caller's own goals."""
    return with_shown(question_service.ask_question(require_user(), data))


@blp.route("/questions/<int:question_id>", methods=["GET"])
@blp.response(200, QuestionDetailSchema)
@blp.alt_response(404, description=_HIDDEN)
def get_question_detail(question_id):
    """A question with its answers (helped-me first, then by score) and comments."""
    return thread(get_question(current_api_user(), question_id))


@blp.route("/questions/<int:question_id>", methods=["PATCH"])
@authenticated(blp)
@blp.arguments(QuestionPatchSchema)
@blp.response(200, QuestionSchema)
@blp.alt_response(403, description="Only the author can edit.")
@blp.alt_response(404, description=_HIDDEN)
def patch_question(changes, question_id):
    """Edit title, body or tags of one's own question; the previous text is kept."""
    user = require_user()
    question = get_question(user, question_id)
    if not changes:
        # Nothing to change: no revision either (the service would record an identical one).
        question_service.require_author(user, question.owner_id, "question")
        return with_shown(question)
    return with_shown(question_service.edit_question(user, question, changes))


@blp.route("/questions/<int:question_id>/answered-in", methods=["PUT"])
@authenticated(blp)
@blp.arguments(AnsweredInSchema)
@blp.response(200, QuestionSchema)
@blp.alt_response(403, description="Only the asker or users with 500 reputation.")
@blp.alt_response(404, description="This or the linked question is hidden or missing.")
@blp.alt_response(409, description="Public-phase thread of a goal that is closed now.")
def put_answered_in(data, question_id):
    """Link an earlier thread that answers this one."""
    user = require_user()
    question = get_question(user, question_id)
    return with_shown(question_service.set_answered_in(user, question, data["question_id"]))


@blp.route("/questions/<int:question_id>/answered-in", methods=["DELETE"])
@authenticated(blp)
@blp.response(204)
@blp.alt_response(403, description="Only the asker or users with 500 reputation.")
@blp.alt_response(404, description=_HIDDEN)
@blp.alt_response(409, description="Public-phase thread of a goal that is closed now.")
def delete_answered_in(question_id):
    """Remove the "answered in" link."""
    user = require_user()
    question_service.clear_answered_in(user, get_question(user, question_id))
    return ""


@blp.route("/questions/<int:question_id>/outcome", methods=["PUT"])
@authenticated(blp)
@blp.arguments(BodySchema)
@blp.response(200, OutcomeSchema, description="The outcome was replaced.")
@blp.alt_response(201, schema=OutcomeSchema, description="The outcome was created.")
@blp.alt_response(403, description="Only the asker can report an outcome.")
@blp.alt_response(404, description=_HIDDEN)
def put_outcome(data, question_id):
    """Write or replace what the asker tried and what happened."""
    user = require_user()
    question = get_question(user, question_id)
    is_new = question.outcome is None
    outcome = set_outcome(user, question, data["body"])
    return (outcome, 201) if is_new else outcome


@blp.route("/questions/<int:question_id>/comments", methods=["POST"])
@posting_limit
@authenticated(blp)
@blp.arguments(CommentBodySchema)
@blp.response(201, CommentSchema)
@blp.alt_response(404, description=_HIDDEN)
def create_question_comment(data, question_id):
    """Comment on a question (at most 600 characters)."""
    user = require_user()
    question = get_question(user, question_id)
    return with_shown(question_service.add_comment(user, question=question, body=data["body"]))


@blp.route("/questions/<int:question_id>/votes", methods=["POST"])
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
def vote_question(data, question_id):
    """Vote +1 or -1 (repeating a vote changes nothing; the other value changes it)."""
    user = require_user()
    question = get_question(user, question_id)
    value = cast_vote(user, question, data["value"])
    return {"value": value, "score": question.score}


@blp.route("/questions/<int:question_id>/votes", methods=["DELETE"])
@vote_limit
@authenticated(blp)
@blp.response(204)
@blp.alt_response(404, description=_HIDDEN)
@blp.alt_response(
    409,
    description="Public-phase post of a goal that is closed now: "
    "votes and marks wait until it reopens.",
)
def withdraw_question_vote(question_id):
    """Withdraw one's vote (nothing happens when there was none)."""
    user = require_user()
    withdraw_vote(user, get_question(user, question_id))
    return ""


@blp.route("/questions/<int:question_id>/revisions", methods=["GET"])
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, RevisionPageSchema)
@blp.alt_response(404, description=_HIDDEN)
def question_revisions(args, question_id):
    """Earlier versions of the question's title, body and tags, newest first."""
    question = get_question(current_api_user(), question_id)
    return with_shown(page_of(list_revisions("question", question.id), args))


@blp.route("/questions/<int:question_id>/invitations", methods=["POST"])
@posting_limit
@authenticated(blp)
@blp.arguments(InvitationCreateSchema)
@blp.response(201, InvitationListSchema, description="New invitations were sent.")
@blp.alt_response(
    200,
    schema=InvitationListSchema,
    description="Everyone named was already invited: nothing changed.",
)
@blp.alt_response(403, description="Only the asker can invite.")
@blp.alt_response(404, description=_HIDDEN)
@blp.alt_response(409, description="The question is private to a closed mentorship.")
@blp.alt_response(
    422,
    description="Unknown usernames (named), yourself, blocked users, "
    "or more than 5 invitations in all.",
)
def create_invitations(data, question_id):
    """Invite up to 5 named users in all to answer a public question (they are notified)."""
    user = require_user()
    question = get_question(user, question_id)
    created = invite_to_answer(user, question, data["usernames"])
    body = {
        "items": list_invitations(question),
        "invited": [invitation.user.username for invitation in created],
    }
    return body if created else (body, 200)


@blp.route("/questions/<int:question_id>/invitations", methods=["GET"])
@authenticated(blp)
@blp.response(200, InvitationListSchema)
@blp.alt_response(403, description="Only the asker sees the invitations.")
@blp.alt_response(404, description=_HIDDEN)
def get_invitations(question_id):
    """Who the asker invited to answer (the asker only)."""
    user = require_user()
    question = get_question(user, question_id)
    require_asker(user, question)
    return {"items": list_invitations(question), "invited": []}

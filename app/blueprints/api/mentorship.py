"""API v1: mentor candidates, invites, the mentorship lifecycle and its private space."""

from app.blueprints.api.common import authenticated, make_blueprint, require_user
from app.blueprints.api.mentorship_schemas import (
    AgreementArgs,
    AgreementSchema,
    CandidateListSchema,
    CheckInArgs,
    CheckInListSchema,
    CheckInPatchArgs,
    CheckInSchema,
    CompleteArgs,
    InviteArgs,
    MessageArgs,
    MessagePageSchema,
    MessageSchema,
    PageArgs,
    RequestSchema,
    SummaryArgs,
)
from app.blueprints.api.qa_schemas import GoalSchema
from app.core.errors import NotFound, ValidationFailed
from app.core.visibility import get_goal, get_space_goal
from app.ratelimits import message_limit, posting_limit
from app.services import candidates as candidate_service
from app.services import mentorship as mentorship_service
from app.services import mentorship_lifecycle, private_space

blp = make_blueprint("api_mentorship", "Closed one-to-one mentorships on goals.")

_HIDDEN = "Hidden, or no such goal."
_CONFLICT = "Not possible in the goal's current state (the message says why)."


# -- invites --------------------------------------------------------------------------------


@blp.route("/goals/<int:goal_id>/mentor-candidates", methods=["GET"])
@authenticated(blp)
@blp.response(200, CandidateListSchema)
@blp.alt_response(403, description="Only the goal's owner sees candidates.")
@blp.alt_response(404, description=_HIDDEN)
def mentor_candidates(goal_id):
    """Ranked candidates with a one-line reason: answerers on this goal first."""
    user = require_user()
    items = candidate_service.mentor_candidates(user, get_goal(user, goal_id))
    return {
        "items": [
            {
                **item,
                "username": item["user"].username,
                "score": len(items) - rank,
                "helpful_on_goal": item["helpful"],
                "votes_on_goal": item["votes"],
            }
            for rank, item in enumerate(items)
        ]
    }


@blp.route("/goals/<int:goal_id>/mentorship-requests", methods=["POST"])
@posting_limit
@authenticated(blp)
@blp.arguments(InviteArgs)
@blp.response(201, RequestSchema)
@blp.alt_response(409, description="The goal has a pending invite or a mentor already.")
@blp.alt_response(404, description=_HIDDEN)
def create_request(data, goal_id):
    """Invite one user to mentor your goal, with a message (one pending invite per goal)."""
    user = require_user()
    return mentorship_service.invite(user, get_goal(user, goal_id), data["mentor"], data["message"])


@blp.route("/mentorship-requests/<int:request_id>", methods=["GET"])
@authenticated(blp)
@blp.response(200, RequestSchema)
@blp.alt_response(404, description="Not yours, or no such invite.")
def get_request(request_id):
    """An invite you sent or received."""
    return mentorship_service.get_request(require_user(), request_id)


@blp.route("/mentorship-requests/<int:request_id>/accept", methods=["POST"])
@authenticated(blp)
@blp.response(200, RequestSchema)
@blp.alt_response(409, description="The invite is no longer pending.")
def accept_request(request_id):
    """Accept: from this response on the goal is closed, visible only to the two of you."""
    user = require_user()
    request = mentorship_service.get_request(user, request_id)
    mentorship_service.accept(user, request)
    return request


@blp.route("/mentorship-requests/<int:request_id>/decline", methods=["POST"])
@authenticated(blp)
@blp.response(200, RequestSchema)
@blp.alt_response(409, description="The invite is no longer pending.")
def decline_request(request_id):
    """Decline an invite you received."""
    user = require_user()
    return mentorship_service.decline(user, mentorship_service.get_request(user, request_id))


@blp.route("/mentorship-requests/<int:request_id>", methods=["DELETE"])
@authenticated(blp)
@blp.response(200, RequestSchema)
@blp.alt_response(409, description="The invite is no longer pending.")
def withdraw_request(request_id):
    """Withdraw an invite you sent."""
    user = require_user()
    return mentorship_service.withdraw(user, mentorship_service.get_request(user, request_id))


# -- lifecycle ------------------------------------------------------------------------------


def _lifecycle(action: str, doc: str):
    def view(goal_id):
        user = require_user()
        goal = get_goal(user, goal_id)
        getattr(mentorship_lifecycle, action)(user, goal)
        return goal

    view.__name__ = f"goal_{action}"
    view.__doc__ = doc
    return blp.route(f"/goals/<int:goal_id>/{action}", methods=["POST"])(
        authenticated(blp)(
            blp.response(200, GoalSchema)(
                blp.alt_response(409, description=_CONFLICT)(
                    blp.alt_response(404, description=_HIDDEN)(view)
                )
            )
        )
    )


_lifecycle("pause", "Either party pauses the mentorship.")
_lifecycle("resume", "Either party resumes a paused mentorship.")
_lifecycle("release", "The mentor steps back; the goal stays closed until reopened.")
_lifecycle("reopen", "The owner reopens the goal; private-phase content stays private.")


@blp.route("/goals/<int:goal_id>/complete", methods=["POST"])
@authenticated(blp)
@blp.arguments(CompleteArgs)
@blp.response(200, GoalSchema)
@blp.alt_response(409, description=_CONFLICT)
@blp.alt_response(404, description=_HIDDEN)
def complete(data, goal_id):
    """The owner marks the goal achieved, optionally publishing what they learned."""
    user = require_user()
    return mentorship_lifecycle.complete(user, get_goal(user, goal_id), data.get("summary"))


@blp.route("/goals/<int:goal_id>/summary", methods=["POST"])
@authenticated(blp)
@blp.arguments(SummaryArgs)
@blp.response(200, GoalSchema)
@blp.alt_response(409, description=_CONFLICT)
@blp.alt_response(404, description=_HIDDEN)
def publish_summary(data, goal_id):
    """Publish "what I learned" on an achieved goal (public and searchable)."""
    user = require_user()
    return mentorship_lifecycle.publish_summary(user, get_goal(user, goal_id), data["summary"])


# -- private space --------------------------------------------------------------------------


@blp.route("/goals/<int:goal_id>/messages", methods=["GET"])
@authenticated(blp)
@blp.arguments(PageArgs, location="query")
@blp.response(200, MessagePageSchema)
@blp.alt_response(404, description=_HIDDEN)
def list_messages(args, goal_id):
    """The private message thread, oldest first."""
    user = require_user()
    return private_space.list_messages(
        user, get_space_goal(user, goal_id), args["page"], args["per_page"]
    )


@blp.route("/goals/<int:goal_id>/messages", methods=["POST"])
@message_limit
@authenticated(blp)
@blp.arguments(MessageArgs)
@blp.response(201, MessageSchema)
@blp.alt_response(409, description="The goal has no mentorship in progress.")
@blp.alt_response(404, description=_HIDDEN)
def send_message(data, goal_id):
    """Send a private message to the other party (1–5,000 characters)."""
    user = require_user()
    return private_space.send_message(user, get_goal(user, goal_id), data["body"])


@blp.route("/goals/<int:goal_id>/agreement", methods=["GET"])
@authenticated(blp)
@blp.response(200, AgreementSchema)
@blp.alt_response(404, description="Hidden goal, or no agreement yet.")
def get_agreement(goal_id):
    """The current version of the mentoring agreement."""
    user = require_user()
    goal = get_goal(user, goal_id)
    private_space.require_party(user, goal)
    agreement = private_space.current_agreement(goal)
    if agreement is None:
        raise NotFound("No agreement yet.")
    return agreement


@blp.route("/goals/<int:goal_id>/agreement", methods=["PUT"])
@authenticated(blp)
@blp.arguments(AgreementArgs)
@blp.response(200, AgreementSchema)
@blp.alt_response(409, description="The goal has no mentorship in progress.")
@blp.alt_response(404, description=_HIDDEN)
def put_agreement(data, goal_id):
    """Write a new version of the agreement (earlier versions are kept)."""
    user = require_user()
    goal = get_goal(user, goal_id)
    if "response_hours" in data:  # the earlier name: errors keep the name the caller sent
        return private_space.set_agreement(user, goal, data)
    data["response_hours"] = data.pop("response_time_hours")
    try:
        return private_space.set_agreement(user, goal, data)
    except ValidationFailed as error:
        if "response_hours" in error.fields:
            error.fields["response_time_hours"] = error.fields.pop("response_hours")
        raise


@blp.route("/goals/<int:goal_id>/checkins", methods=["GET"])
@authenticated(blp)
@blp.response(200, CheckInListSchema)
@blp.alt_response(404, description=_HIDDEN)
def list_checkins(goal_id):
    """The check-ins, by date."""
    user = require_user()
    return {"items": private_space.list_checkins(user, get_space_goal(user, goal_id))}


@blp.route("/goals/<int:goal_id>/checkins", methods=["POST"])
@posting_limit
@authenticated(blp)
@blp.arguments(CheckInArgs)
@blp.response(201, CheckInSchema)
@blp.alt_response(409, description="The goal has no mentorship in progress.")
@blp.alt_response(404, description=_HIDDEN)
def create_checkin(data, goal_id):
    """Plan a check-in: ISO 8601 time with zone, and an agenda."""
    user = require_user()
    return private_space.add_checkin(user, get_goal(user, goal_id), data)


@blp.route("/goals/<int:goal_id>/checkins/<int:checkin_id>", methods=["PATCH"])
@authenticated(blp)
@blp.arguments(CheckInPatchArgs)
@blp.response(200, CheckInSchema)
@blp.alt_response(404, description="Hidden goal, or no such check-in.")
def patch_checkin(data, goal_id, checkin_id):
    """Move a check-in, change its agenda, or write notes afterwards."""
    user = require_user()
    goal = get_goal(user, goal_id)
    checkin = private_space.get_checkin(goal, checkin_id)
    if checkin is None:
        raise NotFound("No such check-in.")
    return private_space.update_checkin(user, goal, checkin, data)

"""API v1: goals, their milestones and progress journal, goal revisions."""

from app.blueprints.api.common import (
    WithVisibleChildren,
    authenticated,
    current_api_user,
    make_blueprint,
    page_of,
    require_user,
)
from app.blueprints.api.qa_args import (
    BodySchema,
    GoalCreateSchema,
    GoalListArgsSchema,
    GoalPatchSchema,
    MilestoneCreateSchema,
    MilestonePatchSchema,
    PageArgsSchema,
)
from app.blueprints.api.qa_schemas import (
    GoalDetailSchema,
    GoalPageSchema,
    GoalSchema,
    JournalEntrySchema,
    MilestoneSchema,
    RevisionPageSchema,
)
from app.blueprints.api.qa_shown import with_shown
from app.core.visibility import get_goal, get_milestone
from app.ratelimits import posting_limit
from app.services import goals as goal_service
from app.services.revisions import list_revisions

blp = make_blueprint("api_goals", "Goals with their milestones and progress journal.")

_HIDDEN = "Hidden, or no such goal."
_NOT_OWNER = "The caller is not the goal's owner."


@blp.route("/goals", methods=["GET"])
@blp.arguments(GoalListArgsSchema, location="query")
@blp.response(200, GoalPageSchema)
def list_goals(args):
    """Public (open) goals, newest first, by tag, status or owner's username.

    SPEC §3 lists public goals only, so the caller's own closed goals are not listed here.
    """
    return goal_service.list_goals(
        None,
        tag=args.get("tag"),
        status=args.get("status"),
        owner=args.get("owner"),
        page=args["page"],
        per_page=args["per_page"],
    )


@blp.route("/goals", methods=["POST"])
@posting_limit
@authenticated(blp)
@blp.arguments(GoalCreateSchema)
@blp.response(201, GoalSchema)
def create_goal(data):
    """Post a public goal."""
    return goal_service.create_goal(require_user(), data)


@blp.route("/goals/<int:goal_id>", methods=["GET"])
@blp.response(200, GoalDetailSchema)
@blp.alt_response(404, description=_HIDDEN)
def get_goal_detail(goal_id):
    """A goal with its milestones, journal and progress (percentage of milestones done)."""
    viewer = current_api_user()
    goal = get_goal(viewer, goal_id)
    return WithVisibleChildren(goal, **goal_service.goal_contents(viewer, goal))


@blp.route("/goals/<int:goal_id>", methods=["PATCH"])
@authenticated(blp)
@blp.arguments(GoalPatchSchema)
@blp.response(200, GoalSchema)
@blp.alt_response(403, description=_NOT_OWNER)
@blp.alt_response(404, description=_HIDDEN)
def patch_goal(changes, goal_id):
    """Edit title, description, tags, target date or status (owner only)."""
    user = require_user()
    return goal_service.edit_goal(user, get_goal(user, goal_id), changes)


@blp.route("/goals/<int:goal_id>/milestones", methods=["POST"])
@posting_limit
@authenticated(blp)
@blp.arguments(MilestoneCreateSchema)
@blp.response(201, MilestoneSchema)
@blp.alt_response(403, description=_NOT_OWNER)
@blp.alt_response(404, description=_HIDDEN)
def create_milestone(data, goal_id):
    """Append a milestone to one's own goal."""
    user = require_user()
    return goal_service.add_milestone(user, get_goal(user, goal_id), data)


@blp.route("/milestones/<int:milestone_id>", methods=["PATCH"])
@authenticated(blp)
@blp.arguments(MilestonePatchSchema)
@blp.response(200, MilestoneSchema)
@blp.alt_response(403, description=_NOT_OWNER)
@blp.alt_response(404, description="Hidden, or no such milestone.")
@blp.alt_response(409, description="Public-phase milestone of a goal that is closed now.")
def patch_milestone(changes, milestone_id):
    """Mark a milestone done or undone, retitle it or move its due date (goal owner only)."""
    user = require_user()
    milestone = get_milestone(user, milestone_id)
    return goal_service.update_milestone(user, milestone, changes)


@blp.route("/goals/<int:goal_id>/journal", methods=["POST"])
@posting_limit
@authenticated(blp)
@blp.arguments(BodySchema)
@blp.response(201, JournalEntrySchema)
@blp.alt_response(403, description=_NOT_OWNER)
@blp.alt_response(404, description=_HIDDEN)
def create_journal_entry(data, goal_id):
    """Write a progress update (Markdown) on one's own goal."""
    user = require_user()
    return goal_service.add_journal_entry(user, get_goal(user, goal_id), data["body"])


@blp.route("/goals/<int:goal_id>/revisions", methods=["GET"])
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, RevisionPageSchema)
@blp.alt_response(404, description=_HIDDEN)
def goal_revisions(args, goal_id):
    """Earlier versions of the goal's title, description and tags, newest first."""
    goal = get_goal(current_api_user(), goal_id)
    return with_shown(page_of(list_revisions("goal", goal.id), args))

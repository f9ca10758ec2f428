"""Goal pages: list, new, show (milestones, journal, questions), edit, history."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required

from app.blueprints.forms import ActionForm, apply_service_error, current_viewer
from app.blueprints.goal_page import render_goal
from app.blueprints.goal_page_forms import JournalForm, MilestoneForm
from app.blueprints.goals.forms import GoalEditForm, GoalForm
from app.core.errors import ValidationFailed
from app.core.pagination import page_args
from app.core.visibility import get_goal, get_milestone
from app.ratelimits import posting_limit
from app.services import goals as goal_service
from app.services.revisions import list_revisions

bp = Blueprint("goals", __name__)


@bp.get("/goals")
def index():
    """Public goals, newest first, filterable by tag and status."""
    page, _ = page_args(request.args.get("page"))
    tag, status = request.args.get("tag") or None, request.args.get("status") or None
    goals = goal_service.list_goals(current_viewer(), tag=tag, status=status, page=page)
    return render_template("goals/list.html", goals=goals, tag=tag, status=status)


@bp.route("/goals/new", methods=["GET", "POST"])
@posting_limit
@login_required
def new():
    """Post a goal."""
    form = GoalForm()
    if form.validate_on_submit():
        try:
            goal = goal_service.create_goal(current_viewer(), form.goal_data())
        except ValidationFailed as error:
            apply_service_error(form, error)
        else:
            flash("Goal posted. Add milestones, then broadcast your first question.", "success")
            return redirect(url_for("goals.show", goal_id=goal.id))
    return render_template("goals/form.html", form=form, goal=None), (
        422 if form.is_submitted() else 200
    )


@bp.get("/goals/<int:goal_id>")
def show(goal_id: int):
    """A goal with its milestones, progress, journal and questions."""
    return render_goal(get_goal(current_viewer(), goal_id))


@bp.route("/goals/<int:goal_id>/edit", methods=["GET", "POST"])
@login_required
def edit(goal_id: int):
    """Edit one's own goal (earlier text stays in the history)."""
    goal = get_goal(current_viewer(), goal_id)
    form = GoalEditForm(
        data={
            "title": goal.title,
            "description": goal.description,
            "target_date": goal.target_date,
            "tags": ", ".join(t.name for t in goal.tags),
            "status": goal.status,
        }
    )
    goal_service.require_goal_owner(current_viewer(), goal)
    if form.validate_on_submit():
        try:
            goal_service.edit_goal(current_viewer(), goal, form.goal_data())
        except ValidationFailed as error:
            apply_service_error(form, error)
        else:
            flash("Goal updated.", "success")
            return redirect(url_for("goals.show", goal_id=goal.id))
    return render_template("goals/form.html", form=form, goal=goal), (
        422 if form.is_submitted() else 200
    )


@bp.post("/goals/<int:goal_id>/milestones")
@posting_limit
@login_required
def add_milestone(goal_id: int):
    goal = get_goal(current_viewer(), goal_id)
    goal_service.require_goal_owner(current_viewer(), goal)
    form = MilestoneForm()
    if form.validate_on_submit():
        try:
            goal_service.add_milestone(
                current_viewer(), goal, {"title": form.title.data, "due_date": form.due_date.data}
            )
        except ValidationFailed as error:
            apply_service_error(form, error)
        else:
            return redirect(url_for("goals.show", goal_id=goal.id, _anchor="milestones"))
    return render_goal(goal, milestone_form=form, status=422)


@bp.post("/milestones/<int:milestone_id>/toggle")
@login_required
def toggle_milestone(milestone_id: int):
    milestone = get_milestone(current_viewer(), milestone_id)
    goal = milestone.goal
    if ActionForm().validate_on_submit():
        goal_service.update_milestone(current_viewer(), milestone, {"done": not milestone.done})
    return redirect(url_for("goals.show", goal_id=goal.id, _anchor="milestones"))


@bp.post("/goals/<int:goal_id>/journal")
@posting_limit
@login_required
def add_journal(goal_id: int):
    goal = get_goal(current_viewer(), goal_id)
    goal_service.require_goal_owner(current_viewer(), goal)
    form = JournalForm()
    if form.validate_on_submit():
        try:
            goal_service.add_journal_entry(current_viewer(), goal, form.body.data)
        except ValidationFailed as error:
            apply_service_error(form, error)
        else:
            return redirect(url_for("goals.show", goal_id=goal.id, _anchor="journal"))
    return render_goal(goal, journal_form=form, status=422)


@bp.get("/goals/<int:goal_id>/revisions")
def revisions(goal_id: int):
    goal = get_goal(current_viewer(), goal_id)
    current = {"title": goal.title, "body": goal.description, "tags": [t.name for t in goal.tags]}
    return render_template(
        "revisions.html",
        kind="goal",
        post=goal,
        current=current,
        revisions=list_revisions("goal", goal.id),
        back=url_for("goals.show", goal_id=goal.id),
    )

"""Tag pages: the goals and questions that carry a tag."""

from flask import Blueprint, render_template, request

from app.blueprints.forms import current_viewer
from app.blueprints.views import check_tag_name
from app.core.pagination import page_args
from app.services.goals import list_goals
from app.services.questions import list_questions

bp = Blueprint("tags", __name__)


@bp.get("/tags/<tag>")
def show(tag: str):
    """Questions (paginated, by sort) and the newest goals tagged ``tag``."""
    tag = check_tag_name(tag)
    viewer = current_viewer()
    page, _ = page_args(request.args.get("page"))
    sort = request.args.get("sort", "newest")
    questions = list_questions(viewer, tag=tag, sort=sort, page=page, count=False)
    goals = list_goals(viewer, tag=tag, page=1, per_page=10)
    return render_template("tags/show.html", tag=tag, questions=questions, goals=goals, sort=sort)

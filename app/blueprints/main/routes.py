"""Home page: the newest public questions and goals."""

from flask import Blueprint, render_template, request

from app.blueprints.forms import current_viewer
from app.core.pagination import page_args
from app.services.goals import list_goals
from app.services.questions import list_questions

bp = Blueprint("main", __name__)


@bp.get("/")
def index():
    """Newest questions (paginated) beside the newest goals."""
    viewer = current_viewer()
    page, _ = page_args(request.args.get("page"))
    questions = list_questions(viewer, sort="newest", page=page, count=False)
    goals = list_goals(viewer, page=1, per_page=8)
    return render_template("main/index.html", questions=questions, goals=goals)

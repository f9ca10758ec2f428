"""Question pages: list, ask, the thread page, edit, outcome, answered-in, history."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required

from app.blueprints.forms import apply_service_error, current_viewer
from app.blueprints.questions.forms import QuestionForm
from app.blueprints.thread_forms import AnsweredInForm, InviteForm, OutcomeForm
from app.blueprints.thread_page import render_thread
from app.core.errors import ServiceError, ValidationFailed
from app.core.pagination import page_args
from app.core.validation import parse_id
from app.core.visibility import get_goal, get_question
from app.ratelimits import SIMILAR_CHECK, posting_limit, similar_check_limit
from app.search.similar import similar_to_text
from app.services import questions as question_service
from app.services.goals import require_goal_owner
from app.services.helpful import set_outcome
from app.services.invitations import invite_to_answer
from app.services.revisions import list_revisions

bp = Blueprint("questions", __name__)


@bp.get("/questions")
def index():
    """All public questions: newest, most votes, or unanswered."""
    page, _ = page_args(request.args.get("page"))
    sort = request.args.get("sort", "newest")
    questions = question_service.list_questions(current_viewer(), sort=sort, page=page, count=False)
    return render_template("questions/list.html", questions=questions, sort=sort)


@bp.route("/ask", methods=["GET", "POST"])
@posting_limit
@similar_check_limit
@login_required
def ask():
    """Broadcast a question, optionally about one of your goals (?goal=<id>)."""
    viewer = current_viewer()
    form = QuestionForm()
    goal_arg = request.args.get("goal") or form.goal_id.data
    goal_id = parse_id(goal_arg)
    goal = get_goal(viewer, goal_id) if goal_id is not None else None
    if goal is not None:
        require_goal_owner(viewer, goal)  # questions go only under one's own goals
    if goal is not None and request.method == "GET":
        form.goal_id.data = str(goal.id)
        form.tags.data = ", ".join(t.name for t in goal.tags)
    if request.method == "POST" and SIMILAR_CHECK in request.form:
        # The no-JS twin of the as-you-type list: show threads like the title, post nothing.
        similar = similar_to_text(form.title.data or "")
        return render_template("questions/ask.html", form=form, goal=goal, similar=similar)
    if form.validate_on_submit():
        try:
            question = question_service.ask_question(viewer, form.question_data())
        except ValidationFailed as error:
            apply_service_error(form, error)
        else:
            flash("Question posted.", "success")
            return redirect(url_for("questions.show", question_id=question.id))
    return render_template("questions/ask.html", form=form, goal=goal), (
        422 if form.is_submitted() else 200
    )


@bp.get("/questions/<int:question_id>")
def show(question_id: int):
    """A question with its answers (helped-me first, then score), comments and outcome."""
    return render_thread(get_question(current_viewer(), question_id))


@bp.route("/questions/<int:question_id>/edit", methods=["GET", "POST"])
@login_required
def edit(question_id: int):
    """Edit one's own question; the earlier text stays in its history."""
    viewer = current_viewer()
    question = get_question(viewer, question_id)
    question_service.require_author(viewer, question.owner_id, "question")
    form = QuestionForm(
        data={
            "title": question.title,
            "body": question.body,
            "tags": ", ".join(t.name for t in question.tags),
        }
    )
    if form.validate_on_submit():
        data = form.question_data()
        data.pop("goal_id", None)
        try:
            question_service.edit_question(viewer, question, data)
        except ValidationFailed as error:
            apply_service_error(form, error)
        else:
            flash("Question updated.", "success")
            return redirect(url_for("questions.show", question_id=question.id))
    return render_template("questions/edit.html", form=form, question=question), (
        422 if form.is_submitted() else 200
    )


@bp.post("/questions/<int:question_id>/outcome")
@login_required
def outcome(question_id: int):
    """The asker reports what they tried and what happened."""
    viewer = current_viewer()
    question = get_question(viewer, question_id)
    form = OutcomeForm()
    if form.validate_on_submit():
        try:
            set_outcome(viewer, question, form.body.data)
        except ValidationFailed as error:
            apply_service_error(form, error)
        else:
            flash("Outcome saved: thank you for passing it on.", "success")
            return redirect(url_for("questions.show", question_id=question.id, _anchor="outcome"))
    return render_thread(question, outcome_form=form, status=422)


@bp.post("/questions/<int:question_id>/invitations")
@posting_limit
@login_required
def invite(question_id: int):
    """The asker invites up to 5 named users in all to answer (they are notified)."""
    viewer = current_viewer()
    question = get_question(viewer, question_id)
    form = InviteForm()
    if form.validate_on_submit():
        try:
            created = invite_to_answer(viewer, question, form.username_list())
        except ServiceError as error:
            if error.status in (403, 404):
                raise
            form.usernames.errors = [*form.usernames.errors, error.message]
        else:
            names = ", ".join(i.user.username for i in created)
            flash(
                f"Invited {names} to answer." if created else "They were already invited.",
                "success",
            )
            return redirect(url_for("questions.show", question_id=question.id, _anchor="invite"))
    return render_thread(question, invite_form=form, status=422)


@bp.post("/questions/<int:question_id>/answered-in")
@login_required
def answered_in(question_id: int):
    """Link (or, with an empty id, unlink) an earlier thread that answers this one."""
    viewer = current_viewer()
    question = get_question(viewer, question_id)
    form = AnsweredInForm()
    if form.validate_on_submit():
        try:
            if form.question_id.data:
                question_service.set_answered_in(viewer, question, form.question_id.data)
            else:
                question_service.clear_answered_in(viewer, question)
        except ServiceError as error:
            if not isinstance(error, ValidationFailed) and error.status != 404:
                raise
            form.question_id.errors = [*form.question_id.errors, error.message]
        else:
            return redirect(url_for("questions.show", question_id=question.id))
    return render_thread(question, link_form=form, status=422)


@bp.get("/questions/<int:question_id>/revisions")
def revisions(question_id: int):
    question = get_question(current_viewer(), question_id)
    current = {
        "title": question.title,
        "body": question.body,
        "tags": [t.name for t in question.tags],
    }
    return render_template(
        "revisions.html",
        kind="question",
        post=question,
        current=current,
        revisions=list_revisions("question", question.id),
        anonymous_asker=question,
        back=url_for("questions.show", question_id=question.id),
    )

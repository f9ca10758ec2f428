"""Actions on a thread: answers, comments, votes and "helped me"."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required

from app.blueprints.forms import ActionForm, apply_service_error, current_viewer
from app.blueprints.thread_forms import AnswerForm, CommentForm
from app.blueprints.thread_page import render_thread
from app.core.errors import ValidationFailed
from app.core.visibility import get_answer, get_question
from app.models import Answer, Question
from app.ratelimits import posting_limit, vote_limit
from app.services import questions as question_service
from app.services.helpful import mark_helpful, unmark_helpful
from app.services.revisions import list_revisions
from app.services.votes import cast_vote, withdraw_vote

bp = Blueprint("answers", __name__)


def _thread_url(question_id: int, answer_id: int | None = None) -> str:
    anchor = f"answer-{answer_id}" if answer_id else None
    return url_for("questions.show", question_id=question_id, _anchor=anchor)


@bp.post("/questions/<int:question_id>/answers")
@posting_limit
@login_required
def create(question_id: int):
    """Answer a question."""
    viewer = current_viewer()
    question = get_question(viewer, question_id)
    form = AnswerForm()
    if form.validate_on_submit():
        try:
            answer = question_service.post_answer(viewer, question, form.body.data)
        except ValidationFailed as error:
            apply_service_error(form, error)
        else:
            flash("Answer posted.", "success")
            return redirect(_thread_url(question.id, answer.id))
    return render_thread(question, answer_form=form, status=422)


@bp.route("/answers/<int:answer_id>/edit", methods=["GET", "POST"])
@login_required
def edit(answer_id: int):
    """Edit one's own answer; the earlier text stays in its history."""
    viewer = current_viewer()
    answer = get_answer(viewer, answer_id)
    question_service.require_author(viewer, answer.owner_id, "answer")
    form = AnswerForm(data={"body": answer.body})
    if form.validate_on_submit():
        try:
            question_service.edit_answer(viewer, answer, form.body.data)
        except ValidationFailed as error:
            apply_service_error(form, error)
        else:
            flash("Answer updated.", "success")
            return redirect(_thread_url(answer.question_id, answer.id))
    return render_template("answers/edit.html", form=form, answer=answer), (
        422 if form.is_submitted() else 200
    )


@bp.post("/questions/<int:question_id>/comments", defaults={"answer_id": None})
@bp.post("/answers/<int:answer_id>/comments", defaults={"question_id": None})
@posting_limit
@login_required
def comment(question_id: int | None, answer_id: int | None):
    """Comment on a question or an answer."""
    viewer = current_viewer()
    answer = get_answer(viewer, answer_id) if answer_id else None
    question = answer.question if answer else get_question(viewer, question_id)
    form = CommentForm()
    if form.validate_on_submit():
        try:
            question_service.add_comment(
                viewer, question=None if answer else question, answer=answer, body=form.body.data
            )
        except ValidationFailed as error:
            apply_service_error(form, error)
        else:
            return redirect(_thread_url(question.id, answer.id if answer else None))
    key = ("answer", answer.id) if answer else ("question", question.id)
    return render_thread(question, comment_forms={key: form}, status=422)


@bp.post("/questions/<int:question_id>/vote", defaults={"answer_id": None})
@bp.post("/answers/<int:answer_id>/vote", defaults={"question_id": None})
@vote_limit
@login_required
def vote(question_id: int | None, answer_id: int | None):
    """Vote up (1), down (-1) or withdraw (0); buttons carry the value."""
    viewer = current_viewer()
    post: Answer | Question
    if answer_id:
        post = get_answer(viewer, answer_id)
        thread_id = post.question_id
    else:
        post = get_question(viewer, question_id)
        thread_id = post.id
    if ActionForm().validate_on_submit():
        value = request.form.get("value", "")
        if value == "0":
            withdraw_vote(viewer, post)
        elif value in ("1", "-1"):
            cast_vote(viewer, post, int(value))
        else:
            raise ValidationFailed("A vote is 1, -1 or 0.")
    return redirect(_thread_url(thread_id, answer_id))


@bp.post("/answers/<int:answer_id>/helpful")
@login_required
def helpful(answer_id: int):
    """The asker marks (or unmarks) an answer "helped me"."""
    viewer = current_viewer()
    answer = get_answer(viewer, answer_id)
    if ActionForm().validate_on_submit():
        if request.form.get("action") == "unmark":
            unmark_helpful(viewer, answer)
        else:
            mark_helpful(viewer, answer)
    return redirect(_thread_url(answer.question_id, answer.id))


@bp.get("/answers/<int:answer_id>/revisions")
def revisions(answer_id: int):
    answer = get_answer(current_viewer(), answer_id)
    return render_template(
        "revisions.html",
        kind="answer",
        post=answer,
        current={"title": None, "body": answer.body, "tags": []},
        revisions=list_revisions("answer", answer.id),
        anonymous_asker=answer.question,
        back=_thread_url(answer.question_id, answer.id),
    )

"""The question thread page, rendered by the questions and answers blueprints."""

from flask import render_template

from app.blueprints.forms import ActionForm, current_viewer
from app.blueprints.thread_forms import (
    AnsweredInForm,
    AnswerForm,
    CommentForm,
    InviteForm,
    OutcomeForm,
)
from app.core.visibility import can_view_question
from app.search.similar import similar_to_question
from app.services import questions as question_service
from app.services.invitations import MAX_INVITATIONS, list_invitations
from app.services.reputation import sealed_posts
from app.services.votes import votes_on_thread


def render_thread(
    question,
    *,
    answer_form=None,
    comment_forms=None,
    outcome_form=None,
    link_form=None,
    invite_form=None,
    status=200,
):
    """The thread page; forms that failed validation come back with their messages."""
    viewer = current_viewer()
    answers = question_service.answers_for_page(viewer, question)
    is_asker = viewer is not None and viewer.id == question.owner_id
    return render_template(
        "questions/show.html",
        question=question,
        answers=answers,
        comments=question_service.comments_for(viewer, question, answers),
        my_votes=votes_on_thread(viewer, question, answers),
        sealed=sealed_posts(question, answers),
        is_asker=is_asker,
        # Invitations to answer: only the asker sees who was invited (and the form).
        invitations=list_invitations(question) if is_asker else [],
        invite_form=invite_form or InviteForm(formdata=None),
        can_invite=is_asker and can_view_question(None, question),
        max_invitations=MAX_INVITATIONS,
        can_link=viewer is not None
        and (
            viewer.id == question.owner_id
            or viewer.reputation >= question_service.ANSWERED_IN_REPUTATION
        ),
        answer_form=answer_form or AnswerForm(formdata=None),
        comment_forms=comment_forms or {},
        new_comment_form=CommentForm(formdata=None),
        outcome_form=outcome_form
        or OutcomeForm(
            formdata=None, data={"body": question.outcome.body if question.outcome else ""}
        ),
        link_form=link_form or AnsweredInForm(formdata=None),
        action_form=ActionForm(formdata=None),
        similar=similar_to_question(question),
        # The linked thread may be hidden from this viewer (a goal that closed since).
        answered_in=question.answered_in
        if can_view_question(viewer, question.answered_in)
        else None,
    ), status

"""Acting on answers: "helped me" marks and the asker's outcome report."""

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from app.core import validation as v
from app.core.errors import Forbidden
from app.core.transaction import rows_affected, write_transaction
from app.core.visibility import can_view_answer
from app.models import Answer, HelpfulMark, Outcome, Question, User
from app.models.base import utcnow
from app.rendering import render_markdown
from app.services.notifications import notify
from app.services.phases import require_editable
from app.services.reputation import credit, require_not_sealed
from app.services.votes import HELPED_ME


def _require_asker(user: User, question: Question) -> None:
    if user is None or user.id != question.owner_id:
        raise Forbidden("Only the person who asked can do that.")


def _reputation(session, answer: Answer, delta: int) -> None:
    # Marking your own answer earns nothing, as on Stack Exchange.
    if answer.owner_id != answer.question.owner_id:
        credit(session, answer, answer.owner_id, delta)


def mark_helpful(user: User, answer: Answer) -> bool:
    """The asker marks an answer "helped me" (+15 to its author); idempotent."""
    _require_asker(user, answer.question)
    with write_transaction() as session:
        require_not_sealed(session, answer)
        if session.get(HelpfulMark, answer.id) is not None:
            return False
        try:
            with session.begin_nested():
                session.add(HelpfulMark(answer_id=answer.id, user_id=user.id))
        except IntegrityError:
            return False  # a concurrent request marked it first
        _reputation(session, answer, HELPED_ME)
        # Once per answer: unmarking and marking again does not notify twice. Only an author
        # who may see the answer now hears of it (rule 7: nobody outside a closed goal).
        if can_view_answer(session.get(User, answer.owner_id), answer):
            notify(
                session,
                answer.owner_id,
                "helpful",
                "answer",
                answer.id,
                actor_id=user.id,
                dedupe_key=f"helpful:{answer.id}",
            )
    return True


def unmark_helpful(user: User, answer: Answer) -> bool:
    """Take back a "helped me" mark (and its reputation); idempotent."""
    _require_asker(user, answer.question)
    with write_transaction() as session:
        require_not_sealed(session, answer)
        result = session.execute(delete(HelpfulMark).where(HelpfulMark.answer_id == answer.id))
        if rows_affected(result):
            _reputation(session, answer, -HELPED_ME)
        session.expire(answer, ["helpful_mark"])
        return bool(rows_affected(result))


def set_outcome(user: User, question: Question, body) -> Outcome:
    """Write or replace what the asker tried and what happened."""
    _require_asker(user, question)
    errors = v.FieldErrors()
    body = errors.check("body", v.check_body, body, label="Outcome")
    errors.raise_if_any()
    with write_transaction() as session:
        # An outcome is part of its question: frozen with it while the goal is closed.
        require_editable(session, question.goal_id, question)
        outcome = session.scalar(select(Outcome).where(Outcome.question_id == question.id))
        if outcome is None:
            outcome = Outcome(
                question_id=question.id,
                body=body,
                body_html=render_markdown(body, private=question.mentorship_id is not None),
            )
            session.add(outcome)
        else:
            outcome.body = body
            outcome.body_html = render_markdown(body, private=question.mentorship_id is not None)
            outcome.updated_at = utcnow()
    return outcome

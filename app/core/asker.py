"""Anonymous questions: who may see who asked (SPEC §1 "Asking the right people").

The public sees "anonymous protégé"; the asker and admins see who asked. This is part of the
privacy gate (rule 7: nothing may tell who asked), kept apart from the visibility rules.
"""

from sqlalchemy import ColumnElement, or_

from app.core.visibility import Viewer, viewer_id
from app.models import Question

ANONYMOUS_ASKER = "anonymous protégé"


def can_see_asker(user: Viewer | None, question: Question | None) -> bool:
    """Who may see who asked: everyone, unless the question was asked anonymously.

    Then only the asker and admins. Every page, list, feed, search document, API object,
    revision and notification that would name the asker (or an edit/answer/comment that
    gives them away) asks this one rule.
    """
    if question is None or not question.anonymous:
        return True
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return viewer_id(user) == question.owner_id or bool(getattr(user, "is_admin", False))


def reveals_asker(user: Viewer | None, question: Question | None, author_id: int | None) -> bool:
    """Whether showing author_id on this question's thread would name a hidden asker."""
    return (
        question is not None
        and author_id is not None
        and author_id == question.owner_id
        and not can_see_asker(user, question)
    )


def asker_view(user: Viewer | None, question: Question) -> str:
    """How a page shows the asker: "public" (named), "self" or "admin" (an anonymous
    question, shown with a note to the asker / an admin) or "hidden" (anonymous protégé)."""
    if not question.anonymous:
        return "public"
    if not can_see_asker(user, question):
        return "hidden"
    return "self" if viewer_id(user) == question.owner_id else "admin"


def can_see_asker_clause(user: Viewer | None) -> ColumnElement[bool]:
    """``can_see_asker`` as SQL, for lists that name authors (questions joined)."""
    if user is not None and getattr(user, "is_admin", False):
        return Question.id.isnot(None)
    viewer = viewer_id(user)
    if viewer is None:
        return Question.anonymous.is_(False)
    return or_(Question.anonymous.is_(False), Question.owner_id == viewer)

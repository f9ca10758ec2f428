"""What a notification is about, loaded once for the in-app feed and for email alike.

Both readers ask ``visible_subject``: it loads the subject and re-checks it through the
privacy gate (and the private-space rule) *now*, so the feed and the mail can never disagree
about what a reader may still see.
"""

from dataclasses import dataclass

from app.core.posts import thread_of
from app.core.visibility import can_view_answer, can_view_comment, can_view_goal, can_view_question
from app.extensions import db
from app.models import (
    Answer,
    CheckIn,
    Comment,
    Goal,
    Mentorship,
    MentorshipRequest,
    Message,
    Notification,
    Question,
    User,
)
from app.services.private_space import can_read_space_item

_MODELS = {
    "question": Question,
    "answer": Answer,
    "comment": Comment,
    "goal": Goal,
    "request": MentorshipRequest,
    "message": Message,
    "checkin": CheckIn,
}
_POST_CHECKS = {
    "question": can_view_question,
    "answer": can_view_answer,
    "comment": can_view_comment,
}


@dataclass
class Subject:
    """A notification's subject as its reader may see it now."""

    type: str
    obj: object
    question: Question | None = None  # the thread of a question/answer/comment subject
    goal: Goal | None = None  # the goal of a goal/request/message/check-in subject
    goal_visible: bool = True  # requests: whether the goal itself (its title) may be shown


def visible_subject(note: Notification, viewer: User) -> Subject | None:
    """The subject of ``note`` if ``viewer`` may see it now, else None."""
    stype = note.subject_type
    model = _MODELS.get(stype)
    obj = db.session.get(model, note.subject_id) if model else None
    if obj is None:
        return None
    if stype in _POST_CHECKS:
        question = thread_of(obj) if _POST_CHECKS[stype](viewer, obj) else None
        return Subject(stype, obj, question=question) if question is not None else None
    if stype == "goal":
        return Subject(stype, obj, goal=obj) if can_view_goal(viewer, obj) else None
    if stype == "request":
        # Both parties keep the request; the goal's title only while they may see the goal
        # (an invitee who declined may not, once the goal closes with someone else).
        if viewer.id not in (obj.protege_id, obj.mentor_id):
            return None
        goal = db.session.get(Goal, obj.goal_id)
        return Subject(stype, obj, goal=goal, goal_visible=can_view_goal(viewer, goal))
    mentorship = db.session.get(Mentorship, obj.mentorship_id)  # message or check-in
    if not can_read_space_item(viewer, mentorship):
        return None
    return Subject(stype, obj, goal=db.session.get(Goal, mentorship.goal_id))

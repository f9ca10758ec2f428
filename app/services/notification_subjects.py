"""What a notification is about, loaded once for the in-app feed and for email alike.

Both readers ask ``visible_subject``: it loads the subject and re-checks it through the
privacy gate (and the private-space rule) *now*, so the feed and the mail can never disagree
about what a reader may still see.
"""

from dataclasses import dataclass

from app.core.posts import POST_TYPES, Post
from app.core.visibility import can_view_goal
from app.extensions import db
from app.models import (
    CheckIn,
    Goal,
    Mentorship,
    MentorshipRequest,
    Message,
    Notification,
    Question,
    User,
)
from app.services.private_space import can_read_space_item

# Subjects that are not posts (posts: app/core/posts.py).
_OTHER_MODELS = {"request": MentorshipRequest, "message": Message, "checkin": CheckIn}
SubjectObject = Post | MentorshipRequest | Message | CheckIn


@dataclass
class Subject:
    """A notification's subject as its reader may see it now."""

    type: str
    obj: SubjectObject
    question: Question | None = None  # the thread of a question/answer/comment subject
    goal: Goal | None = None  # the goal of a goal/request/message/check-in subject
    goal_visible: bool = True  # requests: whether the goal itself (its title) may be shown


def visible_subject(note: Notification, viewer: User) -> Subject | None:
    """The subject of ``note`` if ``viewer`` may see it now, else None."""
    stype = note.subject_type
    post_type = POST_TYPES.get(stype)
    model = post_type.model if post_type is not None else _OTHER_MODELS.get(stype)
    obj = db.session.get(model, note.subject_id) if model else None
    if obj is None:
        return None
    if post_type is not None:
        if not post_type.can_view(viewer, obj):
            return None
        # A visible question, answer or comment has its thread; a goal has none and is its
        # own goal.
        question = post_type.thread_of(obj)
        if question is not None:
            return Subject(stype, obj, question=question)
        return Subject(stype, obj, goal=obj)
    if stype == "request":
        # Both parties keep the request; the goal's title only while they may see the goal
        # (an invitee who declined may not, once the goal closes with someone else).
        if viewer.id not in (obj.protege_id, obj.mentor_id):
            return None
        goal = db.session.get(Goal, obj.goal_id)
        return Subject(stype, obj, goal=goal, goal_visible=can_view_goal(viewer, goal))
    mentorship = db.session.get(Mentorship, obj.mentorship_id)  # message or check-in
    if mentorship is None or not can_read_space_item(viewer, mentorship):
        return None
    return Subject(stype, obj, goal=db.session.get(Goal, mentorship.goal_id))

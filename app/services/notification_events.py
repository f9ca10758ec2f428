"""Which notifications a Q&A event creates, called inside the event's write transaction.

Each helper checks the recipient through the visibility gate *now* (a public answerer whose
goal has since closed gets nothing about private comments on their answer), and leaves the
self/blocked rules to ``notify``. One answer notifies each user at most once: the asker
gets "answer"; followers of the question, its goal or one of its tags get "followed_answer".
"""

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.models import Answer, Comment, Follow, Question, User
from app.models.questions import question_tags
from app.services.notifications import notify
from app.services.visibility import can_view_answer, can_view_comment


def answer_posted(session: Session, question: Question, answer: Answer) -> None:
    """The asker hears of a new answer; followers of the thread, goal or tags too."""
    session.flush()  # the answer's id
    asker = session.get(User, question.owner_id)
    if can_view_answer(asker, answer):
        notify(session, asker.id, "answer", "answer", answer.id, actor_id=answer.owner_id)
    targets = [(Follow.target_type == "question") & (Follow.target_id == question.id),
               (Follow.target_type == "tag") & Follow.target_id.in_(
                   select(question_tags.c.tag_id).where(
                       question_tags.c.question_id == question.id))]
    if question.goal_id is not None:
        targets.append((Follow.target_type == "goal") & (Follow.target_id == question.goal_id))
    follower_ids = set(session.scalars(select(Follow.user_id).where(or_(*targets))))
    follower_ids -= {question.owner_id, answer.owner_id}
    for follower in session.scalars(select(User).where(User.id.in_(follower_ids))
                                    .order_by(User.id)):
        if can_view_answer(follower, answer):
            notify(session, follower.id, "followed_answer", "answer", answer.id,
                   actor_id=answer.owner_id)


def comment_posted(session: Session, comment: Comment, post: Question | Answer) -> None:
    """The owner of the question or answer commented on hears of it (if they may see it)."""
    session.flush()  # the comment's id
    owner = session.get(User, post.owner_id)
    if can_view_comment(owner, comment):
        notify(session, owner.id, "comment", "comment", comment.id, actor_id=comment.author_id)

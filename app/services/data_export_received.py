"""Data export, what others wrote to the user or shared with them, through the gate.

Answers and comments received, follows, blocks, invitations, notification texts, mentorship
requests and phases: whatever belongs to others passes the visibility gate as this user, so
the file never holds what they could not read on the site now (a later phase of a goal they
once mentored, or a mentorship they were not part of, stays out).
"""

from sqlalchemy import or_, select

from app.core.asker import reveals_asker
from app.core.posts import thread_of
from app.core.visibility import can_view_answer, can_view_comment, can_view_goal
from app.core.visible_queries import visible_answers
from app.extensions import db
from app.models import (
    Agreement,
    Answer,
    AnswerInvitation,
    Block,
    CheckIn,
    Comment,
    Follow,
    Goal,
    Mentorship,
    MentorshipRequest,
    Message,
    Notification,
    Question,
    User,
)
from app.services.account_deletion import public_username
from app.services.data_export_own import name_of, question_ref, rows, when
from app.services.notification_feed import describe


def _author(user: User, question: Question | None, author: User) -> str | None:
    """The author's name as this user may know it (None for a hidden anonymous asker)."""
    if question is not None and reveals_asker(user, question, author.id):
        return None
    return public_username(author)


def received(user: User) -> dict:
    answers = rows(
        visible_answers(user)
        .where(Question.owner_id == user.id, Answer.owner_id != user.id)
        .order_by(Answer.id)
    )
    my_answers = select(Answer.id).where(Answer.owner_id == user.id)
    my_questions = select(Question.id).where(Question.owner_id == user.id)
    candidates = rows(
        select(Comment)
        .where(
            Comment.author_id != user.id,
            or_(Comment.question_id.in_(my_questions), Comment.answer_id.in_(my_answers)),
        )
        .order_by(Comment.id)
    )
    comments = []
    for comment in candidates:
        if not can_view_comment(user, comment):
            continue
        question = thread_of(comment)
        comments.append(
            {
                "id": comment.id,
                "question_id": comment.question_id,
                "answer_id": comment.answer_id,
                "author": _author(user, question, comment.author),
                "body": comment.body,
                "created_at": when(comment.created_at),
            }
        )
    return {
        "answers": [
            {
                "id": a.id,
                "question_id": a.question_id,
                "author": _author(user, a.question, a.owner),
                "body": a.body,
                "score": a.score,
                "helpful": a.helpful,
                "created_at": when(a.created_at),
            }
            for a in answers
            if can_view_answer(user, a)
        ],
        "comments": comments,
    }


def social(user: User) -> dict:
    follows = rows(select(Follow).where(Follow.user_id == user.id).order_by(Follow.created_at))
    blocks = rows(select(Block).where(Block.blocker_id == user.id).order_by(Block.created_at))
    invited = rows(select(AnswerInvitation).where(AnswerInvitation.user_id == user.id))
    sent = rows(select(AnswerInvitation).where(AnswerInvitation.invited_by_id == user.id))
    return {
        "follows": [
            {
                "target_type": f.target_type,
                "target_id": f.target_id,
                "created_at": when(f.created_at),
            }
            for f in follows
        ],
        "blocks": [
            {
                "username": name_of(db.session.get(User, b.blocked_id)),
                "created_at": when(b.created_at),
            }
            for b in blocks
        ],
        "answer_invitations": {
            "received": [
                {
                    "question": question_ref(user, db.session.get(Question, i.question_id)),
                    "created_at": when(i.created_at),
                }
                for i in invited
            ],
            "sent": [
                {
                    "question_id": i.question_id,
                    "username": name_of(i.user),
                    "created_at": when(i.created_at),
                }
                for i in sent
            ],
        },
    }


def notifications(user: User) -> list[dict]:
    notes = rows(
        select(Notification)
        .where(Notification.user_id == user.id)
        .order_by(Notification.created_at, Notification.id)
    )
    items = []
    for note in notes:
        item = describe(note, user)  # re-checked through the gate, like the /notifications page
        items.append(
            {
                "id": item.id,
                "kind": item.kind,
                "text": item.text,
                "url": item.url,
                "read": item.read,
                "created_at": when(item.created_at),
            }
        )
    return items


def _goal_ref(user: User, goal_id: int) -> dict:
    goal = db.session.get(Goal, goal_id)
    visible = goal is not None and can_view_goal(user, goal)
    return {"id": goal_id, "title": goal.title if goal is not None and visible else None}


def requests(user: User) -> dict:
    def row(r: MentorshipRequest) -> dict:
        return {
            "id": r.id,
            "goal": _goal_ref(user, r.goal_id),
            "protege": name_of(r.protege),
            "mentor": name_of(r.mentor),
            "message": r.message,
            "status": r.status,
            "created_at": when(r.created_at),
            "expires_at": when(r.expires_at),
            "responded_at": when(r.responded_at),
        }

    query = select(MentorshipRequest).order_by(MentorshipRequest.id)
    return {
        "sent": [row(r) for r in rows(query.where(MentorshipRequest.protege_id == user.id))],
        "received": [row(r) for r in rows(query.where(MentorshipRequest.mentor_id == user.id))],
    }


def mentorships(user: User) -> list[dict]:
    """The phases the user took part in: only their own (never a later mentor's)."""
    phases = rows(
        select(Mentorship)
        .where(or_(Mentorship.protege_id == user.id, Mentorship.mentor_id == user.id))
        .order_by(Mentorship.id)
    )
    out = []
    for m in phases:
        messages = rows(
            select(Message)
            .where(Message.mentorship_id == m.id)
            .order_by(Message.created_at, Message.id)
        )
        agreements = rows(
            select(Agreement).where(Agreement.mentorship_id == m.id).order_by(Agreement.version)
        )
        checkins = rows(
            select(CheckIn)
            .where(CheckIn.mentorship_id == m.id)
            .order_by(CheckIn.scheduled_at, CheckIn.id)
        )
        out.append(
            {
                "id": m.id,
                "goal": _goal_ref(user, m.goal_id),
                "role": "protege" if m.protege_id == user.id else "mentor",
                "protege": name_of(m.protege),
                "mentor": name_of(m.mentor),
                "state": m.state,
                "started_at": when(m.started_at),
                "ended_at": when(m.ended_at),
                "end_reason": m.end_reason,
                "messages": [
                    {
                        "id": x.id,
                        "sender": name_of(x.sender),
                        "body": x.body,
                        "created_at": when(x.created_at),
                    }
                    for x in messages
                ],
                "agreements": [
                    {
                        "version": a.version,
                        "author": name_of(a.author),
                        "modes": a.mode_list,
                        "cadence": a.cadence,
                        "response_time_hours": a.response_hours,
                        "success_criteria": a.success_criteria,
                        "created_at": when(a.created_at),
                    }
                    for a in agreements
                ],
                "checkins": [
                    {
                        "id": c.id,
                        "author": name_of(c.author),
                        "scheduled_at": when(c.scheduled_at),
                        "agenda": c.agenda,
                        "notes": c.notes,
                        "created_at": when(c.created_at),
                        "updated_at": when(c.updated_at),
                    }
                    for c in checkins
                ],
            }
        )
    return out

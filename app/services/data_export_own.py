"""Data export, the user's own things: everything they wrote, exported whole.

Private phases and anonymous questions included; where a post of theirs sits (the question
an answer or comment is under) is named only if the user may see it now. Also the value
conventions every part of the export uses (dates, names).
"""

from datetime import date, datetime

from sqlalchemy import select

from app.core.posts import thread_of
from app.core.visibility import can_view_question
from app.core.visible_queries import visible_goal_items
from app.extensions import db
from app.models import (
    Answer,
    ApiToken,
    Comment,
    Goal,
    HelpfulMark,
    JournalEntry,
    Milestone,
    Question,
    Revision,
    User,
    Vote,
)
from app.services.account_deletion import public_username


def when(value: datetime | date | None) -> str | None:
    """ISO 8601, or None."""
    return value.isoformat() if value is not None else None


def name_of(user: User | None) -> str | None:
    """The username others see ("deleted user" once deleted), or None."""
    return public_username(user) if user is not None else None


def rows(query) -> list:
    """Every distinct row of a select of models."""
    return list(db.session.scalars(query).unique())


def profile(user: User) -> dict:
    return {
        "id": user.id,
        "username": user.username,
        "email": user.email,
        "display_name": user.display_name,
        "bio": user.bio,
        "location": user.location,
        "timezone": user.timezone,
        "skills": [t.name for t in user.skills],
        "mentor_available": user.mentor_available,
        "mentor_topics": [t.name for t in user.mentor_topics],
        "preferred_modes": list(user.preferred_modes or []),
        "availability": user.availability,
        "response_time_hours": user.response_time_hours,
        "email_mode": user.email_mode,
        "role": user.role,
        "reputation": user.reputation,
        "private_reputation": user.private_reputation,
        "created_at": when(user.created_at),
        "updated_at": when(user.updated_at),
    }


def tokens(user: User) -> list[dict]:
    return [
        {
            "id": t.id,
            "created_at": when(t.created_at),
            "expires_at": when(t.expires_at),
            "revoked_at": when(t.revoked_at),
            "last_used_at": when(t.last_used_at),
        }
        for t in rows(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id))
    ]


def goals(user: User) -> list[dict]:
    goals = []
    for goal in rows(select(Goal).where(Goal.owner_id == user.id).order_by(Goal.id)):
        milestones = rows(visible_goal_items(user, Milestone, goal).order_by(Milestone.position))
        journal = rows(
            visible_goal_items(user, JournalEntry, goal).order_by(
                JournalEntry.created_at, JournalEntry.id
            )
        )
        goals.append(
            {
                "id": goal.id,
                "title": goal.title,
                "description": goal.description,
                "tags": [t.name for t in goal.tags],
                "visibility": goal.visibility,
                "status": goal.status,
                "mentor": name_of(goal.mentor),
                "target_date": when(goal.target_date),
                "summary": goal.summary,
                "created_at": when(goal.created_at),
                "updated_at": when(goal.updated_at),
                "milestones": [
                    {
                        "id": m.id,
                        "title": m.title,
                        "position": m.position,
                        "due_date": when(m.due_date),
                        "done": m.done,
                        "done_at": when(m.done_at),
                        "created_at": when(m.created_at),
                        "private": m.mentorship_id is not None,
                    }
                    for m in milestones
                ],
                "journal": [
                    {
                        "id": j.id,
                        "body": j.body,
                        "created_at": when(j.created_at),
                        "private": j.mentorship_id is not None,
                    }
                    for j in journal
                ],
            }
        )
    return goals


def questions(user: User) -> list[dict]:
    return [
        {
            "id": q.id,
            "title": q.title,
            "body": q.body,
            "tags": [t.name for t in q.tags],
            "goal_id": q.goal_id,
            "anonymous": q.anonymous,
            "private": q.mentorship_id is not None,
            "score": q.score,
            "answer_count": q.answer_count,
            "answered_in_id": q.answered_in_id,
            "outcome": (
                {
                    "body": q.outcome.body,
                    "created_at": when(q.outcome.created_at),
                    "updated_at": when(q.outcome.updated_at),
                }
                if q.outcome
                else None
            ),
            "created_at": when(q.created_at),
            "updated_at": when(q.updated_at),
        }
        for q in rows(select(Question).where(Question.owner_id == user.id).order_by(Question.id))
    ]


def question_ref(user: User, question: Question | None) -> dict | None:
    """Where a post of theirs sits: the question's id and title, if the user may see it."""
    if question is None or not can_view_question(user, question):
        return None
    return {"id": question.id, "title": question.title}


def answers(user: User) -> list[dict]:
    return [
        {
            "id": a.id,
            "question_id": a.question_id,
            "question": question_ref(user, a.question),
            "body": a.body,
            "score": a.score,
            "helpful": a.helpful,
            "private": a.mentorship_id is not None,
            "created_at": when(a.created_at),
            "updated_at": when(a.updated_at),
        }
        for a in rows(select(Answer).where(Answer.owner_id == user.id).order_by(Answer.id))
    ]


def comments(user: User) -> list[dict]:
    return [
        {
            "id": c.id,
            "question_id": c.question_id,
            "answer_id": c.answer_id,
            "question": question_ref(user, thread_of(c)),
            "body": c.body,
            "private": c.mentorship_id is not None,
            "created_at": when(c.created_at),
        }
        for c in rows(select(Comment).where(Comment.author_id == user.id).order_by(Comment.id))
    ]


def revisions(user: User) -> list[dict]:
    return [
        {
            "id": r.id,
            "post_type": r.post_type,
            "post_id": r.post_id,
            "title": r.title,
            "body": r.body,
            "tags": list(r.tags or []),
            "created_at": when(r.created_at),
        }
        for r in rows(select(Revision).where(Revision.editor_id == user.id).order_by(Revision.id))
    ]


def votes(user: User) -> list[dict]:
    return [
        {
            "target_type": "question" if v.question_id is not None else "answer",
            "target_id": v.question_id if v.question_id is not None else v.answer_id,
            "value": v.value,
            "created_at": when(v.created_at),
            "updated_at": when(v.updated_at),
        }
        for v in rows(select(Vote).where(Vote.user_id == user.id).order_by(Vote.id))
    ]


def helpful(user: User) -> dict:
    given = rows(
        select(HelpfulMark).where(HelpfulMark.user_id == user.id).order_by(HelpfulMark.created_at)
    )
    received = rows(
        select(HelpfulMark)
        .join(Answer, Answer.id == HelpfulMark.answer_id)
        .where(Answer.owner_id == user.id)
        .order_by(HelpfulMark.created_at)
    )

    # Ids and dates only: who marked is the asker, who may have asked anonymously.
    def row(mark):
        return {"answer_id": mark.answer_id, "created_at": when(mark.created_at)}

    return {"given": [row(m) for m in given], "received": [row(m) for m in received]}

"""Data export (SPEC §1 "Data ownership"): everything a user wrote or received, as JSON.

What the user wrote is exported whole, private phases and anonymous questions included.
Whatever belongs to others (question titles their answers sit under, answers and comments
received, goal titles of mentorships, notification texts) passes the visibility gate as
this user, so the file never holds what they could not read on the site now: a later phase
of a goal they once mentored, or a mentorship they were not part of, stays out.
Secrets never leave: no password hash, no token digests (token dates are fine).
"""

from datetime import date, datetime

from sqlalchemy import or_, select

from app.core.asker import reveals_asker
from app.core.errors import Forbidden, NotFound
from app.core.posts import thread_of
from app.core.visibility import can_view_answer, can_view_comment, can_view_goal, can_view_question
from app.core.visible_queries import visible_answers, visible_goal_items
from app.extensions import db
from app.models import (
    Agreement,
    Answer,
    AnswerInvitation,
    ApiToken,
    Block,
    CheckIn,
    Comment,
    Follow,
    Goal,
    HelpfulMark,
    JournalEntry,
    Mentorship,
    MentorshipRequest,
    Message,
    Milestone,
    Notification,
    Question,
    Revision,
    User,
    Vote,
)
from app.models.base import utcnow
from app.services.account_deletion import public_username
from app.services.notification_feed import describe

SCHEMA_VERSION = 1


def _when(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _name(user: User | None) -> str | None:
    return public_username(user) if user is not None else None


def _all(query) -> list:
    return list(db.session.scalars(query).unique())


# -- the user's own things --------------------------------------------------------------------


def _profile(user: User) -> dict:
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
        "created_at": _when(user.created_at),
        "updated_at": _when(user.updated_at),
    }


def _tokens(user: User) -> list[dict]:
    return [
        {
            "id": t.id,
            "created_at": _when(t.created_at),
            "expires_at": _when(t.expires_at),
            "revoked_at": _when(t.revoked_at),
            "last_used_at": _when(t.last_used_at),
        }
        for t in _all(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id))
    ]


def _goals(user: User) -> list[dict]:
    goals = []
    for goal in _all(select(Goal).where(Goal.owner_id == user.id).order_by(Goal.id)):
        milestones = _all(visible_goal_items(user, Milestone, goal).order_by(Milestone.position))
        journal = _all(
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
                "mentor": _name(goal.mentor),
                "target_date": _when(goal.target_date),
                "summary": goal.summary,
                "created_at": _when(goal.created_at),
                "updated_at": _when(goal.updated_at),
                "milestones": [
                    {
                        "id": m.id,
                        "title": m.title,
                        "position": m.position,
                        "due_date": _when(m.due_date),
                        "done": m.done,
                        "done_at": _when(m.done_at),
                        "created_at": _when(m.created_at),
                        "private": m.mentorship_id is not None,
                    }
                    for m in milestones
                ],
                "journal": [
                    {
                        "id": j.id,
                        "body": j.body,
                        "created_at": _when(j.created_at),
                        "private": j.mentorship_id is not None,
                    }
                    for j in journal
                ],
            }
        )
    return goals


def _questions(user: User) -> list[dict]:
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
                    "created_at": _when(q.outcome.created_at),
                    "updated_at": _when(q.outcome.updated_at),
                }
                if q.outcome
                else None
            ),
            "created_at": _when(q.created_at),
            "updated_at": _when(q.updated_at),
        }
        for q in _all(select(Question).where(Question.owner_id == user.id).order_by(Question.id))
    ]


def _question_ref(user: User, question: Question | None) -> dict | None:
    """Where a post of theirs sits: the question's id and title, if the user may see it."""
    if question is None or not can_view_question(user, question):
        return None
    return {"id": question.id, "title": question.title}


def _answers(user: User) -> list[dict]:
    return [
        {
            "id": a.id,
            "question_id": a.question_id,
            "question": _question_ref(user, a.question),
            "body": a.body,
            "score": a.score,
            "helpful": a.helpful,
            "private": a.mentorship_id is not None,
            "created_at": _when(a.created_at),
            "updated_at": _when(a.updated_at),
        }
        for a in _all(select(Answer).where(Answer.owner_id == user.id).order_by(Answer.id))
    ]


def _comments(user: User) -> list[dict]:
    return [
        {
            "id": c.id,
            "question_id": c.question_id,
            "answer_id": c.answer_id,
            "question": _question_ref(user, thread_of(c)),
            "body": c.body,
            "private": c.mentorship_id is not None,
            "created_at": _when(c.created_at),
        }
        for c in _all(select(Comment).where(Comment.author_id == user.id).order_by(Comment.id))
    ]


def _revisions(user: User) -> list[dict]:
    return [
        {
            "id": r.id,
            "post_type": r.post_type,
            "post_id": r.post_id,
            "title": r.title,
            "body": r.body,
            "tags": list(r.tags or []),
            "created_at": _when(r.created_at),
        }
        for r in _all(select(Revision).where(Revision.editor_id == user.id).order_by(Revision.id))
    ]


def _votes(user: User) -> list[dict]:
    return [
        {
            "target_type": "question" if v.question_id is not None else "answer",
            "target_id": v.question_id if v.question_id is not None else v.answer_id,
            "value": v.value,
            "created_at": _when(v.created_at),
            "updated_at": _when(v.updated_at),
        }
        for v in _all(select(Vote).where(Vote.user_id == user.id).order_by(Vote.id))
    ]


def _helpful(user: User) -> dict:
    given = _all(
        select(HelpfulMark).where(HelpfulMark.user_id == user.id).order_by(HelpfulMark.created_at)
    )
    received = _all(
        select(HelpfulMark)
        .join(Answer, Answer.id == HelpfulMark.answer_id)
        .where(Answer.owner_id == user.id)
        .order_by(HelpfulMark.created_at)
    )

    # Ids and dates only: who marked is the asker, who may have asked anonymously.
    def row(mark):
        return {"answer_id": mark.answer_id, "created_at": _when(mark.created_at)}

    return {"given": [row(m) for m in given], "received": [row(m) for m in received]}


# -- what others wrote to them (through the gate) ---------------------------------------------


def _author(user: User, question: Question | None, author: User) -> str | None:
    """The author's name as this user may know it (None for a hidden anonymous asker)."""
    if question is not None and reveals_asker(user, question, author.id):
        return None
    return public_username(author)


def _received(user: User) -> dict:
    answers = _all(
        visible_answers(user)
        .where(Question.owner_id == user.id, Answer.owner_id != user.id)
        .order_by(Answer.id)
    )
    my_answers = select(Answer.id).where(Answer.owner_id == user.id)
    my_questions = select(Question.id).where(Question.owner_id == user.id)
    candidates = _all(
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
                "created_at": _when(comment.created_at),
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
                "created_at": _when(a.created_at),
            }
            for a in answers
            if can_view_answer(user, a)
        ],
        "comments": comments,
    }


def _social(user: User) -> dict:
    follows = _all(select(Follow).where(Follow.user_id == user.id).order_by(Follow.created_at))
    blocks = _all(select(Block).where(Block.blocker_id == user.id).order_by(Block.created_at))
    invited = _all(select(AnswerInvitation).where(AnswerInvitation.user_id == user.id))
    sent = _all(select(AnswerInvitation).where(AnswerInvitation.invited_by_id == user.id))
    return {
        "follows": [
            {
                "target_type": f.target_type,
                "target_id": f.target_id,
                "created_at": _when(f.created_at),
            }
            for f in follows
        ],
        "blocks": [
            {
                "username": _name(db.session.get(User, b.blocked_id)),
                "created_at": _when(b.created_at),
            }
            for b in blocks
        ],
        "answer_invitations": {
            "received": [
                {
                    "question": _question_ref(user, db.session.get(Question, i.question_id)),
                    "created_at": _when(i.created_at),
                }
                for i in invited
            ],
            "sent": [
                {
                    "question_id": i.question_id,
                    "username": _name(i.user),
                    "created_at": _when(i.created_at),
                }
                for i in sent
            ],
        },
    }


def _notifications(user: User) -> list[dict]:
    notes = _all(
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
                "created_at": _when(item.created_at),
            }
        )
    return items


def _goal_ref(user: User, goal_id: int) -> dict:
    goal = db.session.get(Goal, goal_id)
    visible = goal is not None and can_view_goal(user, goal)
    return {"id": goal_id, "title": goal.title if goal is not None and visible else None}


def _requests(user: User) -> dict:
    def row(r: MentorshipRequest) -> dict:
        return {
            "id": r.id,
            "goal": _goal_ref(user, r.goal_id),
            "protege": _name(r.protege),
            "mentor": _name(r.mentor),
            "message": r.message,
            "status": r.status,
            "created_at": _when(r.created_at),
            "expires_at": _when(r.expires_at),
            "responded_at": _when(r.responded_at),
        }

    query = select(MentorshipRequest).order_by(MentorshipRequest.id)
    return {
        "sent": [row(r) for r in _all(query.where(MentorshipRequest.protege_id == user.id))],
        "received": [row(r) for r in _all(query.where(MentorshipRequest.mentor_id == user.id))],
    }


def _mentorships(user: User) -> list[dict]:
    """The phases the user took part in: only their own (never a later mentor's)."""
    phases = _all(
        select(Mentorship)
        .where(or_(Mentorship.protege_id == user.id, Mentorship.mentor_id == user.id))
        .order_by(Mentorship.id)
    )
    out = []
    for m in phases:
        messages = _all(
            select(Message)
            .where(Message.mentorship_id == m.id)
            .order_by(Message.created_at, Message.id)
        )
        agreements = _all(
            select(Agreement).where(Agreement.mentorship_id == m.id).order_by(Agreement.version)
        )
        checkins = _all(
            select(CheckIn)
            .where(CheckIn.mentorship_id == m.id)
            .order_by(CheckIn.scheduled_at, CheckIn.id)
        )
        out.append(
            {
                "id": m.id,
                "goal": _goal_ref(user, m.goal_id),
                "role": "protege" if m.protege_id == user.id else "mentor",
                "protege": _name(m.protege),
                "mentor": _name(m.mentor),
                "state": m.state,
                "started_at": _when(m.started_at),
                "ended_at": _when(m.ended_at),
                "end_reason": m.end_reason,
                "messages": [
                    {
                        "id": x.id,
                        "sender": _name(x.sender),
                        "body": x.body,
                        "created_at": _when(x.created_at),
                    }
                    for x in messages
                ],
                "agreements": [
                    {
                        "version": a.version,
                        "author": _name(a.author),
                        "modes": a.mode_list,
                        "cadence": a.cadence,
                        "response_time_hours": a.response_hours,
                        "success_criteria": a.success_criteria,
                        "created_at": _when(a.created_at),
                    }
                    for a in agreements
                ],
                "checkins": [
                    {
                        "id": c.id,
                        "author": _name(c.author),
                        "scheduled_at": _when(c.scheduled_at),
                        "agenda": c.agenda,
                        "notes": c.notes,
                        "created_at": _when(c.created_at),
                        "updated_at": _when(c.updated_at),
                    }
                    for c in checkins
                ],
            }
        )
    return out


def export_user_data(user: User) -> dict:
    """Everything the user wrote or received, as a JSON-ready dict (see module docstring)."""
    if user is None or user.is_deleted:
        raise NotFound("This account does not exist.")
    if user.is_suspended:
        raise Forbidden("This account is suspended; ask the moderators for a copy of your data.")
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_at": _when(utcnow()),
        "profile": _profile(user),
        "api_tokens": _tokens(user),
        "goals": _goals(user),
        "questions": _questions(user),
        "answers": _answers(user),
        "comments": _comments(user),
        "revisions": _revisions(user),
        "votes": _votes(user),
        "helpful_marks": _helpful(user),
        "received": _received(user),
        **_social(user),
        "notifications": _notifications(user),
        "mentorship_requests": _requests(user),
        "mentorships": _mentorships(user),
    }

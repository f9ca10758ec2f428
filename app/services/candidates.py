"""Who a goal's owner might invite as mentor, ranked as SPEC §1 says, with a reason each.

First the people who answered this goal's questions (by "helped me" marks, then votes).
Then recommended mentors (SPEC §1 Discovery: ``mentor_recommendations.recommend``, scored by
``mentor_ranking.rank_mentors``). Never the owner, never anyone blocked either way, never a
deleted or suspended account.
"""

from __future__ import annotations

from collections import defaultdict

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Answer, Goal, HelpfulMark, Question, User
from app.search.documents import doc_id_for, html_to_text
from app.services.blocks import blocked_ids_of
from app.services.goals import require_goal_owner
from app.services.mentor_ranking import MAX_CANDIDATES, plural
from app.services.mentor_recommendations import recommend

ANSWERS_SHOWN = 3


def _answerers(goal: Goal, refused: set[int]) -> list[dict]:
    rows = db.session.execute(
        select(
            Answer.owner_id,
            func.count(HelpfulMark.answer_id).label("helpful"),
            func.coalesce(func.sum(Answer.score), 0).label("votes"),
            func.count(Answer.id).label("answers"),
        )
        .join(Question, Answer.question_id == Question.id)
        .outerjoin(HelpfulMark, HelpfulMark.answer_id == Answer.id)
        .where(
            Question.goal_id == goal.id,
            Answer.owner_id != goal.owner_id,
            Answer.owner_id.notin_(refused or {-1}),
            # Hidden by moderators (rule 3 of the gate): no evidence for anyone.
            Answer.hidden_at.is_(None),
            Question.hidden_at.is_(None),
        )
        .group_by(Answer.owner_id)
        .order_by(
            func.count(HelpfulMark.answer_id).desc(),
            func.coalesce(func.sum(Answer.score), 0).desc(),
            Answer.owner_id,
        )
        .limit(MAX_CANDIDATES)
    ).all()
    if not rows:
        return []
    owners = [r.owner_id for r in rows]
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(owners)))}
    shown: dict[int, list[Answer]] = defaultdict(list)
    for answer in db.session.scalars(
        select(Answer)
        .join(Question, Answer.question_id == Question.id)
        .where(
            Question.goal_id == goal.id,
            Answer.owner_id.in_(owners),
            Answer.hidden_at.is_(None),
            Question.hidden_at.is_(None),
        )
        .options(
            selectinload(Answer.question).lazyload(Question.tags), selectinload(Answer.helpful_mark)
        )
        .order_by(Answer.score.desc(), Answer.id)
    ):
        if len(shown[answer.owner_id]) < ANSWERS_SHOWN:
            shown[answer.owner_id].append(answer)
    found = []
    for row in rows:
        votes = int(row.votes)
        found.append(
            {
                "user": users[row.owner_id],
                "helpful": row.helpful,
                "votes": votes,
                "answers": shown[row.owner_id],
                "reason": f"{plural(row.helpful, 'helpful answer')} and {plural(votes, 'vote')} "
                f"on this goal ({plural(row.answers, 'answer')} in all)",
            }
        )
    return found


def _goal_text(goal: Goal) -> str:
    return f"{goal.title}\n{html_to_text(goal.description_html)}"


def _recommended(goal: Goal, owner: User, exclude: set[int], limit: int) -> list[dict]:
    if limit <= 0:
        return []
    own_questions = list(db.session.scalars(select(Question.id).where(Question.goal_id == goal.id)))
    tag_names = [tag.name for tag in goal.tags]  # loaded with the goal
    recs = recommend(
        _goal_text(goal),
        tag_names,
        exclude_users=exclude,
        exclude_doc_ids=[
            doc_id_for("goal", goal.id),
            *(doc_id_for("question", q) for q in own_questions[-99:]),
        ],
        exclude_question_ids=own_questions,
        owner_timezone=owner.timezone,
        limit=limit,
        cache_key=(current_app.config["SEARCH_INDEX_DIR"], "goal", goal.id),
    )
    if not recs:
        return []
    users = {
        u.id: u
        for u in db.session.scalars(select(User).where(User.id.in_([r.user_id for r in recs])))
    }
    evidence_ids = [i for r in recs for i in r.answer_ids[:ANSWERS_SHOWN]]
    evidence = (
        {
            a.id: a
            for a in db.session.scalars(
                select(Answer)
                .where(Answer.id.in_(evidence_ids))
                .options(
                    selectinload(Answer.question).lazyload(Question.tags),
                    selectinload(Answer.helpful_mark),
                )
            )
        }
        if evidence_ids
        else {}
    )
    # "helpful" and "votes" stay about this goal (the API's helpful_on_goal/votes_on_goal).
    return [
        {
            "user": users[r.user_id],
            "helpful": 0,
            "votes": 0,
            "reason": r.reason,
            "answers": [evidence[i] for i in r.answer_ids[:ANSWERS_SHOWN] if i in evidence],
            "recommendation": r,
        }
        for r in recs
        if r.user_id in users and not users[r.user_id].is_suspended
    ]


def mentor_candidates(owner: User, goal: Goal) -> list[dict]:
    """Ranked candidates for the owner's invite dialog (never the owner)."""
    require_goal_owner(owner, goal)
    refused = blocked_ids_of(owner)  # never suggest someone blocked, either way
    # A deleted or suspended account keeps its answers but can no longer mentor anyone.
    first = [
        c
        for c in _answerers(goal, refused)
        if not c["user"].is_deleted and not c["user"].is_suspended
    ]
    seen = {goal.owner_id, *refused, *(c["user"].id for c in first)}
    return first + _recommended(goal, owner, seen, max(0, MAX_CANDIDATES - len(first)))

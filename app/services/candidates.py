"""Who a goal's owner might invite as mentor, ranked as SPEC §1 says, with a reason each.

First the people who answered this goal's questions (by "helped me" marks, then votes),
then mentors available on the goal's topics (by topic overlap, then reputation).
"""

from sqlalchemy import func, select

from app.extensions import db
from app.models import Answer, Goal, HelpfulMark, Question, User
from app.models.goals import goal_tags
from app.models.tags import user_mentor_topics, user_skills
from app.services.blocks import blocked_ids_of
from app.services.goals import require_goal_owner

MAX_CANDIDATES = 10
ANSWERS_SHOWN = 3


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _answerers(goal: Goal) -> list[dict]:
    rows = db.session.execute(
        select(Answer.owner_id, func.count(HelpfulMark.answer_id).label("helpful"),
               func.coalesce(func.sum(Answer.score), 0).label("votes"),
               func.count(Answer.id).label("answers"))
        .join(Question, Answer.question_id == Question.id)
        .outerjoin(HelpfulMark, HelpfulMark.answer_id == Answer.id)
        .where(Question.goal_id == goal.id, Answer.owner_id != goal.owner_id)
        .group_by(Answer.owner_id)
        .order_by(func.count(HelpfulMark.answer_id).desc(),
                  func.coalesce(func.sum(Answer.score), 0).desc(), Answer.owner_id)
        .limit(MAX_CANDIDATES)).all()
    users = {u.id: u for u in db.session.scalars(
        select(User).where(User.id.in_([r.owner_id for r in rows])))}
    found = []
    for row in rows:
        answers = db.session.scalars(
            select(Answer).join(Question, Answer.question_id == Question.id)
            .where(Question.goal_id == goal.id, Answer.owner_id == row.owner_id)
            .order_by(Answer.score.desc(), Answer.id).limit(ANSWERS_SHOWN)).all()
        votes = int(row.votes)
        found.append({
            "user": users[row.owner_id], "helpful": row.helpful, "votes": votes,
            "answers": answers,
            "reason": f"{_plural(row.helpful, 'helpful answer')} and {_plural(votes, 'vote')} "
                      f"on this goal ({_plural(row.answers, 'answer')} in all)",
        })
    return found


def _topic_mentors(goal: Goal, exclude: set[int], limit: int) -> list[dict]:
    tag_ids = select(goal_tags.c.tag_id).where(goal_tags.c.goal_id == goal.id)
    overlap = (select(user_mentor_topics.c.user_id.label("user_id"),
                      user_mentor_topics.c.tag_id.label("tag_id"))
               .where(user_mentor_topics.c.tag_id.in_(tag_ids))
               .union(select(user_skills.c.user_id, user_skills.c.tag_id)
                      .where(user_skills.c.tag_id.in_(tag_ids)))).subquery()
    rows = db.session.execute(
        select(User, func.count(overlap.c.tag_id).label("shared"))
        .join(overlap, overlap.c.user_id == User.id)
        .where(User.mentor_available.is_(True), User.id.notin_(exclude or {-1}))
        .group_by(User.id).order_by(func.count(overlap.c.tag_id).desc(),
                                    User.reputation.desc(), User.id)
        .limit(limit)).all()
    return [{"user": user, "helpful": 0, "votes": 0, "answers": [],
             "reason": f"available as a mentor; shares {_plural(shared, 'topic')} with this goal"}
            for user, shared in rows]


def mentor_candidates(owner: User, goal: Goal) -> list[dict]:
    """Ranked candidates for the owner's invite dialog (never the owner)."""
    require_goal_owner(owner, goal)
    refused = blocked_ids_of(owner)  # never suggest someone blocked, either way
    first = [c for c in _answerers(goal) if c["user"].id not in refused]
    seen = {goal.owner_id, *refused, *(c["user"].id for c in first)}
    return first + _topic_mentors(goal, seen, max(0, MAX_CANDIDATES - len(first)))

"""Where a person helped: "helped me" marks on their answers, counted per question tag.

Counts public, named activity only, whoever looks (SPEC §1 rule 7): the gate's base query as
an anonymous reader sees it, so nothing inside a closed goal, nothing hidden by moderators,
and no answer of an anonymous asker on their own question (which would name them) counts.
The owner sees the same numbers as everyone else here.
"""

from dataclasses import dataclass

from sqlalchemy import func, or_

from app.core.asker import can_see_asker_clause
from app.core.visible_queries import visible_answers
from app.extensions import db
from app.models import Answer, HelpfulMark, Question, Tag, User
from app.models.questions import question_tags

TOP_TAGS = 8


@dataclass
class TagCount:
    """One bar of the "where they helped" chart."""

    tag: str
    count: int
    share: int  # 1-100: bar length relative to the largest count


def helped_by_tag(user: User, limit: int = TOP_TAGS) -> list[TagCount]:
    """The tags of the public questions where this user's answers were marked "helped me"."""
    answers = visible_answers(None).where(
        Answer.owner_id == user.id,
        or_(can_see_asker_clause(None), Question.owner_id != Answer.owner_id),
    )
    rows = db.session.execute(
        answers.with_only_columns(Tag.name, func.count(HelpfulMark.answer_id.distinct()))
        .join(HelpfulMark, HelpfulMark.answer_id == Answer.id)
        .join(question_tags, question_tags.c.question_id == Answer.question_id)
        .join(Tag, Tag.id == question_tags.c.tag_id)
        .group_by(Tag.name)
        .order_by(func.count(HelpfulMark.answer_id.distinct()).desc(), Tag.name)
        .limit(limit)
    ).all()
    top = max((count for _name, count in rows), default=0)
    return [TagCount(name, count, max(1, round(100 * count / top))) for name, count in rows]

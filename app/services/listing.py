"""View data for lists of threads: plain-text excerpts and public activity per thread.

Everything is read through the gate (visible_answers): a list never shows a "helped me" mark
or an answer time that the viewer could not see on the thread itself.
"""

import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime

import nh3
from sqlalchemy import func

from app.core.visible_queries import visible_answers
from app.extensions import db
from app.models import Answer, HelpfulMark

EXCERPT_LENGTH = 180
_SPACE = re.compile(r"\s+")
# Block ends become spaces, so "<p>a</p><p>b</p>" reads "a b", not "ab".
_BLOCK = re.compile(r"<(/?)(p|li|h[1-6]|pre|div|blockquote|br|tr|td|th|ul|ol)\b", re.I)


def excerpt(body_html: str | None, limit: int = EXCERPT_LENGTH) -> str:
    """The first words of rendered (already sanitised) HTML as plain text, cut at a word."""
    spaced = _BLOCK.sub(r" <\1\2", body_html or "")
    text = _SPACE.sub(" ", html.unescape(nh3.clean(spaced, tags=set()))).strip()
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] or text[:limit]
    return cut.rstrip(" ,.;:") + "…"


@dataclass
class ThreadCard:
    """What a list row shows about one question besides its own columns."""

    excerpt: str
    helped: bool = False
    last_answer_at: datetime | None = None


def question_cards(viewer, questions) -> dict[int, ThreadCard]:
    """Excerpt, "helped me" state and latest visible answer time for each listed question."""
    cards = {q.id: ThreadCard(excerpt(q.body_html)) for q in questions}
    if not cards:
        return cards
    answers = visible_answers(viewer).where(Answer.question_id.in_(list(cards)))
    for question_id, latest in db.session.execute(
        answers.with_only_columns(Answer.question_id, func.max(Answer.created_at)).group_by(
            Answer.question_id
        )
    ):
        cards[question_id].last_answer_at = latest
    helped = (
        answers.with_only_columns(Answer.question_id)
        .join(HelpfulMark, HelpfulMark.answer_id == Answer.id)
        .distinct()
    )
    for question_id in db.session.scalars(helped):
        cards[question_id].helped = True
    return cards


def _span(seconds: float) -> str:
    for size, unit in (
        (365 * 86400, "year"),
        (30 * 86400, "month"),
        (86400, "day"),
        (3600, "hour"),
        (60, "minute"),
    ):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return ""


def ago(moment: datetime | None, now: datetime | None = None) -> str:
    """ "3 days ago", "in 2 hours", or "just now" (under a minute either way)."""
    if moment is None:
        return ""
    now = now or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    seconds = (now - moment).total_seconds()
    span = _span(abs(seconds))
    if not span:
        return "just now"
    return f"{span} ago" if seconds > 0 else f"in {span}"

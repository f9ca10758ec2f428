"""Similar threads: as-you-type on /ask, beside every question and goal, and in the API.

The as-you-type list (new text) is looked up live. Lists beside a post are computed off the
request path by the indexer and its background refresh (``list_keys``, stored by
similar_store) and shared by every worker and node; a page view only reads the stored ids
and re-checks each through the visibility gate, so a goal that has just closed never
appears. A post without a stored list yet shows none: a page view never computes one.
"""

import logging
from functools import cache

from sqlalchemy import BindParameter, Select, bindparam, null, select

from app.core.posts import GOAL, POST_TYPES, QUESTION
from app.core.visible_queries import visible_goals, visible_questions
from app.extensions import db
from app.models import Goal, Question
from app.search import hybrid
from app.search.documents import doc_id_for, html_to_text
from app.search.result_cache import remembered
from app.search.service import get_backend
from app.search.similar_store import stored

log = logging.getLogger(__name__)
MIN_TEXT_CHARS = 4  # shorter titles match too much to be worth a lookup
MAX_LIMIT = 20
BESIDE_POST = 5  # threads listed beside a question or goal
SLACK = 3  # extra hits fetched so that a few failing the gate still leave a full list
STORED = BESIDE_POST + SLACK  # ids kept per post (the lookup fetches SLACK more still)


@cache
def _public_columns(kind: str) -> Select:
    """The gate's base query for anonymous readers as plain columns, for ids (:ids).

    Built once per process: an anonymous reader's base query has no per-request part, and
    building it cost more than running it (~0.5 ms of SQLAlchemy per call). Whole posts as
    objects would cost more than the lookup itself.
    """
    ids: BindParameter[list[int]] = bindparam("ids", expanding=True)
    if kind == QUESTION:
        return (
            visible_questions(None)
            .with_only_columns(Question.id, Question.title, Question.answer_count, Question.goal_id)
            .where(Question.id.in_(ids))
        )
    return (
        visible_goals(None)
        .with_only_columns(Goal.id, Goal.title, null(), null())
        .where(Goal.id.in_(ids))
    )


def _public_items(
    keys: list[tuple[str, int, float]], limit: int, *, skip_goal_id: int | None = None
) -> list[dict]:
    """Re-read the hits' rows and keep those an anonymous reader may see, in order."""
    rows = {}
    for kind in {k for k, _, _ in keys}:
        ids = [i for k, i, _ in keys if k == kind]
        rows.update(
            {(kind, r[0]): r for r in db.session.execute(_public_columns(kind), {"ids": ids})}
        )
    items = []
    for kind, object_id, score in keys:
        row = rows.get((kind, object_id))
        # The index can lag a closing goal or a deletion: the database decides, always.
        if row is None:
            continue
        object_id, title, answer_count, goal_id = row
        if skip_goal_id is not None and kind == QUESTION and goal_id == skip_goal_id:
            continue  # a goal's own questions (asked since its list was computed)
        items.append(
            {
                "type": kind,
                "id": object_id,
                "title": title,
                "url": POST_TYPES[kind].url(row),
                "answer_count": answer_count,
                "score": round(score, 4),
            }
        )
        if len(items) == limit:
            break
    return items


def _lookup(
    text: str, limit: int, exclude: list[str], types, *, answers: bool = False
) -> list[tuple[str, int, float]]:
    """(type, id, score) of the index's best matches; [] when the index cannot answer."""
    try:
        # Words and meaning fused (app/search/hybrid.py); words only with SIMILAR_HYBRID=0.
        return hybrid.lookup(text, limit + SLACK, exclude, types, answers=answers)
    except Exception:  # a broken index must not break the page that shows the list
        log.exception("similar-threads lookup failed")
        return []


def similar_to_text(
    text: str, *, limit: int = 5, exclude_question_id: int | None = None
) -> list[dict]:
    """Public questions like a title being typed (or any text), best first."""
    text = (text or "").strip()
    limit = min(max(1, limit), MAX_LIMIT)
    if len(text) < MIN_TEXT_CHARS:
        return []
    exclude = [doc_id_for("question", exclude_question_id)] if exclude_question_id else []

    def lookup() -> list[tuple[str, int, float]]:
        return _lookup(text, limit, exclude, ("question",))

    try:
        # Titles typed on /ask repeat (and so do API clients): a repeat while the index is
        # unchanged costs a dictionary lookup. The gate still re-checks every id below.
        keys = remembered(get_backend(), ("similar", text, limit, *exclude), lookup)
    except Exception:  # no index version to key on: _lookup copes (and logs) by itself
        keys = lookup()
    return _public_items(keys, limit)


def _question_text(question: Question) -> str:
    return f"{question.title}\n{html_to_text(question.body_html)}"


def _goal_text(goal: Goal) -> str:
    return f"{goal.title}\n{html_to_text(goal.description_html)}"


def _goal_exclude(goal: Goal) -> list[str]:
    own = db.session.scalars(
        select(Question.id)
        .where(Question.goal_id == goal.id)
        .order_by(Question.id.desc())
        .limit(99)
    )
    return [doc_id_for("goal", goal.id), *(doc_id_for("question", i) for i in own)]


def list_keys(kind: str, row) -> list[tuple[str, int, float]]:
    """Compute the list beside a post, for storing (the indexer only: never on a page view)."""
    # Answers count as evidence for their thread here (off the request path: it costs more).
    if kind == QUESTION:
        exclude = [doc_id_for(QUESTION, row.id)]
        return _lookup(_question_text(row), STORED, exclude, (QUESTION,), answers=True)
    # A goal: public goals and questions like it, leaving out the goal's own questions.
    return _lookup(_goal_text(row), STORED, _goal_exclude(row), (GOAL, QUESTION), answers=True)


def similar_to_question(question: Question) -> list[dict]:
    """Other public questions like this one, from its stored list (none before it exists)."""
    return _public_items(stored("question", question.id) or [], BESIDE_POST)


def similar_to_goal(goal: Goal) -> list[dict]:
    """Public goals and questions like this goal, from its stored list, minus its questions."""
    return _public_items(stored("goal", goal.id) or [], BESIDE_POST, skip_goal_id=goal.id)

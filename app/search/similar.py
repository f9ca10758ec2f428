"""Similar threads: as-you-type on /ask, beside every question and goal, and in the API.

The as-you-type list (new text) is looked up live. Lists beside a post are computed off the
request path by the indexer and its background refresh (``list_keys``, stored by
similar_store) and shared by every worker and node; a page view only reads the stored ids
and re-checks each through the visibility gate, so a goal that has just closed never
appears. A post without a stored list yet shows none: a page view never computes one.
"""

import logging

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Goal, Question
from app.search.documents import doc_id_for, html_to_text
from app.search.service import get_backend, search_ready
from app.search.similar_store import stored
from app.services.visibility import can_view_goal, can_view_question

log = logging.getLogger(__name__)
MIN_TEXT_CHARS = 4  # shorter titles match too much to be worth a lookup
MAX_LIMIT = 20
BESIDE_POST = 5  # threads listed beside a question or goal
SLACK = 3  # extra hits fetched so that a few failing the gate still leave a full list
STORED = BESIDE_POST + SLACK  # ids kept per post (the lookup fetches SLACK more still)
MODELS = {"question": Question, "goal": Goal}
PUBLIC = {"question": can_view_question, "goal": can_view_goal}


def _url(kind: str, row) -> str:
    return f"/goals/{row.id}" if kind == "goal" else f"/questions/{row.id}"


def _public_items(keys: list[tuple[str, int, float]], limit: int, *,
                  skip_goal_id: int | None = None) -> list[dict]:
    """Re-read the hits' rows and keep those an anonymous reader may see, in order."""
    rows = {}
    for kind in {k for k, _, _ in keys}:
        model = MODELS[kind]
        ids = [i for k, i, _ in keys if k == kind]
        options = [selectinload(Question.goal)] if kind == "question" else []
        rows.update({(kind, r.id): r for r in db.session.scalars(
            select(model).options(*options).where(model.id.in_(ids)))})
    items = []
    for kind, object_id, score in keys:
        row = rows.get((kind, object_id))
        # The index can lag a closing goal or a deletion: the database decides, always.
        if row is None or not PUBLIC[kind](None, row):
            continue
        if skip_goal_id is not None and kind == "question" and row.goal_id == skip_goal_id:
            continue  # a goal's own questions (asked since its list was computed)
        items.append({"type": kind, "id": row.id, "title": row.title, "url": _url(kind, row),
                      "answer_count": row.answer_count if kind == "question" else None,
                      "score": round(score, 4)})
        if len(items) == limit:
            break
    return items


def _lookup(text: str, limit: int, exclude: list[str], types) -> list[tuple[str, int, float]]:
    """(type, id, score) of the index's best matches; [] when the index cannot answer."""
    if not search_ready():  # this node's index is being rebuilt: no list beats a partial one
        return []
    try:
        hits = get_backend().similar(text, limit=limit + SLACK, exclude_doc_ids=exclude,
                                     types=types)
    except Exception:  # a broken index must not break the page that shows the list
        log.exception("similar-threads lookup failed")
        return []
    return [(hit.type, hit.id, hit.score) for hit in hits]


def similar_to_text(text: str, *, limit: int = 5, exclude_question_id: int | None = None
                    ) -> list[dict]:
    """Public questions like a title being typed (or any text), best first."""
    text = (text or "").strip()
    limit = min(max(1, limit), MAX_LIMIT)
    if len(text) < MIN_TEXT_CHARS:
        return []
    exclude = [doc_id_for("question", exclude_question_id)] if exclude_question_id else []
    return _public_items(_lookup(text, limit, exclude, ("question",)), limit)


def _question_text(question: Question) -> str:
    return f"{question.title}\n{html_to_text(question.body_html)}"


def _goal_text(goal: Goal) -> str:
    return f"{goal.title}\n{html_to_text(goal.description_html)}"


def _goal_exclude(goal: Goal) -> list[str]:
    own = db.session.scalars(select(Question.id).where(Question.goal_id == goal.id)
                             .order_by(Question.id.desc()).limit(99))
    return [doc_id_for("goal", goal.id), *(doc_id_for("question", i) for i in own)]


def list_keys(kind: str, row) -> list[tuple[str, int, float]]:
    """Compute the list beside a post, for storing (the indexer only: never on a page view)."""
    if kind == "question":
        return _lookup(_question_text(row), STORED, [doc_id_for("question", row.id)],
                       ("question",))
    # A goal: public goals and questions like it, leaving out the goal's own questions.
    return _lookup(_goal_text(row), STORED, _goal_exclude(row), ("goal", "question"))


def similar_to_question(question: Question) -> list[dict]:
    """Other public questions like this one, from its stored list (none before it exists)."""
    return _public_items(stored("question", question.id) or [], BESIDE_POST)


def similar_to_goal(goal: Goal) -> list[dict]:
    """Public goals and questions like this goal, from its stored list, minus its questions."""
    return _public_items(stored("goal", goal.id) or [], BESIDE_POST, skip_goal_id=goal.id)

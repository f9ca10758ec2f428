"""Similar threads: as-you-type on /ask, beside every question and goal, and in the API.

Lists beside a post are cached per process, keyed by the post and the index version, so a
change to the index (any post added, edited or removed) makes every cached list stale. Only
ids are cached: each list is re-read and re-checked through the visibility gate whenever it
is shown, so a goal that has just closed never appears, cached or not.
"""

import logging
import threading
from collections import OrderedDict

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.models import Goal, Question
from app.search import hybrid
from app.search.documents import doc_id_for, html_to_text
from app.search.service import get_backend, search_ready
from app.services.visibility import can_view_goal, can_view_question

log = logging.getLogger(__name__)
MIN_TEXT_CHARS = 4  # shorter titles match too much to be worth a lookup
MAX_LIMIT = 20
BESIDE_POST = 5  # threads listed beside a question or goal
SLACK = 3  # extra hits fetched so that a few failing the gate still leave a full list
CACHE_SIZE = 4096
MODELS = {"question": Question, "goal": Goal}
PUBLIC = {"question": can_view_question, "goal": can_view_goal}


class _VersionedCache:
    """A small LRU of hit lists; an entry is valid only for the index version it came from."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key, version):
        with self._lock:
            entry = self._items.get(key)
            if entry is None or entry[0] != version:
                return None
            self._items.move_to_end(key)
            return entry[1]

    def put(self, key, version, value) -> None:
        with self._lock:
            self._items[key] = (version, value)
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_cache = _VersionedCache(CACHE_SIZE)


def _url(kind: str, row) -> str:
    return f"/goals/{row.id}" if kind == "goal" else f"/questions/{row.id}"


def _public_items(keys: list[tuple[str, int, float]], limit: int) -> list[dict]:
    """Re-read the hits' rows and keep those an anonymous reader may see, in order."""
    rows = {}
    for kind in {k for k, _, _ in keys}:
        model = MODELS[kind]
        ids = [i for k, i, _ in keys if k == kind]
        rows.update({(kind, r.id): r for r in db.session.scalars(
            select(model).where(model.id.in_(ids)))})
    items = []
    for kind, object_id, score in keys:
        row = rows.get((kind, object_id))
        # The index can lag a closing goal or a deletion: the database decides, always.
        if row is None or not PUBLIC[kind](None, row):
            continue
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
        # Words and meaning fused (app/search/hybrid.py); words only with SIMILAR_HYBRID=0.
        return hybrid.lookup(text, limit + SLACK, exclude, types)
    except Exception:  # a broken index must not break the page that shows the list
        log.exception("similar-threads lookup failed")
        return []


def similar_to_text(text: str, *, limit: int = 5, exclude_question_id: int | None = None
                    ) -> list[dict]:
    """Public questions like a title being typed (or any text), best first."""
    text = (text or "").strip()
    limit = min(max(1, limit), MAX_LIMIT)
    if len(text) < MIN_TEXT_CHARS:
        return []
    exclude = [doc_id_for("question", exclude_question_id)] if exclude_question_id else []
    return _public_items(_lookup(text, limit, exclude, ("question",)), limit)


def _cached(key: tuple, text, exclude, types) -> list[dict]:
    """The list beside a post: text and exclusions are computed only on a cache miss."""
    try:
        version = get_backend().version()
    except Exception:
        log.exception("search index unavailable")
        return []
    # Backend and index directory are part of the key: apps in one process may differ.
    key = (current_app.config.get("SEARCH_BACKEND"), current_app.config["SEARCH_INDEX_DIR"],
           *key)
    keys = _cache.get(key, version)
    if keys is None:
        keys = _lookup(text(), BESIDE_POST, exclude(), types)
        _cache.put(key, version, keys)
    return _public_items(keys, BESIDE_POST)


def similar_to_question(question: Question) -> list[dict]:
    """Other public questions like this one (its title and body), for the thread page."""
    return _cached(("question", question.id),
                   lambda: f"{question.title}\n{html_to_text(question.body_html)}",
                   lambda: [doc_id_for("question", question.id)], ("question",))


def similar_to_goal(goal: Goal) -> list[dict]:
    """Public goals and questions like this goal, leaving out the goal's own questions."""

    def exclude() -> list[str]:
        own = db.session.scalars(select(Question.id).where(Question.goal_id == goal.id)
                                 .order_by(Question.id.desc()).limit(99))
        return [doc_id_for("goal", goal.id), *(doc_id_for("question", i) for i in own)]

    return _cached(("goal", goal.id),
                   lambda: f"{goal.title}\n{html_to_text(goal.description_html)}",
                   exclude, ("goal", "question"))

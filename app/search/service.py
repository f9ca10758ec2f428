"""The app's entry to search: one backend per process, and drift checks."""

import os
from functools import cache, lru_cache

from flask import current_app
from markupsafe import Markup
from sqlalchemy import BindParameter, bindparam, null

from app.core.errors import ValidationFailed
from app.core.pagination import Page
from app.core.posts import GOAL, INDEXED, POST_TYPES, QUESTION, indexed_types
from app.core.transaction import write_transaction
from app.core.visible_queries import visible_answers, visible_goals, visible_questions
from app.extensions import db
from app.models import Answer, Goal, Question
from app.search import vectors
from app.search.backend import SearchBackend
from app.search.documents import html_to_text, parse_doc_id
from app.search.indexer import all_public_documents, drain
from app.search.outbox import enqueue
from app.search.postgres_backend import PostgresBackend
from app.search.query import parse_query
from app.search.result_cache import cached_search
from app.search.whoosh_backend import WhooshBackend

# Keyed by (pid, where): a backend opened before a fork must not be reused after it.
_backends: dict[tuple[int, str, str], SearchBackend] = {}


def get_backend() -> SearchBackend:
    """This process's backend as configured (SEARCH_BACKEND), opened lazily."""
    if current_app.config.get("SEARCH_BACKEND", "whoosh") == "postgres":
        if db.engine.dialect.name != "postgresql":
            raise RuntimeError("SEARCH_BACKEND=postgres needs a PostgreSQL DATABASE_URL")
        key = (os.getpid(), "postgres", db.engine.url.render_as_string(hide_password=True))
        if key not in _backends:
            _backends[key] = PostgresBackend(db.engine)
        return _backends[key]
    key = (os.getpid(), "whoosh", current_app.config["SEARCH_INDEX_DIR"])
    if key not in _backends:
        os.makedirs(key[2], exist_ok=True)
        _backends[key] = WhooshBackend(key[2])
    return _backends[key]


def apply_pending() -> int:
    """Apply everything queued in the outbox to the index."""
    return drain(get_backend())


def rebuild_index(progress=None) -> int:
    """Rebuild the whole index from the database and swap it in atomically, then vectors."""
    # A lazy generator: database reads start only once rebuild() holds the index lock. The
    # vectors are computed from the same stream and stored at its end (vectors.Rebuild).
    return get_backend().rebuild(vectors.Rebuild().feed(all_public_documents()), progress=progress)


def public_doc_ids() -> set[str]:
    """Doc ids of every post an anonymous reader may see, from the gate's base queries."""
    queries = {}
    for post_type in indexed_types():
        # Every indexed type has a base query in the gate (only comments have none).
        assert post_type.visible_query is not None
        queries[post_type.doc_type] = post_type.visible_query(None).with_only_columns(
            post_type.model.id
        )
    ids = {f"{kind}:{i}" for kind, query in queries.items() for i in db.session.scalars(query)}
    db.session.rollback()
    return ids


def check_index(repair: bool = True) -> tuple[set[str], set[str]]:
    """Compare index and database: (missing from index, extra in index); repair if asked."""
    backend = get_backend()
    backend.refresh()
    expected, indexed = public_doc_ids(), backend.doc_ids()
    missing, extra = expected - indexed, indexed - expected
    if repair:
        if extra:
            backend.remove_documents(extra)
        by_type: dict[str, list[int]] = {}
        for doc_id in missing:
            doc_type, _, raw = doc_id.partition(":")
            by_type.setdefault(doc_type, []).append(int(raw))
        with write_transaction() as session:
            for doc_type, ids in by_type.items():
                enqueue(session, doc_type, ids)
    return missing, extra


def check_vectors(repair: bool = True) -> tuple[set[str], set[str]]:
    """Compare post vectors and database: (missing or broken, extra); repair if asked."""
    missing, extra = vectors.drift(public_doc_ids())
    if repair:
        vectors.remove(extra)
        with write_transaction() as session:
            for doc_type in vectors.VECTOR_TYPES:
                enqueue(
                    session,
                    doc_type,
                    [parse_doc_id(i)[1] for i in missing if i.startswith(f"{doc_type}:")],
                )
    return missing, extra


SORTS = ("relevance", "newest", "votes")

SUGGESTION_CHECK = 20  # hits read to confirm a did-you-mean finds something visible


def search_posts(text, *, doc_type=None, tag=None, sort="relevance", page=1, per_page=20):
    """Search public posts; every hit is re-read and re-checked against the visibility gate."""
    if sort not in SORTS:
        raise ValidationFailed("Unknown sort.", {"sort": [f"One of: {', '.join(SORTS)}."]})
    if doc_type not in (None, *INDEXED):
        raise ValidationFailed("Unknown type.", {"type": ["One of: goal, question, answer."]})
    query = parse_query(
        text, sort=sort, types=[doc_type] if doc_type else (), tags=[tag] if tag else ()
    )
    if query.is_empty:
        return Page(items=[], page=page, per_page=per_page, total=0), None
    backend = get_backend()
    backend.refresh()
    results = cached_search(backend, query, page, per_page)
    public_rows = _public_rows(results.hits)
    items = []
    for hit in results.hits:
        row = public_rows.get((hit.type, hit.id))
        if row is None:
            continue
        items.append(
            {
                "type": hit.type,
                "id": row.id,
                "title": row.title,
                # The row carries what the type's url needs (id; an answer's question_id).
                "url": POST_TYPES[hit.type].url(row),
                "snippet": _snippet(backend.highlight, row.html, results.terms),
                "score": round(hit.score, 4),
            }
        )
    # Hits the gate dropped are not counted either (exact when the results fit one page).
    total = results.total - (len(results.hits) - len(items))
    suggestion = results.suggestion
    if suggestion and not _finds_public(backend, suggestion, query):
        suggestion = None
    return Page(items=items, page=page, per_page=per_page, total=total), suggestion


@lru_cache(maxsize=2048)
def _snippet(highlight, html: str, terms: frozenset[str]) -> Markup:
    """A hit's highlighted excerpt; the same post for the same words is common (popular
    queries, pages revisited), and parsing its HTML and marking it cost ~1 ms per hit."""
    # highlight() escapes the text itself and adds only <mark> (tested).
    return Markup(highlight(html_to_text(html), terms))  # noqa: S704


def _public_rows(hits) -> dict:
    """(id, title, html, question_id) of the hits an anonymous reader may see now.

    The index may lag a closing goal or a deletion by a moment: the database decides,
    through the gate's base queries (plain columns: loading whole posts and their goals as
    objects cost more than the search itself on a cached query).
    """
    rows = {}
    for kind in {hit.type for hit in hits}:
        ids = [hit.id for hit in hits if hit.type == kind]
        rows.update(
            {(kind, r.id): r for r in db.session.execute(_public_columns(kind), {"ids": ids})}
        )
    return rows


@cache
def _public_columns(kind: str):
    """The statement for kind's rows (:ids), built once per process: an anonymous reader's
    base query has no per-request part, and building it cost ~0.5 ms of SQLAlchemy."""
    ids: BindParameter[list[int]] = bindparam("ids", expanding=True)
    if kind == GOAL:
        return (
            visible_goals(None)
            .with_only_columns(
                Goal.id,
                Goal.title,
                Goal.description_html.label("html"),
                null().label("question_id"),
            )
            .where(Goal.id.in_(ids))
        )
    if kind == QUESTION:
        return (
            visible_questions(None)
            .with_only_columns(
                Question.id,
                Question.title,
                Question.body_html.label("html"),
                Question.id.label("question_id"),
            )
            .where(Question.id.in_(ids))
        )
    # An answer's result title is its question's.
    return (
        visible_answers(None)
        .with_only_columns(
            Answer.id, Question.title, Answer.body_html.label("html"), Answer.question_id
        )
        .where(Answer.id.in_(ids))
    )


def _finds_public(backend, suggestion: str, query) -> bool:
    """Whether a did-you-mean finds a post the gate shows: its words come from the index's
    term lists, which still hold the words of posts that are hidden now (before the indexer
    runs, and after it until segments merge), so an unchecked suggestion would spell out
    the title words of a closed goal's posts."""
    check = parse_query(suggestion, types=query.types, tags=query.tags)
    return bool(_public_rows(cached_search(backend, check, 1, SUGGESTION_CHECK).hits))

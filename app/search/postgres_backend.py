"""SearchBackend on PostgreSQL full-text search: one table shared by every web node.

The table ``search.search_documents`` (migration 0009) holds one row per public post with a
generated, weighted tsvector (A title, B tags, C body) under a GIN index, and a trigram GIN
index on titles. User text only ever reaches PostgreSQL as bound parameters of
``plainto_tsquery`` / ``phraseto_tsquery`` (which accept any string); the site's operators
(tag:, [tag], user:, is:, answers:) are parsed by app.search.query and become SQL conditions.
Not ``websearch_to_tsquery``: it reads OR and a leading "-" as operators, whereas on this
site "OR" is a stop word and "-rust" the word rust, and both backends must answer alike.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from html import escape
from itertools import islice

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from app.search import postgres_similar, postgres_suggest
from app.search.backend import BatchWrites, Hit, ProgressCallback, SearchResults
from app.search.documents import SearchDocument
from app.search.postgres_schema import (
    BUMP,
    HIT_COLUMNS,
    LEXEME_RE,
    TABLE,
    UPSERT,
    count_terms,
    document_row,
    pg_text,
)
from app.search.query import MAX_TERMS, SearchQuery

INDEXER_LOCK = 0x4A53_5345  # pg_advisory_lock key of the outbox indexer ("JSSE")
MAX_DEPTH = 1000  # deepest result a page may reach (as the Whoosh backend)
FEW_RESULTS = 3  # below this a did-you-mean is worth its cost
BATCH = 1000  # rows per INSERT statement in a rebuild
HIGHLIGHT_MAX_CHARS = 20_000
SNIPPET_CHARS = 200
# ts_headline marks matches with these private-use characters; the text is escaped
# afterwards and only they become <mark>, so no HTML from a post survives.
_OPEN, _CLOSE = "\ue000", "\ue001"


class PostgresBackend(BatchWrites):
    """Every call is one short transaction on the shared database: nothing is cached here."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    # -- query building -------------------------------------------------------------------
    @staticmethod
    def _tsquery_sql(query: SearchQuery, params: dict) -> str | None:
        """SQL for the text part: every word and phrase required (bound parameters only)."""
        parts = []
        budget = MAX_TERMS
        for n, word in enumerate(query.words):
            params[f"w{n}"] = word
            parts.append(f"plainto_tsquery('english', :w{n})")
            budget -= 1
        for n, phrase in enumerate(query.phrases):
            params[f"p{n}"] = " ".join(phrase.split()[: max(budget, 1)])
            parts.append(f"phraseto_tsquery('english', :p{n})")
        return " && ".join(parts) if parts else None

    @staticmethod
    def _filters_sql(query: SearchQuery, params: dict) -> list[str]:
        """The type/tag/user/answers filters as SQL conditions on indexed columns."""
        where = []
        if query.types:
            params["types"] = list(query.types)
            where.append("d.doc_type = ANY(:types)")
        if query.tags:
            params["tags"] = list(query.tags)
            where.append("d.tags @> CAST(:tags AS text[])")
        if query.users:
            params["users"] = list(query.users)
            where.append("d.author = ANY(:users)")
        if query.min_answers is not None or query.max_answers is not None:
            where.append("d.doc_type = 'question'")
            if query.min_answers is not None:
                params["min_answers"] = query.min_answers
                where.append("d.answer_count >= :min_answers")
            if query.max_answers is not None:
                params["max_answers"] = query.max_answers
                where.append("d.answer_count <= :max_answers")
        return where

    # -- reading --------------------------------------------------------------------------
    def search(self, query: SearchQuery, page: int = 1, per_page: int = 20) -> SearchResults:
        """One page of hits for a parsed query, with a did-you-mean when little is found."""
        page, per_page = max(1, int(page)), min(max(1, int(per_page)), 100)
        if query.is_empty:
            return SearchResults()
        params: dict = {}
        text_params: dict = {}
        ts_sql = self._tsquery_sql(query, text_params)
        where = self._filters_sql(query, params)
        sort = query.sort
        with self._engine.connect() as conn:
            terms: frozenset[str] = frozenset()
            if ts_sql is not None:
                # The analysed query, once: it tells whether any word survived the stop
                # list, and its lexemes are the terms to highlight.
                rendered = (
                    conn.execute(text(f"SELECT CAST({ts_sql} AS text)"), text_params).scalar() or ""
                )
                terms = frozenset(m.replace("''", "'") for m in LEXEME_RE.findall(rendered))
                if terms:
                    params["q"] = rendered
                    where.insert(0, "d.tsv @@ CAST(:q AS tsquery)")
            if not terms:
                if not query.has_filters:
                    return SearchResults()  # only stop words: nothing to look for
                sort = "newest" if sort == "relevance" else sort
            where_sql = " AND ".join(where) or "TRUE"
            total = conn.execute(
                text(f"SELECT count(*) FROM {TABLE} d WHERE {where_sql}"),  # noqa: S608
                params,
            ).scalar_one()
            hits: list[Hit] = []
            offset = (page - 1) * per_page
            limit = min(offset + per_page, MAX_DEPTH) - offset
            if total and limit > 0:
                hits = self._page(conn, where_sql, params, sort, terms, offset, limit)
        suggestion = None
        if page == 1 and total < FEW_RESULTS and query.words:
            suggestion = self.suggest(query.text)
        return SearchResults(hits=hits, total=total, suggestion=suggestion, terms=terms)

    def _page(
        self,
        conn: Connection,
        where_sql: str,
        params: dict,
        sort: str,
        terms: frozenset[str],
        offset: int,
        limit: int,
    ) -> list[Hit]:
        rank = "ts_rank_cd(d.tsv, CAST(:q AS tsquery))" if "q" in params else "0.0"
        order = {
            "relevance": "{a}rank DESC, {a}created_at DESC, {a}doc_id",
            "newest": "{a}created_at DESC, {a}doc_id",
            "votes": "{a}score DESC, {a}created_at DESC, {a}doc_id",
        }[sort]
        # Headlines only for the page's rows: the inner query sorts and cuts first.
        title_hl = (
            f"ts_headline('english', p.title, CAST(:q AS tsquery), "
            f"'HighlightAll=true, StartSel={_OPEN}, StopSel={_CLOSE}')"
            if "q" in params
            else "NULL"
        )
        rows = (
            conn.execute(
                text(
                    f"SELECT p.*, {title_hl} AS title_hl FROM ("  # noqa: S608  (constant SQL parts)
                    f"SELECT {HIT_COLUMNS}, d.created_at, {rank} AS rank FROM {TABLE} d "
                    f"WHERE {where_sql} ORDER BY {order.format(a='')} LIMIT :limit OFFSET :offset"
                    f") p ORDER BY {order.format(a='p.')}"
                ),
                {**params, "limit": limit, "offset": offset},
            )
            .mappings()
            .all()
        )
        scored = sort == "relevance" and bool(terms)
        return [
            Hit(
                doc_id=r["doc_id"],
                type=r["doc_type"],
                id=r["obj_id"],
                score=float(r["rank"]) if scored else 0.0,
                title=r["title"],
                votes=r["score"],
                answer_count=r["answer_count"],
                question_id=r["question_id"],
                goal_id=r["goal_id"],
                title_highlight=_marks(r["title_hl"]) if r["title_hl"] is not None else None,
            )
            for r in rows
        ]

    def highlight(self, text_: str, terms: Iterable[str], top: int = 2) -> str:
        """Escaped excerpt of text (the post's body from the database) with <mark>s."""
        body = pg_text((text_ or "")[:HIGHLIGHT_MAX_CHARS])
        body = body.replace(_OPEN, " ").replace(_CLOSE, " ")
        lexemes = [pg_text(t) for t in set(terms) if t and "\\" not in t]
        if lexemes:
            options = (
                f"StartSel={_OPEN}, StopSel={_CLOSE}, MaxFragments={max(1, int(top))}, "
                'MaxWords=30, MinWords=12, ShortWord=2, FragmentDelimiter=" … "'
            )
            with self._engine.connect() as conn:
                marked = conn.execute(
                    text(
                        "SELECT ts_headline('english', :body, (SELECT string_agg("
                        "quote_literal(t), ' | ')::tsquery FROM unnest(CAST(:terms AS text[])) t),"
                        " :options)"
                    ),
                    {"body": body, "terms": lexemes, "options": options},
                ).scalar()
            if marked and _OPEN in marked:
                return _marks(marked)
        if len(body) <= SNIPPET_CHARS:
            return escape(body, quote=False)
        return escape(body[:SNIPPET_CHARS].rsplit(" ", 1)[0], quote=False) + " …"

    def similar(
        self,
        text_: str,
        limit: int = 5,
        exclude_doc_ids: Iterable[str] = (),
        types: Iterable[str] = ("question",),
    ) -> list[Hit]:
        """Threads like text: the rarest few of its terms ORed (see postgres_similar)."""
        return postgres_similar.similar(self._engine, text_, limit, exclude_doc_ids, types)

    def suggest(self, text_: str) -> str | None:
        """Did-you-mean for a query text, from the words in titles (see postgres_suggest)."""
        return postgres_suggest.suggest(self._engine, text_)

    def doc_ids(self) -> set[str]:
        """Every doc_id in the table."""
        with self._engine.connect() as conn:
            return set(conn.execute(text(f"SELECT doc_id FROM {TABLE}")).scalars())  # noqa: S608

    def version(self) -> int:
        """The shared write counter: every node sees the same value, so caches agree."""
        with self._engine.connect() as conn:
            # One row, made by migration 0009 (its id is checked to be 1).
            return conn.execute(text("SELECT version FROM search.search_state")).scalar_one()

    def refresh(self) -> None:
        """Nothing to do: every search reads the shared table as of now."""

    def optimize(self) -> None:
        """Recount the term statistics and refresh the planner's (run in quiet periods)."""
        with self._engine.begin() as conn:
            count_terms(conn)
            conn.execute(text(f"ANALYZE {TABLE}"))

    def close(self) -> None:
        """Nothing held between calls: the engine's pool belongs to the app."""

    @contextlib.contextmanager
    def indexing_round(self) -> Iterator[None]:
        """Hold the cluster-wide indexer lock: one outbox round at a time across nodes."""
        with self._engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": INDEXER_LOCK})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": INDEXER_LOCK})
                conn.commit()

    # -- writing --------------------------------------------------------------------------
    def _write(self, latest: dict[str, SearchDocument], gone: set[str]) -> None:
        """One transaction for a batch apply() has reconciled (privacy wins: see BatchWrites)."""
        with self._engine.begin() as conn:
            conn.execute(BUMP)  # also waits for a rebuild in progress, which holds this row
            if gone:
                conn.execute(
                    text(f"DELETE FROM {TABLE} WHERE doc_id = ANY(:ids)"),  # noqa: S608
                    {"ids": sorted(gone)},
                )
            rows = [document_row(doc) for doc in sorted(latest.values(), key=lambda d: d.doc_id)]
            if rows:
                conn.execute(UPSERT, rows)

    def rebuild(
        self, docs: Iterable[SearchDocument], progress: ProgressCallback | None = None
    ) -> int:
        """Replace every document in one transaction: readers see the old set until commit.

        The state row is locked first, so an apply() meanwhile waits and lands on top of
        the new set instead of being lost; a failure rolls everything back.
        """
        seen: set[str] = set()
        count = 0

        def fresh():
            for doc in docs:
                if doc.doc_id not in seen:  # duplicates: the first copy wins
                    seen.add(doc.doc_id)
                    yield doc

        with self._engine.begin() as conn:
            conn.execute(BUMP)
            conn.execute(text(f"DELETE FROM {TABLE}"))  # noqa: S608
            stream = fresh()
            while batch := [document_row(doc) for doc in islice(stream, BATCH)]:
                conn.execute(UPSERT, batch)
                count += len(batch)
                if progress:
                    progress(count)
            count_terms(conn)
        if progress:
            progress(count)
        return count


def _marks(marked: str) -> str:
    """Escape a ts_headline result, then turn its private markers into <mark> elements."""
    return (
        escape(marked, quote=False)
        .replace(_OPEN, '<mark class="match">')
        .replace(_CLOSE, "</mark>")
    )

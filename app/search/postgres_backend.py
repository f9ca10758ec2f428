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
import math
import re
from collections.abc import Iterable, Iterator
from html import escape
from itertools import islice

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from app.search.backend import BatchWrites, Hit, ProgressCallback, SearchResults
from app.search.documents import DOC_TYPES, SearchDocument
from app.search.query import MAX_TERMS, SearchQuery, clean_text, parse_query
from app.search.whoosh_schema import TITLE_BOOST
from app.search.whoosh_terms import (
    COMMON_MIN_DOCS,
    COMMON_SHARE,
    KEY_TERMS,
    MIN_KEY_TERMS,
    RARE_DF,
    SIMILAR_STOP,
    TITLE_COMMON_SHARE,
    TITLE_KEY_TERMS,
)

TABLE = "search.search_documents"
INDEXER_LOCK = 0x4A53_5345  # pg_advisory_lock key of the outbox indexer ("JSSE")
MAX_DEPTH = 1000  # deepest result a page may reach (as the Whoosh backend)
FEW_RESULTS = 3  # below this a did-you-mean is worth its cost
SIMILAR_TITLE_TOKENS = 12  # up to this many terms the text is a title: title-only query
SIMILAR_MAX_CHARS = 5000
SIMILAR_MAX_LEXEMES = 40  # distinct terms of a long text whose frequency is looked up
# Document frequencies are counted up to this many posts: beyond it a term is common
# whatever the share says (counting every match of a common word costs a heap visit each).
DF_CAP = 2000
BATCH = 1000  # rows per INSERT statement in a rebuild
HIGHLIGHT_MAX_CHARS = 20_000
SNIPPET_CHARS = 200
SUGGEST_TITLES = 200  # titles read for did-you-mean candidates
SUGGEST_SIMILARITY = "0.2"  # pg_trgm word similarity: "pyhton" in "... python ..." is 0.29
# ts_headline marks matches with these private-use characters; the text is escaped
# afterwards and only they become <mark>, so no HTML from a post survives.
_OPEN, _CLOSE = "\ue000", "\ue001"
_WORD_RE = re.compile(r"[^\W\d_]{3,30}")
_TITLE_WORD_RE = re.compile(r"[^\W\d_]+")
_LEXEME_RE = re.compile(r"'((?:[^']|'')*)'")
_COLUMNS = (
    "doc_id",
    "doc_type",
    "obj_id",
    "question_id",
    "goal_id",
    "title",
    "body",
    "tags",
    "tags_text",
    "author",
    "score",
    "answer_count",
    "created_at",
)
_UPSERT = text(
    f"INSERT INTO {TABLE} ({', '.join(_COLUMNS)}) "  # noqa: S608  (constant names)
    f"VALUES ({', '.join(':' + c for c in _COLUMNS)}) "
    "ON CONFLICT (doc_id) DO UPDATE SET " + ", ".join(f"{c} = EXCLUDED.{c}" for c in _COLUMNS[1:])
)
_BUMP = text("UPDATE search.search_state SET version = version + 1 WHERE id = 1")
_HIT_COLUMNS = (
    "d.doc_id, d.doc_type, d.obj_id, d.question_id, d.goal_id, d.title, d.score, d.answer_count"
)


def _pg_text(value: str | None) -> str:
    """Text PostgreSQL accepts: no NUL bytes, lone surrogates replaced (they cannot be UTF-8)."""
    value = (value or "").replace("\x00", " ")
    return value if value.isascii() else value.encode("utf-8", "replace").decode("utf-8")


def _row(doc: SearchDocument) -> dict:
    """Bound parameters of one document."""
    tags = sorted({_pg_text(t.lower()).replace(" ", "") for t in doc.tags if t})
    return {
        "doc_id": doc.doc_id,
        "doc_type": doc.type,
        "obj_id": doc.id,
        "question_id": doc.question_id,
        "goal_id": doc.goal_id,
        "title": _pg_text(doc.title),
        "body": _pg_text(doc.body),
        "tags": tags,
        "tags_text": " ".join(tags),
        # Anonymous posts have no author at all, so no user: filter can ever find them.
        "author": _pg_text(doc.author.lower()) if doc.author else None,
        "score": int(doc.score),
        "answer_count": int(doc.answer_count),
        "created_at": doc.created_at,
    }


def _edit_distance(a: str, b: str, most: int) -> int:
    """Levenshtein distance, or most + 1 once it is known to exceed most."""
    if abs(len(a) - len(b)) > most:
        return most + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > most:
            return most + 1
        previous = current
    return previous[-1]


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
                terms = frozenset(m.replace("''", "'") for m in _LEXEME_RE.findall(rendered))
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
            ).scalar()
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
                    f"SELECT {_HIT_COLUMNS}, d.created_at, {rank} AS rank FROM {TABLE} d "
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
        body = _pg_text((text_ or "")[:HIGHLIGHT_MAX_CHARS])
        body = body.replace(_OPEN, " ").replace(_CLOSE, " ")
        lexemes = [_pg_text(t) for t in set(terms) if t and "\\" not in t]
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
        """Threads like text: the rarest few of its terms ORed, titles only for short text."""
        limit = min(max(1, int(limit)), 50)
        wanted = sorted({t for t in types if t in DOC_TYPES})
        cleaned = clean_text(text_, SIMILAR_MAX_CHARS)
        if not cleaned or not wanted:
            return []
        exclude = sorted(set(exclude_doc_ids))[:100]
        with self._engine.connect() as conn:
            counts = conn.execute(
                text(
                    "SELECT lexeme, coalesce(array_length(positions, 1), 1) "
                    "FROM unnest(to_tsvector('english', :t))"
                ),
                {"t": cleaned},
            ).all()
            n_tokens = sum(n for _, n in counts)
            title_only = n_tokens <= SIMILAR_TITLE_TOKENS
            counts = [(lex, n) for lex, n in counts if lex not in SIMILAR_STOP and "\\" not in lex]
            counts = sorted(counts, key=lambda c: (-c[1], c[0]))[:SIMILAR_MAX_LEXEMES]
            if not counts:
                return []
            terms = self._key_terms(conn, counts, title_only, 2 if exclude else 1)
            if not terms:
                return []
            # Title-only lookups match titles only (their own tsvector), as a title being
            # typed should; whole posts match anywhere. ts_rank_cd knows nothing of rarity,
            # so each term found counts its idf (x TITLE_BOOST in the title), as BM25 would
            # roughly; cover density only breaks ties. On the Stack Exchange links (with
            # title-only rarity for titles) duplicate Recall@5 went .423 -> .500 for both
            # modes against ts_rank_cd alone; Whoosh's BM25 still does better (.654/.731).
            vector = "d.title_tsv" if title_only else "d.tsv"
            rows = (
                conn.execute(
                    text(
                        "WITH t AS (SELECT * FROM unnest(CAST(:terms AS text[]), "  # noqa: S608
                        "CAST(:idfs AS float8[])) AS t(l, w)), "
                        "q AS (SELECT string_agg(quote_literal(l), ' | ')::tsquery AS q "
                        f"FROM t) SELECT {_HIT_COLUMNS}, (SELECT sum(CASE "
                        "WHEN d.title_tsv @@ quote_literal(t.l)::tsquery THEN :boost * t.w "
                        f"WHEN {vector} @@ quote_literal(t.l)::tsquery THEN t.w ELSE 0 END) "
                        f"FROM t) + 0.01 * ts_rank_cd({vector}, q.q, 1) AS rank "
                        f"FROM {TABLE} d, q WHERE {vector} @@ q.q AND d.doc_type = ANY(:types) "
                        "AND NOT (d.doc_id = ANY(:exclude)) "
                        "ORDER BY rank DESC, d.created_at DESC, d.doc_id LIMIT :limit"
                    ),
                    {
                        "terms": [t for t, _ in terms],
                        "idfs": [w for _, w in terms],
                        "boost": TITLE_BOOST,
                        "types": wanted,
                        "exclude": exclude,
                        "limit": limit,
                    },
                )
                .mappings()
                .all()
            )
        return [
            Hit(
                doc_id=r["doc_id"],
                type=r["doc_type"],
                id=r["obj_id"],
                score=float(r["rank"]),
                title=r["title"],
                votes=r["score"],
                answer_count=r["answer_count"],
                question_id=r["question_id"],
                goal_id=r["goal_id"],
            )
            for r in rows
        ]

    def _key_terms(
        self, conn: Connection, counts: list[tuple[str, int]], title_only: bool, min_frequency: int
    ) -> list[tuple[str, float]]:
        """The most telling terms, with their idf: frequent in the text, rare in the index."""
        total = self._doc_count(conn)
        share = TITLE_COMMON_SHARE if title_only else COMMON_SHARE
        common_above = min(total * share, DF_CAP - 1) if total >= COMMON_MIN_DOCS else total
        # A title lookup judges rarity among titles, as Whoosh's title field does.
        column, vector = ("ndoc_title", "d.title_tsv") if title_only else ("ndoc", "d.tsv")
        # Counted live only for lexemes the statistics do not know yet (new, so rare, so
        # cheap to count); COALESCE runs the subquery only for those.
        frequencies = dict(
            conn.execute(
                text(
                    f"SELECT t, COALESCE((SELECT s.{column} FROM search.search_terms s "  # noqa: S608
                    f"WHERE s.lexeme = t), (SELECT count(*) FROM (SELECT 1 FROM {TABLE} d "
                    f"WHERE {vector} @@ quote_literal(t)::tsquery LIMIT :cap) c)) "
                    "FROM unnest(CAST(:terms AS text[])) t"
                ),
                {"terms": [lex for lex, _ in counts], "cap": DF_CAP},
            ).all()
        )
        weights, common, idfs = {}, {}, {}
        for lexeme, count in counts:
            frequency = frequencies.get(lexeme, 0)
            if frequency < min_frequency:
                continue  # unknown terms cost time for nothing
            weight = (1 + math.log(count)) * math.log(1 + max(total, 1) / frequency)
            (common if frequency > common_above else weights)[lexeme] = weight
            idfs[lexeme] = math.log(1 + max(total, 1) / frequency)
        chosen = sorted(weights, key=lambda t: (-weights[t], t))[
            : TITLE_KEY_TERMS if title_only else KEY_TERMS
        ]
        if len(chosen) < MIN_KEY_TERMS:
            chosen += sorted(common, key=lambda t: (-common[t], t))[: MIN_KEY_TERMS - len(chosen)]
        return [(term, idfs[term]) for term in chosen]

    @staticmethod
    def _doc_count(conn: Connection) -> int:
        """Live documents, estimated by the planner when large (an exact count costs ms)."""
        estimate = (
            conn.execute(
                text("SELECT reltuples::bigint FROM pg_class WHERE oid = CAST(:t AS regclass)"),
                {"t": TABLE},
            ).scalar()
            or 0
        )
        if estimate > 10 * COMMON_MIN_DOCS:
            return int(estimate)
        return conn.execute(text(f"SELECT count(*) FROM {TABLE}")).scalar()  # noqa: S608

    def suggest(self, text_: str) -> str | None:
        """Did-you-mean for a query text, from the words in titles; None if nothing better."""
        query = parse_query(text_)
        if not query.words:
            return None
        rewritten = query.text
        with self._engine.begin() as conn:
            conn.execute(
                text("SELECT set_config('pg_trgm.word_similarity_threshold', :s, true)"),
                {"s": SUGGEST_SIMILARITY},
            )
            for word in dict.fromkeys(w.lower() for w in query.words):
                if not _WORD_RE.fullmatch(word):
                    continue  # numbers, code
                lexemes = conn.execute(
                    text("SELECT CAST(plainto_tsquery('english', :w) AS text)"), {"w": word}
                ).scalar()
                if not lexemes or len(_LEXEME_RE.findall(lexemes)) != 1:
                    continue  # a stop word
                seen = conn.execute(
                    text(
                        f"SELECT count(*) FROM (SELECT 1 FROM {TABLE} d "  # noqa: S608
                        "WHERE d.tsv @@ plainto_tsquery('english', :w) LIMIT :cap) s"
                    ),
                    {"w": word, "cap": RARE_DF + 1},
                ).scalar()
                if seen > RARE_DF:
                    continue
                # A word found once may be a rare word spelled right: want a far commoner one.
                best = self._best_correction(conn, word, minimum=4 * seen if seen else 2)
                if best:  # replace the free word only, not an operator's value (user:word)
                    rewritten = re.sub(
                        rf"(?<![\w:\[]){re.escape(word)}(?![\w\]])",
                        best,
                        rewritten,
                        flags=re.IGNORECASE,
                    )
        return rewritten if rewritten != query.text else None

    @staticmethod
    def _best_correction(conn: Connection, word: str, minimum: int) -> str | None:
        titles = conn.execute(
            text(
                f"SELECT lower(title) FROM {TABLE} d WHERE lower(d.title) %> :w "  # noqa: S608
                "LIMIT :n"
            ),
            {"w": word, "n": SUGGEST_TITLES},
        ).scalars()
        by_distance: dict[int, set[str]] = {1: set(), 2: set()}
        for title in titles:
            for candidate in _TITLE_WORD_RE.findall(title):
                # Few typos hit the first letter, as Whoosh's prefix=1.
                if candidate != word and candidate[0] == word[0] and len(candidate) >= 3:
                    distance = _edit_distance(word, candidate, 2)
                    if distance <= 2:
                        by_distance[distance].add(candidate)
        for distance in (1, 2):  # the nearest spelling wins, then the most frequent one
            found = []
            for candidate in sorted(by_distance[distance])[:20]:
                # Letters only (the regex above), so the ":A" suffix cannot form an operator.
                count = conn.execute(
                    text(
                        f"SELECT count(*) FROM {TABLE} d WHERE d.tsv @@ "  # noqa: S608
                        "to_tsquery('english', :c || :title)"
                    ),
                    {"c": candidate, "title": ":A"},
                ).scalar()
                if count >= minimum:
                    found.append((count, candidate))
            if found:
                return max(found)[1]
        return None

    def doc_ids(self) -> set[str]:
        """Every doc_id in the table."""
        with self._engine.connect() as conn:
            return set(conn.execute(text(f"SELECT doc_id FROM {TABLE}")).scalars())  # noqa: S608

    def version(self) -> int:
        """The shared write counter: every node sees the same value, so caches agree."""
        with self._engine.connect() as conn:
            return conn.execute(text("SELECT version FROM search.search_state")).scalar()

    def refresh(self) -> None:
        """Nothing to do: every search reads the shared table as of now."""

    def optimize(self) -> None:
        """Recount the term statistics and refresh the planner's (run in quiet periods)."""
        with self._engine.begin() as conn:
            _count_terms(conn)
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
            conn.execute(_BUMP)  # also waits for a rebuild in progress, which holds this row
            if gone:
                conn.execute(
                    text(f"DELETE FROM {TABLE} WHERE doc_id = ANY(:ids)"),  # noqa: S608
                    {"ids": sorted(gone)},
                )
            rows = [_row(doc) for doc in sorted(latest.values(), key=lambda d: d.doc_id)]
            if rows:
                conn.execute(_UPSERT, rows)

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
            conn.execute(_BUMP)
            conn.execute(text(f"DELETE FROM {TABLE}"))  # noqa: S608
            stream = fresh()
            while batch := [_row(doc) for doc in islice(stream, BATCH)]:
                conn.execute(_UPSERT, batch)
                count += len(batch)
                if progress:
                    progress(count)
            _count_terms(conn)
        if progress:
            progress(count)
        return count


def _count_terms(conn: Connection) -> None:
    """Recompute search.search_terms from the documents (seconds at 150k posts)."""
    conn.execute(text("DELETE FROM search.search_terms"))
    conn.execute(
        text(
            "INSERT INTO search.search_terms (lexeme, ndoc, ndoc_title) "  # noqa: S608
            "SELECT a.word, a.ndoc, coalesce(t.ndoc, 0) "
            f"FROM ts_stat('SELECT tsv FROM {TABLE}') a "
            f"LEFT JOIN ts_stat('SELECT tsv FROM {TABLE}', 'a') t ON t.word = a.word"
        )
    )


def _marks(marked: str) -> str:
    """Escape a ts_headline result, then turn its private markers into <mark> elements."""
    return (
        escape(marked, quote=False)
        .replace(_OPEN, '<mark class="match">')
        .replace(_CLOSE, "</mark>")
    )

"""similar() on PostgreSQL: the rarest few of a text's terms ORed, weighted by their idf."""

from __future__ import annotations

import math
from collections.abc import Iterable

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from app.search.backend import Hit
from app.search.documents import DOC_TYPES
from app.search.postgres_schema import HIT_COLUMNS, TABLE
from app.search.query import clean_text
from app.search.whoosh_schema import TITLE_BOOST
from app.search.whoosh_terms import (
    COMMON_MIN_DOCS,
    COMMON_SHARE,
    KEY_TERMS,
    MIN_KEY_TERMS,
    SIMILAR_STOP,
    TITLE_COMMON_SHARE,
    TITLE_KEY_TERMS,
)

SIMILAR_TITLE_TOKENS = 12  # up to this many terms the text is a title: title-only query
SIMILAR_MAX_CHARS = 5000
SIMILAR_MAX_LEXEMES = 40  # distinct terms of a long text whose frequency is looked up
# Document frequencies are counted up to this many posts: beyond it a term is common
# whatever the share says (counting every match of a common word costs a heap visit each).
DF_CAP = 2000


def similar(
    engine: Engine,
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
    with engine.connect() as conn:
        lexemes = conn.execute(
            text(
                "SELECT lexeme, coalesce(array_length(positions, 1), 1) "
                "FROM unnest(to_tsvector('english', :t))"
            ),
            {"t": cleaned},
        ).all()
        n_tokens = sum(n for _, n in lexemes)
        title_only = n_tokens <= SIMILAR_TITLE_TOKENS
        counts: list[tuple[str, int]] = [
            (lex, n) for lex, n in lexemes if lex not in SIMILAR_STOP and "\\" not in lex
        ]
        counts = sorted(counts, key=lambda c: (-c[1], c[0]))[:SIMILAR_MAX_LEXEMES]
        if not counts:
            return []
        terms = _key_terms(conn, counts, title_only, 2 if exclude else 1)
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
                    f"FROM t) SELECT {HIT_COLUMNS}, (SELECT sum(CASE "
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
    conn: Connection, counts: list[tuple[str, int]], title_only: bool, min_frequency: int
) -> list[tuple[str, float]]:
    """The most telling terms, with their idf: frequent in the text, rare in the index."""
    total = _doc_count(conn)
    share = TITLE_COMMON_SHARE if title_only else COMMON_SHARE
    common_above = min(total * share, DF_CAP - 1) if total >= COMMON_MIN_DOCS else total
    # A title lookup judges rarity among titles, as Whoosh's title field does.
    column, vector = ("ndoc_title", "d.title_tsv") if title_only else ("ndoc", "d.tsv")
    # Counted live only for lexemes the statistics do not know yet (new, so rare, so
    # cheap to count); COALESCE runs the subquery only for those.
    frequencies: dict[str, int] = dict(
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
    weights: dict[str, float] = {}
    common: dict[str, float] = {}
    idfs: dict[str, float] = {}
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
    return conn.execute(text(f"SELECT count(*) FROM {TABLE}")).scalar_one()  # noqa: S608

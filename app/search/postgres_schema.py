"""The PostgreSQL search table: its columns, one document as a row, the term statistics."""

from __future__ import annotations

import re

from sqlalchemy import text
from sqlalchemy.engine import Connection

from app.search.documents import SearchDocument

TABLE = "search.search_documents"
LEXEME_RE = re.compile(r"'((?:[^']|'')*)'")
COLUMNS = (
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
UPSERT = text(
    f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) "  # noqa: S608  (constant names)
    f"VALUES ({', '.join(':' + c for c in COLUMNS)}) "
    "ON CONFLICT (doc_id) DO UPDATE SET " + ", ".join(f"{c} = EXCLUDED.{c}" for c in COLUMNS[1:])
)
BUMP = text("UPDATE search.search_state SET version = version + 1 WHERE id = 1")
HIT_COLUMNS = (
    "d.doc_id, d.doc_type, d.obj_id, d.question_id, d.goal_id, d.title, d.score, d.answer_count"
)


def pg_text(value: str | None) -> str:
    """Text PostgreSQL accepts: no NUL bytes, lone surrogates replaced (they cannot be UTF-8)."""
    value = (value or "").replace("\x00", " ")
    return value if value.isascii() else value.encode("utf-8", "replace").decode("utf-8")


def document_row(doc: SearchDocument) -> dict:
    """Bound parameters of one document."""
    tags = sorted({pg_text(t.lower()).replace(" ", "") for t in doc.tags if t})
    return {
        "doc_id": doc.doc_id,
        "doc_type": doc.type,
        "obj_id": doc.id,
        "question_id": doc.question_id,
        "goal_id": doc.goal_id,
        "title": pg_text(doc.title),
        "body": pg_text(doc.body),
        "tags": tags,
        "tags_text": " ".join(tags),
        # Anonymous posts have no author at all, so no user: filter can ever find them.
        "author": pg_text(doc.author.lower()) if doc.author else None,
        "score": int(doc.score),
        "answer_count": int(doc.answer_count),
        "created_at": doc.created_at,
    }


def count_terms(conn: Connection) -> None:
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

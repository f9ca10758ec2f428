"""Whoosh schema, document fields, query objects built from a SearchQuery, and highlighting.

A full rebuild (one process or several) is written by whoosh_build.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from whoosh import writing
from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.lang import porter2
from whoosh.query import And, NumericRange, Or, Phrase, Query, Term
from whoosh.sorting import FieldFacet, MultiFacet

from app.search.documents import SearchDocument
from app.search.query import MAX_TERMS, TAG_RE, SearchQuery
from app.search.whoosh_analysis import FastStemmingAnalyzer
from app.search.whoosh_codec import JxCodec, JxPositions

# A title boost of 2 ranked better than 6 (shared notes, whoosh-measurements.md). It is an
# index-time field boost, so queries must not boost title terms again.
TITLE_BOOST = 2.0
# Tokens longer than this are base64, hashes or garbage: indexing them only bloats terms.
MAX_TOKEN_CHARS = 60
# Segments as separate files: opening a compound segment copies its files into memory, so
# a new searcher after each commit would cost ~60 ms at 150k posts and the index's size in
# RAM per process; plain files open in about a millisecond and stay in the page cache.
# JxCodec: postings blocks numpy reads without unpickling (whoosh_codec).
WRITER_ARGS = {"compound": False, "codec": JxCodec()}
MAX_SEGMENTS = 12  # more segments slow every query; merge small ones beyond this
# Sort orders as (column, descending) keys, most significant first; ties by document number.
SORT_COLUMNS = {
    "newest": (("created_at", True),),
    "votes": (("score", True), ("created_at", True)),
}
SORTS = {
    name: MultiFacet([FieldFacet(column, reverse=desc) for column, desc in keys])
    for name, keys in SORT_COLUMNS.items()
}
TEXT_FIELDS = ("title", "body")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def make_analyzer():
    """Lowercase, stop words out, Porter2 stems: the same at index and query time."""
    # Not the default porter.stem: in whoosh3 3.54 it leaves doubled consonants
    # ("running" -> "runn", "hopped" -> "hopp"), so "running" would never find "run".
    return FastStemmingAnalyzer(stemfn=porter2.stem, maxsize=MAX_TOKEN_CHARS)


def make_schema() -> Schema:
    """The index layout; changing it needs a `flask search reindex`."""
    analyzer = make_analyzer()
    return Schema(
        doc_id=ID(unique=True, stored=True),
        type=KEYWORD(stored=True, lowercase=True, commas=True),
        id=STORED(),  # never queried: doc_id is the key
        tags=KEYWORD(lowercase=True, commas=True, scorable=True),
        author=KEYWORD(lowercase=True, commas=True),
        # Stored so hits can carry a highlighted title without a database read.
        title=_text(analyzer, stored=True, spelling=True, field_boost=TITLE_BOOST),
        body=_text(analyzer),
        # One index term per number (shift_step = bits): the default trie of 8-16 terms
        # per value made numbers a third of all postings and indexing 40% slower, and we
        # never run wide numeric ranges. Dates are microseconds since the epoch (UTC).
        created_at=_number(64, sortable=True),
        score=_number(32, stored=True, sortable=True),
        answer_count=_number(32, stored=True),
        question_id=_number(64, stored=True),
        goal_id=_number(64, stored=True),
    )


def _text(analyzer, field_boost: float = 1.0, **kwargs) -> TEXT:
    """A TEXT field whose positions are arrays (JxPositions), so phrases are numpy's to check."""
    field = TEXT(analyzer=analyzer, field_boost=field_boost, **kwargs)
    field.format = JxPositions(field_boost=field_boost)
    return field


def _number(bits: int, **kwargs) -> NUMERIC:
    return NUMERIC(int, bits=bits, signed=True, shift_step=bits, **kwargs)


def to_micros(value: datetime) -> int:
    """Microseconds since the epoch of an aware datetime (naive means UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return (value - _EPOCH) // timedelta(microseconds=1)


def merge_policy(writer, segments):
    """Commit small batches without merging (fast); merge small segments when they pile up."""
    if len(segments) > MAX_SEGMENTS:
        return writing.MERGE_SMALL(writer, segments)
    return writing.NO_MERGE(writer, segments)


def document_fields(doc: SearchDocument) -> dict:
    """Keyword arguments for writer.add_document / update_document."""
    fields = {
        "doc_id": doc.doc_id,
        "type": doc.type,
        "id": doc.id,
        "title": doc.title or "",
        "body": doc.body or "",
        "created_at": to_micros(doc.created_at),
        "score": int(doc.score),
        "answer_count": int(doc.answer_count),
    }
    tags = [t.lower() for t in doc.tags if t and "," not in t]
    if tags:
        fields["tags"] = ",".join(tags)
    if doc.author:  # anonymous posts have no author term at all
        fields["author"] = doc.author.lower()
    if doc.question_id is not None:
        fields["question_id"] = int(doc.question_id)
    if doc.goal_id is not None:
        fields["goal_id"] = int(doc.goal_id)
    return fields


def analyse(analyzer, text: str) -> list[str]:
    """Index terms of text (stemmed, stop words removed), in order."""
    return [token.text for token in analyzer(text)]


def _any_text_field(term: str) -> Query:
    return Or([Term(name, term) for name in TEXT_FIELDS])


def text_query(query: SearchQuery, analyzer) -> tuple[Query | None, frozenset[str]]:
    """Every word and phrase required, each matched in title or body; plus matched terms."""
    groups: list[Query] = []
    terms: set[str] = set()
    budget = MAX_TERMS
    for word in query.words:
        tokens = analyse(analyzer, word)[:budget]
        if not tokens:
            continue  # a stop word alone must not turn into a required tag match
        budget -= len(tokens)
        terms.update(tokens)
        words = [_any_text_field(t) for t in tokens]
        group = words[0] if len(words) == 1 else And(words)
        tag = word.lower()
        if TAG_RE.fullmatch(tag):  # "python" also finds posts tagged python
            group = Or([group, Term("tags", tag)])
        groups.append(group)
    for phrase in query.phrases:
        tokens = analyse(analyzer, phrase)[:budget]
        if not tokens:
            continue
        budget -= len(tokens)
        terms.update(tokens)
        if len(tokens) == 1:
            groups.append(_any_text_field(tokens[0]))
        else:
            groups.append(Or([Phrase(name, tokens) for name in TEXT_FIELDS]))
    if not groups:
        return None, frozenset(terms)
    return (groups[0] if len(groups) == 1 else And(groups)), frozenset(terms)


def filter_query(query: SearchQuery) -> Query | None:
    """The type/tag/user/answers filters as index terms (never text matching)."""
    parts: list[Query] = []
    if query.types:
        parts.append(Or([Term("type", t) for t in query.types]))
    parts.extend(Term("tags", tag) for tag in query.tags)
    if query.users:
        parts.append(Or([Term("author", user) for user in query.users]))
    if query.min_answers is not None or query.max_answers is not None:
        parts.append(Term("type", "question"))
        parts.append(NumericRange("answer_count", query.min_answers, query.max_answers))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else And(parts)


def any_of(fieldname: str, values: Iterable[str]) -> Query | None:
    """Or of Terms over distinct values, or None when there are none."""
    distinct = sorted({v for v in values if v})
    if not distinct:
        return None
    return Or([Term(fieldname, v) for v in distinct])

"""Whoosh schema, document fields, query objects built from a SearchQuery, and highlighting."""

from __future__ import annotations

import multiprocessing
import os
import queue
import traceback
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from itertools import chain, islice

from whoosh import index, writing
from whoosh.analysis import StemmingAnalyzer
from whoosh.codec.whoosh3 import LENGTHS_COLUMN
from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.lang import porter2
from whoosh.query import And, NumericRange, Or, Phrase, Query, Term
from whoosh.sorting import FieldFacet, MultiFacet
from whoosh.util.numeric import byte_to_length
from whoosh.writing import SegmentWriter

from app.search.documents import SearchDocument
from app.search.query import MAX_TERMS, TAG_RE, SearchQuery

# A title boost of 2 ranked better than 6 (shared notes, whoosh-measurements.md). It is an
# index-time field boost, so queries must not boost title terms again.
TITLE_BOOST = 2.0
# Tokens longer than this are base64, hashes or garbage: indexing them only bloats terms.
MAX_TOKEN_CHARS = 60
# Segments as separate files: opening a compound segment copies its files into memory, so
# a new searcher after each commit would cost ~60 ms at 150k posts and the index's size in
# RAM per process; plain files open in about a millisecond and stay in the page cache.
WRITER_ARGS = {"compound": False}
BUILD_SEGMENT_MB = 512  # a rebuild starts a new segment when Whoosh's buffer reaches this
# A rebuild of at least PARALLEL_MIN_DOCS posts runs BUILD_PROCS indexing processes (one
# segment each), fed batches of BUILD_BATCH documents; smaller ones are written in-process.
BUILD_PROCS = min(2, os.cpu_count() or 1)
PARALLEL_MIN_DOCS = 20_000
BUILD_BATCH = 200
MAX_SEGMENTS = 12  # more segments slow every query; merge small ones beyond this
SORTS = {
    "newest": FieldFacet("created_at", reverse=True),
    "votes": MultiFacet(
        [FieldFacet("score", reverse=True), FieldFacet("created_at", reverse=True)]
    ),
}
TEXT_FIELDS = ("title", "body")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def make_analyzer():
    """Lowercase, stop words out, Porter2 stems: the same at index and query time."""
    # Not the default porter.stem: in whoosh3 3.54 it leaves doubled consonants
    # ("running" -> "runn", "hopped" -> "hopp"), so "running" would never find "run".
    return StemmingAnalyzer(stemfn=porter2.stem, maxsize=MAX_TOKEN_CHARS)


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
        title=TEXT(analyzer=analyzer, stored=True, spelling=True, field_boost=TITLE_BOOST),
        body=TEXT(analyzer=analyzer),
        # One index term per number (shift_step = bits): the default trie of 8-16 terms
        # per value made numbers a third of all postings and indexing 40% slower, and we
        # never run wide numeric ranges. Dates are microseconds since the epoch (UTC).
        created_at=_number(64, sortable=True),
        score=_number(32, stored=True, sortable=True),
        answer_count=_number(32, stored=True),
        question_id=_number(64, stored=True),
        goal_id=_number(64, stored=True),
    )


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


def build_index(
    build_dir, docs: Iterable[SearchDocument], progress=None, procs: int | None = None
) -> int:
    """Write docs into a new index in build_dir; returns how many distinct ids.

    Up to PARALLEL_MIN_DOCS documents are written here, in one segment. A larger build
    hands batches of documents to `procs` (default BUILD_PROCS) indexing processes, each
    writing a segment of its own: Whoosh is pure Python, so one process uses one core.
    """
    ix = index.create_in(str(build_dir), make_schema())
    procs = BUILD_PROCS if procs is None else procs
    fields = _unique_fields(docs, progress)
    head = list(islice(fields, PARALLEL_MIN_DOCS))
    if procs > 1 and len(head) >= PARALLEL_MIN_DOCS:
        count = _build_parallel(ix, chain(head, fields), procs)
    else:
        count = _build_serial(ix, chain(head, fields))
    if progress:
        progress(count)
    return count


def _unique_fields(docs: Iterable[SearchDocument], progress) -> Iterator[dict]:
    seen: set[str] = set()
    for doc in docs:
        if doc.doc_id in seen:
            continue  # the first copy of a duplicated id wins
        seen.add(doc.doc_id)
        yield document_fields(doc)
        if progress and len(seen) % 1000 == 0:
            progress(len(seen))


def _build_serial(ix, fields: Iterable[dict]) -> int:
    segments, count = _write_segments(ix, fields)
    _commit_segments(ix, segments)
    return count


def _write_segments(ix, fields: Iterable[dict]) -> tuple[list, int]:
    """Index documents into new segments of ix (no TOC); a new one every BUILD_SEGMENT_MB.

    A segment is finished before Whoosh's buffer would spill sorted runs to disk: pickling
    every posting out and back made indexing 50% slower than a few more segments do.
    """
    segments, writer, count = [], None, 0
    limit = BUILD_SEGMENT_MB * 1024 * 1024
    try:
        for values in fields:
            if writer is None:
                writer = _BuildWriter(ix, _lk=False, **WRITER_ARGS, limitmb=2 * BUILD_SEGMENT_MB)
            writer.add_document(**values)
            count += 1
            if writer.pool.currentsize >= limit:
                segments.append(writer._finalize_segment())
                writer = None
        if writer is not None:
            segments.append(writer._finalize_segment())
    except BaseException:
        if writer is not None:
            writer._close_segment()
        raise
    return segments, count


def _commit_segments(ix, segments: list) -> None:
    """Make segments the index's content: whoosh's MpWriter(multisegment=True) steps."""
    writer = ix.writer(**WRITER_ARGS)  # for its lock and the TOC only
    try:
        writer._close_segment()  # its own empty segment: clean_files() removes it
        writer._commit_toc(segments)
    except BaseException:
        writer.cancel()
        raise
    writer._finish()  # releases the lock, removes the temp dir the segment writers used


def _build_parallel(ix, fields: Iterator[dict], procs: int) -> int:
    """Feed batches to indexing processes, then commit their segments as one index."""
    # spawn, not fork: the caller may hold database connections and threads.
    context = multiprocessing.get_context("spawn")
    jobs, results = context.Queue(procs * 2), context.Queue()
    workers = [
        context.Process(target=_build_worker, args=(ix.storage.folder, jobs, results), daemon=True)
        for _ in range(procs)
    ]
    for worker in workers:
        worker.start()
    count = 0
    try:
        while batch := list(islice(fields, BUILD_BATCH)):
            _put(jobs, batch, workers)
            count += len(batch)
        for _ in workers:
            _put(jobs, None, workers)
        segments = []
        for _ in workers:
            ok, value = _get(results, workers)
            if not ok:
                raise RuntimeError(f"an index build process failed:\n{value}")
            segments.extend(value)
        for worker in workers:
            worker.join()
    except BaseException:
        for worker in workers:
            if worker.is_alive():
                worker.terminate()
            worker.join()
        raise
    _commit_segments(ix, segments)
    return count


def _put(jobs, item, workers) -> None:
    while True:
        try:
            jobs.put(item, timeout=1)
            return
        except queue.Full:
            if any(worker.exitcode is not None for worker in workers):
                raise RuntimeError("an index build process exited early") from None


def _get(results, workers):
    while True:
        try:
            return results.get(timeout=1)
        except queue.Empty:
            if any(worker.exitcode not in (None, 0) for worker in workers):
                raise RuntimeError("an index build process died") from None


def _build_worker(folder: str, jobs, results) -> None:
    """In an indexing process: index every batch from jobs, then return the segments."""
    try:
        ix = index.open_dir(folder)
        segments, _ = _write_segments(ix, chain.from_iterable(iter(jobs.get, None)))
        # The processes share one temp dir, removed by the parent's final writer.
        results.put((True, segments))
    except BaseException:
        results.put((False, traceback.format_exc()))
        raise


class _BuildWriter(SegmentWriter):
    """A SegmentWriter whose commit reads document lengths from memory.

    Writing postings looks up the length of the document's field for every posting (block
    statistics for BM25); whoosh3 3.54 reads each one from the lengths column on disk,
    about a fifth of a large commit. The index written is the same.
    """

    def _flush_segment(self):
        self.perdocwriter.close()
        pdr = self.per_document_reader() if self.codec.length_stats else None
        try:
            self.fieldwriter.add_postings(
                self.schema, _MemoryLengths(pdr) if pdr else None, self.pool.iter_postings()
            )
            self.fieldwriter.close()
        finally:
            if pdr:
                pdr.close()


_BYTE_LENGTHS = [None] + [byte_to_length(b) for b in range(1, 256)]  # as whoosh3 decodes


class _MemoryLengths:
    """Per-field length lookups over a PerDocumentReader, each column read once."""

    def __init__(self, reader) -> None:
        self._reader = reader

    def doc_field_length(self, docnum, fieldname, default=0):
        return self._reader.doc_field_length(docnum, fieldname, default)

    def doc_field_length_reader(self, fieldname, default=0):
        column = f"_{fieldname}_len"  # the whoosh3 codec's name for a length column
        if not self._reader.has_column(column):
            return lambda docnum: default
        lengths = [_BYTE_LENGTHS[b] for b in self._reader.column_reader(column, LENGTHS_COLUMN)]
        return lengths.__getitem__

"""A full Whoosh index build: in this process, or in several for a large rebuild.

Whoosh is pure Python, so one process indexes on one core: a rebuild of PARALLEL_MIN_DOCS
posts or more hands batches to BUILD_PROCS indexing processes (spawned), each writing
segments of its own, and commits them as one index. Documents become fields as
whoosh_schema says.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import traceback
from collections.abc import Iterable, Iterator
from itertools import chain, islice

from whoosh import index
from whoosh.codec.whoosh3 import LENGTHS_COLUMN
from whoosh.util.numeric import byte_to_length
from whoosh.writing import SegmentWriter

from app.search import whoosh_schema as ws
from app.search.documents import SearchDocument

BUILD_SEGMENT_MB = 512  # a rebuild starts a new segment when Whoosh's buffer reaches this
# A rebuild of at least PARALLEL_MIN_DOCS posts runs BUILD_PROCS indexing processes (one
# segment each), fed batches of BUILD_BATCH documents; smaller ones are written in-process.
BUILD_PROCS = min(2, os.cpu_count() or 1)
PARALLEL_MIN_DOCS = 20_000
BUILD_BATCH = 200


def build_index(
    build_dir, docs: Iterable[SearchDocument], progress=None, procs: int | None = None
) -> int:
    """Write docs into a new index in build_dir; returns how many distinct ids.

    Up to PARALLEL_MIN_DOCS documents are written here, in one segment. A larger build
    hands batches of documents to `procs` (default BUILD_PROCS) indexing processes, each
    writing a segment of its own: Whoosh is pure Python, so one process uses one core.
    """
    ix = index.create_in(str(build_dir), ws.make_schema())
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
        yield ws.document_fields(doc)  # through the module: benchmarks patch it
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
                writer = _BuildWriter(ix, _lk=False, **ws.WRITER_ARGS, limitmb=2 * BUILD_SEGMENT_MB)
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
    writer = ix.writer(**ws.WRITER_ARGS)  # for its lock and the TOC only
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

"""BM25F top hits over a Whoosh searcher, scored with numpy instead of Whoosh's matchers.

Whoosh walks And/Or matcher trees in Python, one call chain per matching document: a
2-word search matching ~1,300 of 32k posts spent 35 ms there (profiled on the Askbot
generator's data, where every word is common). Here each term's postings (document
numbers, weights, field-length bytes) are read once per segment, block by block, and kept;
a query then costs a few numpy operations over the documents the exact-count bitmaps
already found. Scores are Whoosh's own BM25F formula with its global statistics (idf and
average field length over the whole index, field length per document as the index rounds
it), so rankings equal Whoosh's (tests compare both on every query shape we build).

Only Term/Phrase/And/Or trees over scorable fields with BM25F are handled (a phrase's
matches come from the caller, which asks Whoosh to check positions); anything else (other
weightings, boosted subqueries, sloppy phrases) is left to Whoosh's matchers.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from math import log

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.matching.wrappers import FilterMatcher
from whoosh.query import And, Or, Phrase, Query, Term
from whoosh.scoring import BM25F
from whoosh.util.numeric import byte_to_length

from app.search.whoosh_codec import JxLeafMatcher, JxPositions

# Postings kept per process: per segment across searchers (segments do not change once
# written) and per searcher for the whole index, each up to this many. 9 bytes a posting:
# at most ~18 MB a worker (workers peaked at 192-195 MB of their 200 in the Askbot run at
# 10k, where 200 queries held ~760k postings).
POSTINGS_BUDGET = 1_000_000
TIE_DECIMALS = 9  # scores equal to this many decimals are ties
_LENGTHS = np.array([byte_to_length(code) for code in range(256)], dtype=np.float64)


class _Postings:
    """A term's postings: doc numbers (int32), weights (float32, as Whoosh stores them) and
    field-length bytes (uint8, as the index rounds lengths): 9 bytes per posting."""

    __slots__ = ("frequency", "ids", "lengths", "weights")

    def __init__(
        self, ids: np.ndarray, weights: np.ndarray, lengths: np.ndarray, frequency: int = 0
    ) -> None:
        self.ids, self.weights, self.lengths = ids, weights, lengths
        self.frequency = frequency  # documents with the term in the whole index (idf)


class VectorScorer:
    """Scores candidate documents for one WhooshBackend; forget() when its searcher changes."""

    def __init__(self, budget: int = POSTINGS_BUDGET) -> None:
        self._budget = budget
        self._held = 0
        self._segments: OrderedDict[tuple, _Postings] = OrderedDict()
        self._lengths: dict[tuple, np.ndarray] = {}  # (segment, field) -> length bytes
        self._columns: dict[tuple, np.ndarray] = {}  # (segment, column) -> sort values
        self._terms: dict[tuple[str, str], _Postings] = {}  # whole index, this searcher
        self._terms_held = 0
        self._sort_values: dict[str, np.ndarray] = {}  # whole index, this searcher
        self._live: np.ndarray | None = None  # this searcher's deletions, if any
        self._live_known = False

    def forget(self) -> None:
        """Drop what belongs to the previous searcher (segments' postings stay valid)."""
        self._terms.clear()
        self._terms_held = 0
        self._sort_values.clear()
        self._live, self._live_known = None, False

    def matches(self, searcher, field: str, text: str) -> np.ndarray:
        """Sorted doc numbers of the live documents holding a term."""
        ids = self._term(searcher, field, text).ids
        live = self._live_mask(searcher)
        return ids if live is None else ids[live[ids]]

    def _live_mask(self, searcher) -> np.ndarray | None:
        """True for every document not deleted; None when nothing is deleted."""
        if not self._live_known:
            live = None
            for sub, offset in _leaves(searcher):
                reader = sub.reader()
                if reader.has_deletions():
                    if live is None:
                        live = np.ones(searcher.doc_count_all(), dtype=bool)
                    gone = np.fromiter(reader.deleted_docs_set, dtype=np.int64)
                    live[gone + offset] = False
            self._live, self._live_known = live, True
        return self._live

    def phrase_matches(self, searcher, q: Phrase) -> np.ndarray | None:
        """Sorted doc numbers of the live documents holding q's words side by side, in order.

        Whoosh's Phrase with slop 1 (each word one position after the one before), checked
        with numpy over JxPositions arrays. None when the index has no such arrays (a field
        or segment written before whoosh_codec): Whoosh must check it then.
        """
        if q.fieldname not in searcher.schema or not q.words:
            return None
        if not isinstance(searcher.schema[q.fieldname].format, JxPositions):
            return None
        parts = [_EMPTY_L]
        for sub, offset in _leaves(searcher):
            reader = sub.reader()
            if reader.segment() is None:
                continue
            found = _phrase_in_segment(reader, q.fieldname, q.words)
            if found is None:
                return None
            parts.append(found + offset)
        docs = np.concatenate(parts)
        live = self._live_mask(searcher)
        return docs if live is None else docs[live[docs]]

    @staticmethod
    def supports(searcher, q: Query) -> bool:
        """Whether top() can score q exactly as Whoosh would."""
        weighting = searcher.weighting
        if type(weighting) is not BM25F:
            return False
        return _supported(searcher.schema, q)

    def top(
        self,
        searcher,
        q: Query,
        candidates: np.ndarray,
        limit: int,
        matches: Callable[[Query], np.ndarray] | None = None,
    ) -> list[tuple[int, float]]:
        """(docnum, score) of the best `limit` candidates, Whoosh's order (ties: docnum).

        ``matches(phrase)`` gives the sorted doc numbers a phrase matches (positions are
        Whoosh's to check); it is needed only when q holds phrases.
        """
        if not len(candidates):
            return []
        scores = self._score(searcher, q, candidates, matches)
        # Equal scores keep ascending docnums, as Whoosh's top-N collector ranks them.
        # Rounded first: the same terms summed in another order differ in the last bit,
        # and Whoosh's own matcher trees order ties by that noise.
        order = np.argsort(np.round(-scores, TIE_DECIMALS), kind="stable")[:limit]
        return [(int(candidates[i]), float(scores[i])) for i in order]

    def ordered(
        self, searcher, candidates: np.ndarray, keys: tuple[tuple[str, bool], ...], limit: int
    ) -> list[int]:
        """The first `limit` candidates sorted by column keys (ties: ascending docnum)."""
        columns = []
        for column, descending in reversed(keys):  # np.lexsort: last key is primary
            values = self._column(searcher, column)[candidates]
            columns.append(-values if descending else values)
        order = np.lexsort(columns)[:limit]  # stable: equal keys keep docnum order
        return [int(candidates[i]) for i in order]

    def _column(self, searcher, column: str) -> np.ndarray:
        """A sortable column's values over the whole index (int64), per searcher."""
        found = self._sort_values.get(column)
        if found is None:
            parts = [_EMPTY_L]
            for sub, _offset in _leaves(searcher):
                reader = sub.reader()
                segment = reader.segment()
                if segment is None:
                    continue
                cache_key = (segment.segment_id(), column)
                values = self._columns.get(cache_key)
                if values is None:
                    values = np.asarray(reader.column_reader(column).load(), dtype=np.int64)
                    if len(self._columns) > 256:  # segments come and go with merges
                        self._columns.clear()
                    self._columns[cache_key] = values
                parts.append(values)
            found = self._sort_values[column] = np.concatenate(parts)
        return found

    # -- scoring ---------------------------------------------------------------------------
    def _score(self, searcher, q: Query, candidates: np.ndarray, matches=None) -> np.ndarray:
        if isinstance(q, And | Or):
            total = np.zeros(len(candidates), dtype=np.float64)
            for sub in q.subqueries:
                total += self._score(searcher, sub, candidates, matches)
            return total
        if isinstance(q, Phrase):
            # Whoosh scores a phrase match as the sum of its words' scores (SpanNear2 over
            # an intersection of Terms), in the documents where the words are adjacent.
            assert matches is not None, "phrases need their matches"
            total = np.zeros(len(candidates), dtype=np.float64)
            for word in q.words:
                total += self._score(searcher, Term(q.fieldname, word), candidates)
            inside = np.isin(candidates, matches(q), assume_unique=True)
            return np.where(inside, total, 0.0)
        assert isinstance(q, Term)
        field, text = q.fieldname, q.text
        postings = self._term(searcher, field, text)
        scores = np.zeros(len(candidates), dtype=np.float64)
        if not len(postings.ids):
            return scores
        at = np.searchsorted(postings.ids, candidates)
        at[at == len(postings.ids)] = 0
        found = postings.ids[at] == candidates
        weighting = searcher.weighting
        b = weighting._field_B.get(field, weighting.B)
        k1 = weighting.K1
        count = searcher.doc_count_all()
        idf = log(count / (postings.frequency + 1)) + 1
        avg = searcher.field_length(field) / (count or 1) or 1
        tf = postings.weights[at[found]].astype(np.float64)
        dl = _LENGTHS[postings.lengths[at[found]]]
        # Whoosh's bm25(), operation for operation, so that float results are identical.
        scores[found] = idf * ((tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * dl / avg)))
        return scores

    def _term(self, searcher, field: str, text: str) -> _Postings:
        """The term's postings over the whole index (global doc numbers), per searcher."""
        key = (field, text)
        found = self._terms.get(key)
        if found is None:
            parts = [
                (offset, self._segment(sub.reader(), field, text))
                for sub, offset in _leaves(searcher)
            ]
            found = _Postings(
                np.concatenate([_EMPTY_I, *(p.ids + offset for offset, p in parts)]),
                np.concatenate([_EMPTY_F, *(p.weights for offset, p in parts)]),
                np.concatenate([_EMPTY_B, *(p.lengths for offset, p in parts)]),
                # Whoosh's count (deleted documents included, as in its idf), read once.
                searcher.doc_frequency(field, text),
            )
            if self._terms_held + len(found.ids) > self._budget:
                self._terms.clear()  # a long-lived searcher must not keep every term
                self._terms_held = 0
            self._terms[key] = found
            self._terms_held += len(found.ids)
        return found

    def _segment(self, reader, field: str, text: str) -> _Postings:
        if reader.segment() is None:  # an empty index has no segment at all
            return _Postings(_EMPTY_I, _EMPTY_F, _EMPTY_B)
        segment = reader.segment().segment_id()
        key = (segment, field, text)
        found = self._segments.get(key)
        if found is not None:
            self._segments.move_to_end(key)
            return found
        ids, weights = _read_postings(reader, field, text)
        codes = self._length_bytes(reader, segment, field)
        found = _Postings(ids, weights, codes[ids])
        self._segments[key] = found
        self._held += len(ids)
        while self._held > self._budget and len(self._segments) > 1:
            _, dropped = self._segments.popitem(last=False)
            self._held -= len(dropped.ids)
        return found

    def _length_bytes(self, reader, segment: str, field: str) -> np.ndarray:
        """Every document's rounded field length byte in one segment (0 = no length)."""
        key = (segment, field)
        codes = self._lengths.get(key)
        if codes is None:
            count = reader.doc_count_all()
            codes = np.zeros(count, dtype=np.uint8)
            column = reader._perdoc._cached_reader(_lenfield(field), LENGTHS_COLUMN)
            if column is not None:
                stored = min(column._count, count)
                raw = column._dbfile.get(column._basepos, stored)
                codes[:stored] = np.frombuffer(raw, dtype=np.uint8)
            if len(self._lengths) > 256:  # segments come and go with merges
                self._lengths.clear()
            self._lengths[key] = codes
        return codes


_EMPTY_I = np.zeros(0, dtype=np.int32)
_EMPTY_F = np.zeros(0, dtype=np.float32)
_EMPTY_B = np.zeros(0, dtype=np.uint8)
_EMPTY_L = np.zeros(0, dtype=np.int64)


def _postings_matcher(reader, field: str, text: str):
    """The term's postings in one segment, deleted documents included; None if absent.

    Callers drop deleted documents themselves (candidates are live documents only), so the
    same postings serve every later state of the segment. Whoosh's deletion filter has
    already moved past the first deleted ones, so only blocks of deleted documents can be
    missing from what the returned matcher reads.
    """
    if (field, text) not in reader:
        return None
    matcher = reader.postings(field, text)
    return matcher.child if isinstance(matcher, FilterMatcher) else matcher


def _read_postings(reader, field: str, text: str) -> tuple[np.ndarray, np.ndarray]:
    """(local doc numbers, weights) of a term in one segment, a block at a time."""
    matcher = _postings_matcher(reader, field, text)
    if matcher is None:
        return _EMPTY_I, _EMPTY_F
    ids: list = []
    weights: list = []
    if isinstance(matcher, JxLeafMatcher):
        # Our codec's blocks: two np.frombuffer calls each (whoosh_codec).
        while matcher.is_active():
            block_ids, block_weights = matcher.arrays()
            ids.append(block_ids)
            weights.append(
                np.ones(len(block_ids), np.float32) if block_weights is None else block_weights
            )
            matcher._next_block()
        if ids:
            return np.concatenate(ids).astype(np.int32), np.concatenate(weights)
        return _EMPTY_I, _EMPTY_F
    if hasattr(matcher, "_read_ids") and hasattr(matcher, "_next_block"):
        # whoosh3's on-disk postings: whole blocks (up to 128 postings) per call.
        while matcher.is_active():
            matcher._read_ids()
            matcher._read_weights()
            ids.append(np.asarray(matcher._ids, dtype=np.int32))
            weights.append(np.asarray(matcher._weights, dtype=np.float32))
            matcher._next_block()
        if ids:
            return np.concatenate(ids), np.concatenate(weights)
        return _EMPTY_I, _EMPTY_F
    # Postings inlined in the term info (rare terms): one at a time.
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    return np.asarray(ids, dtype=np.int32), np.asarray(weights, dtype=np.float32)


def _phrase_in_segment(reader, field: str, words) -> np.ndarray | None:
    """Local doc numbers where words[i] stands at position p + i for some p (None: not ours).

    First the documents holding every word, then, in those only, each (document, position)
    pair as one int64 key shifted back by the word's place in the phrase: the documents
    whose keys survive every word hold the phrase.
    """
    postings = []
    for word in words:
        matcher = _postings_matcher(reader, field, word)
        if matcher is None:
            return _EMPTY_L
        if not isinstance(matcher, JxLeafMatcher):
            return None
        id_blocks, count_blocks, position_blocks = [], [], []
        while matcher.is_active():
            id_blocks.append(matcher.arrays()[0])
            block_counts, block_positions = matcher.positions()
            count_blocks.append(block_counts)
            position_blocks.append(block_positions)
            matcher._next_block()
        if not id_blocks:
            return _EMPTY_L  # the filter skipped every posting: all deleted
        postings.append(
            (
                np.concatenate(id_blocks),
                np.concatenate(count_blocks),
                np.concatenate(position_blocks),
            )
        )
    common = postings[0][0]
    for other, _counts, _positions in postings[1:]:
        common = common[_members(common, other)]
    keys = None
    for place, (ids, counts, positions) in enumerate(postings):
        inside = _members(ids, common)
        docs = np.repeat(ids[inside].astype(np.int64), counts[inside])
        at = positions[np.repeat(inside, counts)].astype(np.int64)
        word_keys = (docs << 32) + at + (len(words) - place)  # sorted: docs, then positions
        keys = word_keys if keys is None else keys[_members(keys, word_keys)]
    assert keys is not None
    docs = keys >> 32
    return docs[np.concatenate(([True], docs[1:] != docs[:-1]))] if len(docs) else _EMPTY_L


def _members(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """Which of values (any order) are in sorted_set: a mask, by binary search."""
    if not len(sorted_set):
        return np.zeros(len(values), dtype=bool)
    at = np.searchsorted(sorted_set, values)
    at[at == len(sorted_set)] = 0
    return sorted_set[at] == values


def _leaves(searcher):
    if searcher.is_atomic():
        return [(searcher, 0)]
    return searcher.subsearchers


def _supported(schema, q: Query) -> bool:
    if getattr(q, "boost", 1.0) != 1.0:
        return False
    if isinstance(q, And | Or):
        return bool(q.subqueries) and all(_supported(schema, sub) for sub in q.subqueries)
    if isinstance(q, Phrase):
        # Whoosh's default phrase only: adjacent words in order.
        if type(q) is not Phrase or q.slop != 1 or q.fieldname not in schema:
            return False
    elif type(q) is not Term or q.fieldname not in schema:
        return False
    return bool(schema[q.fieldname].scorable)


def bitmap(ids: np.ndarray, size: int) -> int:
    """A Python int with bit n set for every document number n in ids."""
    mask = np.zeros(size, dtype=bool)
    mask[ids] = True
    return int.from_bytes(np.packbits(mask, bitorder="little").tobytes(), "little")


def docnums(bitmap: int, size: int) -> np.ndarray:
    """The set bits of a bitmap (bit n = document n) as sorted document numbers."""
    raw = np.frombuffer(bitmap.to_bytes((size >> 3) + 1, "little"), dtype=np.uint8)
    return np.flatnonzero(np.unpackbits(raw, bitorder="little")).astype(np.int64)

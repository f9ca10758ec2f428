"""SearchBackend on a Whoosh index on local disk (see whoosh_store for the directory layout)."""

from __future__ import annotations

import contextlib
import shutil
import threading
import time
from collections.abc import Iterable, Iterator

import numpy as np
from whoosh import index
from whoosh.idsets import BitSet
from whoosh.query import And, Every, Or, Phrase, Query, Term
from whoosh.searching import Searcher
from whoosh.util.filelock import try_for

from app.search import whoosh_build
from app.search import whoosh_schema as ws
from app.search.backend import BatchWrites, Hit, ProgressCallback, SearchResults
from app.search.documents import DOC_TYPES, SearchDocument
from app.search.highlight import highlight_text, highlight_title
from app.search.query import SearchQuery, clean_text, parse_query
from app.search.whoosh_scoring import VectorScorer, bitmap, docnums
from app.search.whoosh_store import IndexStore, open_searcher
from app.search.whoosh_terms import KEY_TERMS, TITLE_KEY_TERMS, did_you_mean, key_terms

REFRESH_INTERVAL = 0.1  # seconds between checks for other processes' commits
MAX_DEPTH = 1000  # deepest result a page may reach
FEW_RESULTS = 3  # below this a did-you-mean is worth its cost (~30 ms at 150k posts)
SIMILAR_TITLE_TOKENS = 12  # up to this many terms the text is a title: title-only query
SIMILAR_MAX_CHARS = 5000
FILTER_CACHE_SIZE = 64
FREQUENCY_CACHE_SIZE = 100_000  # (field, term) -> document count, ~100 bytes each
MATCH_CACHE_SIZE = 1024  # per-term match bitmaps: 19 KB each at 150k posts


class WhooshBackend(BatchWrites):
    """One cached searcher per instance; writers only inside apply() and friends."""

    def __init__(
        self, index_dir, writer_timeout: float = 30.0, vector_scoring: bool = True
    ) -> None:
        self._store = IndexStore(index_dir)
        self._writer_timeout = writer_timeout
        self._lock = threading.RLock()  # one searcher per instance, shared by threads
        # None only before _open() below and after close(), when the instance is not used.
        self._ix: index.FileIndex | None = None
        self._searcher: Searcher | None = None
        self._name: str | None = None
        self._generation = -1
        self._checked = 0.0
        self._filters: dict[str, BitSet] = {}
        self._matches: dict[str, int] = {}
        self._frequencies: dict[tuple[str, str], int] = {}
        self._scorer = VectorScorer()
        self._vector_scoring = vector_scoring  # off: Whoosh's matchers (benchmarks compare)
        self._open(self._store.ensure_index(ws.make_schema()))

    # -- reading -------------------------------------------------------------------------
    def _open(self, name: str) -> None:
        ix = index.open_dir(str(self._store.path(name)))
        self._generation = ix.latest_generation()  # read first: the searcher is never older
        old, self._searcher = self._searcher, open_searcher(ix)
        self._ix, self._name = ix, name
        self._analyzer = ix.schema["title"].analyzer
        self._checked = time.monotonic()
        self._forget()
        if old is not None:
            old.close()

    def _fresh(self, force: bool = False) -> Searcher:
        """The cached searcher, renewed if the index changed (checked every 100 ms)."""
        assert self._ix is not None and self._searcher is not None, "used after close()"
        now = time.monotonic()
        if force or now - self._checked >= REFRESH_INTERVAL:
            self._checked = now
            name = self._store.current_name()
            if name and name != self._name:
                self._open(name)  # a rebuild was swapped in
            elif (generation := self._ix.latest_generation()) != self._generation:
                # Not searcher.refresh(): whoosh3 3.54 reuses segment readers by segment
                # id alone, so deletions committed since (every update deletes the old
                # version) stay visible, and segments a merge removed come back.
                self._generation = generation
                self._searcher.close()
                self._searcher = open_searcher(self._ix)
                self._forget()
        return self._searcher

    def _forget(self) -> None:
        """Drop what was cached about the previous searcher's documents."""
        self._filters.clear()
        self._matches.clear()
        self._frequencies.clear()
        self._scorer.forget()

    def _filter_set(self, searcher, q: Query) -> BitSet:
        """A filter query's documents as the set Whoosh's own search takes (filter=).

        Cached until the searcher changes: Whoosh turns a filter query into a document set
        on every search, and for "type is question" that is most of the index each time.
        Only the fallback to Whoosh's matchers needs it; counting and numpy scoring use the
        filter's bitmap (_bits), built from postings cached per segment across searchers,
        so a commit does not cost the next filtered search ~45 ms at 150k posts.
        """
        key = repr(q)
        if key not in self._filters:
            if len(self._filters) >= FILTER_CACHE_SIZE:
                self._filters.clear()
            docs = docnums(self._bits(searcher, q), searcher.doc_count_all()).tolist()
            # size >= 1: whoosh3 raises ValueError for BitSet([], size=0) (an empty index).
            self._filters[key] = BitSet(docs, size=max(1, searcher.doc_count_all()))
        return self._filters[key]

    def _bits(self, searcher, q) -> int:
        """Bitmap (a Python int, bit n = document n) of the live documents matching q.

        Terms (and phrases) are looked up once per searcher and cached; And/Or are bitwise
        operations. Counting a common word's matches takes microseconds this way; scoring
        every match to count them took most of a search, and in whoosh3 3.54 the count of
        `search(optimize=False, limit=N)` is wrong for Or queries (it stops counting early).
        """
        if isinstance(q, And | Or):
            parts = [self._bits(searcher, sub) for sub in q.subqueries]
            combined = parts[0]
            for part in parts[1:]:
                combined = combined & part if isinstance(q, And) else combined | part
            return combined
        key = repr(q)  # a Term, a Phrase or Every
        bits = self._matches.get(key)
        if bits is None:
            if len(self._matches) >= MATCH_CACHE_SIZE:
                self._matches.clear()
            if type(q) is Term and self._vector_scoring:
                # The postings the scorer keeps anyway (read a block at a time with numpy;
                # docs_for_query() walks them one Python call per document).
                ids = self._scorer.matches(searcher, q.fieldname, q.text)
                bits = bitmap(ids, searcher.doc_count_all())
            elif (
                type(q) is Phrase
                and self._vector_scoring
                and (phrase_ids := self._scorer.phrase_matches(searcher, q)) is not None
            ):
                # Positions compared with numpy (whoosh_codec stores them as arrays);
                # Whoosh's span matcher decodes them one posting at a time.
                bits = bitmap(phrase_ids, searcher.doc_count_all())
            else:
                # docs_for_query() is right for a Term, but it ignores positions in a Phrase.
                docs = (
                    searcher.docs_for_query(q)
                    if isinstance(q, Term)
                    else searcher.search(q, limit=None, scored=False).docs()
                )
                bits = bitmap(np.fromiter(docs, dtype=np.int64), searcher.doc_count_all())
            self._matches[key] = bits
        return bits

    def version(self) -> tuple[str | None, int]:
        """Which index state searches see now: changes whenever the index does."""
        with self._lock:
            self._fresh()
            return self._name, self._generation

    def refresh(self) -> None:
        """See commits from other instances and processes now."""
        with self._lock:
            self._fresh(force=True)

    def search(self, query: SearchQuery, page: int = 1, per_page: int = 20) -> SearchResults:
        """One page of hits for a parsed query, with a did-you-mean when little is found."""
        page, per_page = max(1, int(page)), min(max(1, int(per_page)), 100)
        if query.is_empty:
            return SearchResults()
        with self._lock:
            searcher = self._fresh()
            text_q, terms = ws.text_query(query, self._analyzer)
            sort = query.sort
            if text_q is None:
                if not query.has_filters:
                    return SearchResults()  # only stop words: nothing to look for
                text_q = Every()
                sort = "newest" if sort == "relevance" else sort
            filter_q = ws.filter_query(query)
            passing = None if filter_q is None else self._bits(searcher, filter_q)
            if passing is not None and not passing:
                return SearchResults(terms=terms)  # nothing passes the filters
            matched = self._bits(searcher, text_q)
            if passing is not None:
                matched &= passing
            total = matched.bit_count()
            offset = (page - 1) * per_page
            limit = max(1, min(offset + per_page, MAX_DEPTH))
            if not total:
                hits = []
            elif sort == "relevance" and self._vectorised(searcher, text_q):
                # The same BM25F ranking as Whoosh's, scored with numpy over the matches
                # the bitmaps found (whoosh_scoring): Whoosh's matchers cost ~25 us per
                # match in Python, and common words match thousands of posts.
                size = searcher.doc_count_all()
                top = self._scorer.top(
                    searcher,
                    text_q,
                    docnums(matched, size),
                    limit,
                    matches=lambda phrase: docnums(self._bits(searcher, phrase), size),
                )
                hits = self._stored_hits(searcher, top[offset : offset + per_page], terms)
            elif sort in ws.SORT_COLUMNS and self._vector_scoring:
                # No scores needed: the matches (exact, from the bitmaps) sorted by columns.
                order = self._scorer.ordered(
                    searcher,
                    docnums(matched, searcher.doc_count_all()),
                    ws.SORT_COLUMNS[sort],
                    limit,
                )
                page_of = [(docnum, 0.0) for docnum in order[offset : offset + per_page]]
                hits = self._stored_hits(searcher, page_of, terms)
            else:
                # The exact total comes from the bitmaps above, so Whoosh may skip blocks
                # that cannot reach the top N (optimize=True) instead of scoring every match.
                results = searcher.search(
                    text_q,
                    limit=limit,
                    optimize=True,
                    filter=None if filter_q is None else self._filter_set(searcher, filter_q),
                    sortedby=ws.SORTS.get(sort),
                )
                scored = sort == "relevance"
                hits = [
                    self._hit(r.fields(), float(r.score or 0.0) if scored else 0.0, terms)
                    for r in results[offset : offset + per_page]
                ]
            suggestion = None
            if page == 1 and total < FEW_RESULTS and query.words:
                suggestion = did_you_mean(searcher.reader(), query, self._analyzer)
            return SearchResults(hits=hits, total=total, suggestion=suggestion, terms=terms)

    def _frequency_of(self, searcher):
        """doc_frequency(field, term) cached until the searcher changes: Whoosh reads it
        from every segment's term table each time, most of a whole-post lookup's cost."""
        cache = self._frequencies

        def frequency(field: str, term: str) -> int:
            key = (field, term)
            found = cache.get(key)
            if found is None:
                if len(cache) >= FREQUENCY_CACHE_SIZE:
                    cache.clear()
                found = cache[key] = searcher.doc_frequency(field, term)
            return found

        return frequency

    def _stored_hits(self, searcher, ranked, terms: frozenset[str]) -> list[Hit]:
        """Hits for (docnum, score) pairs, from the index's stored fields."""
        reader = searcher.reader()
        return [self._hit(reader.stored_fields(docnum), score, terms) for docnum, score in ranked]

    def _vectorised(self, searcher, q: Query) -> bool:
        return self._vector_scoring and self._scorer.supports(searcher, q)

    def _hit(self, stored: dict, score: float, terms: frozenset[str]) -> Hit:
        title = stored.get("title", "")
        return Hit(
            doc_id=stored["doc_id"],
            type=stored["type"],
            id=stored["id"],
            score=score,
            title=title,
            votes=stored.get("score", 0),
            answer_count=stored.get("answer_count", 0),
            question_id=stored.get("question_id"),
            goal_id=stored.get("goal_id"),
            title_highlight=highlight_title(title, terms) if terms else None,
        )

    def highlight(self, text: str, terms: Iterable[str], top: int = 2) -> str:
        """Escaped excerpt of text (the post's body from the database) with <mark>s."""
        return highlight_text(text, terms, top=top)

    def similar(
        self,
        text: str,
        limit: int = 5,
        exclude_doc_ids: Iterable[str] = (),
        types: Iterable[str] = ("question",),
    ) -> list[Hit]:
        """Threads like text: a title-only OR query for short text, key terms otherwise."""
        limit = min(max(1, int(limit)), 50)
        tokens = ws.analyse(self._analyzer, clean_text(text, SIMILAR_MAX_CHARS))
        type_filter = ws.any_of("type", (t for t in types if t in DOC_TYPES))
        if not tokens or type_filter is None:
            return []
        exclude_doc_ids = list(exclude_doc_ids)[:100]
        # Text of an excluded (indexed) post: its words found nowhere else lead nowhere.
        least = 2 if exclude_doc_ids else 1
        with self._lock:
            searcher = self._fresh()
            # Short text is a title being typed: match titles only. Longer text also
            # matches bodies. Either way only the rarest few terms are kept: common ones
            # match much of the index, decide little and cost the most.
            frequency = self._frequency_of(searcher)
            if len(tokens) <= SIMILAR_TITLE_TOKENS:
                fields: tuple[str, ...] = ("title",)
                terms = key_terms(searcher, tokens, fields, TITLE_KEY_TERMS, least, frequency)
            else:
                fields = ("title", "body")
                terms = key_terms(searcher, tokens, fields, KEY_TERMS, least, frequency)
            if not terms:
                return []
            # Title weighs x2 through its field boost; BM25 already weighs terms by idf.
            q = Or([Term(name, term) for term in terms for name in fields])
            mask = ws.any_of("doc_id", exclude_doc_ids)
            allowed_bits = self._bits(searcher, type_filter)
            if not allowed_bits:  # whoosh reads an empty filter as no filter at all
                return []
            if self._vectorised(searcher, q):
                matched = self._bits(searcher, q) & allowed_bits
                for docnum in searcher.docs_for_query(mask) if mask is not None else ():
                    matched &= ~(1 << docnum)
                top = self._scorer.top(
                    searcher, q, docnums(matched, searcher.doc_count_all()), limit
                )
                return self._stored_hits(searcher, top, frozenset())
            allowed = self._filter_set(searcher, type_filter)
            results = searcher.search(q, limit=limit, filter=allowed, mask=mask)
            return [self._hit(r.fields(), float(r.score or 0.0), frozenset()) for r in results]

    def suggest(self, text: str) -> str | None:
        """Did-you-mean for a query text, from the words in titles; None if nothing better."""
        query = parse_query(text)
        if not query.words:
            return None
        with self._lock:
            return did_you_mean(self._fresh().reader(), query, self._analyzer)

    def doc_ids(self) -> set[str]:
        """Every live doc_id (deleted documents excluded)."""
        with self._lock:
            reader = self._fresh(force=True).reader()
            return {fields["doc_id"] for fields in reader.all_stored_fields()}

    # -- writing -------------------------------------------------------------------------
    @contextlib.contextmanager
    def _writer(self, **commit_args) -> Iterator:
        """A writer on the live index; waits up to writer_timeout for its lock."""
        for _ in range(3):
            with self._lock:
                self._fresh(force=True)
                ix, name = self._ix, self._name
                assert ix is not None  # _fresh() refuses a closed instance
            writer = ix.writer(timeout=self._writer_timeout, **ws.WRITER_ARGS)
            # A rebuild may have swapped CURRENT while we waited for the old index's lock.
            if self._store.current_name() in (None, name):
                break
            writer.cancel()
        else:
            raise index.LockError("search index swapped repeatedly while waiting to write")
        try:
            yield writer
        except BaseException:
            writer.cancel()
            raise
        writer.commit(**(commit_args or {"mergetype": ws.merge_policy}))
        self._checked = 0.0  # the next search here sees this write at once

    def _write(self, latest: dict[str, SearchDocument], gone: set[str]) -> None:
        """One commit for a batch apply() has reconciled (privacy wins: see BatchWrites)."""
        with self._writer() as writer:
            for doc_id in sorted(gone):
                writer.delete_by_term("doc_id", doc_id)
            for doc in latest.values():
                writer.update_document(**ws.document_fields(doc))

    def optimize(self) -> None:
        """Merge all segments into one (seconds at 150k posts: run it when quiet)."""
        with self._writer(optimize=True):
            pass

    def rebuild(
        self, docs: Iterable[SearchDocument], progress: ProgressCallback | None = None
    ) -> int:
        """Build a new index from docs (read lazily) in a new dir, then swap it in.

        The live index's write lock is held throughout, so concurrent apply() calls wait
        (or fail with LockError and are retried by the indexer from its outbox) and land
        in the new index after the swap instead of being lost with the old one.
        """
        with self._store.exclusive():
            old_name = self._store.current_name()
            old_lock = None
            if old_name:
                old_lock = index.open_dir(str(self._store.path(old_name))).lock("WRITELOCK")
                if not try_for(
                    lambda: old_lock.acquire(blocking=False), timeout=self._writer_timeout
                ):
                    raise index.LockError("search index is busy: rebuild not started")
            try:
                build = self._store.new_build_dir()
                try:
                    count = whoosh_build.build_index(build, docs, progress)
                except BaseException:
                    shutil.rmtree(build, ignore_errors=True)
                    raise
                new_name = self._store.publish(build)
            finally:
                if old_lock is not None:
                    old_lock.release()
            # Keep the previous index: other processes may still be mid-search on it.
            self._store.cleanup(keep=(new_name, old_name))
        with self._lock:
            self._open(new_name)
        return count

    def close(self) -> None:
        """Close the searcher; the instance must not be used afterwards."""
        with self._lock:
            if self._searcher is not None:
                self._searcher.close()
            self._searcher = self._ix = None

"""The backend-independent search interface: results types and the SearchBackend protocol."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from app.search.documents import SearchDocument
from app.search.query import SearchQuery

ProgressCallback = Callable[[int], None]


@dataclass
class Hit:
    """One matching document; the caller re-reads and re-checks the post before showing it."""

    doc_id: str
    type: str
    id: int
    score: float  # relevance, not votes
    title: str = ""  # as indexed (answers: their question's title)
    votes: int = 0
    answer_count: int = 0
    question_id: int | None = None
    goal_id: int | None = None
    title_highlight: str | None = None  # escaped HTML with <mark>, or None
    snippet: str | None = None  # escaped HTML, filled in by the caller via highlight()


@dataclass
class SearchResults:
    """One page of hits, the total number of matches and an optional did-you-mean."""

    hits: list[Hit] = field(default_factory=list)
    total: int = 0
    suggestion: str | None = None
    # Analysed terms the query matched on, to pass to highlight() with the post's text.
    terms: frozenset[str] = frozenset()


class BatchWrites:
    """``apply`` and ``index_documents``/``remove_documents`` over a backend's ``_write``."""

    def apply(self, upserts: Iterable[SearchDocument], removals: Iterable[str]) -> None:
        """Upserts and removals in one commit; an id in both is removed (privacy wins)."""
        latest = {doc.doc_id: doc for doc in upserts}  # the last version of a doc wins
        gone = set(removals)
        for doc_id in gone:
            latest.pop(doc_id, None)
        if not latest and not gone:
            return
        self._write(latest, gone)

    def _write(self, latest: dict[str, SearchDocument], gone: set[str]) -> None:
        """Store ``latest`` (doc_id -> document, none of them in ``gone``) and delete ``gone``."""
        raise NotImplementedError

    def indexing_round(self) -> contextlib.AbstractContextManager:
        """Around one outbox round: nothing to hold for an index only this node writes."""
        return contextlib.nullcontext()

    def index_documents(self, docs: Iterable[SearchDocument]) -> int:
        """Insert or replace documents in one commit; returns how many distinct ids."""
        docs = list(docs)
        self.apply(docs, ())
        return len({doc.doc_id for doc in docs})

    def remove_documents(self, doc_ids: Iterable[str]) -> int:
        """Remove documents in one commit; returns how many ids were asked for."""
        ids = set(doc_ids)
        self.apply((), ids)
        return len(ids)


@runtime_checkable
class SearchBackend(Protocol):
    """What the app needs from a search index; every backend passes the same tests."""

    def index_documents(self, docs: Iterable[SearchDocument]) -> int:
        """Insert or replace documents (by doc_id) in one commit; returns how many."""
        ...

    def remove_documents(self, doc_ids: Iterable[str]) -> int:
        """Remove documents by doc_id in one commit (unknown ids are ignored)."""
        ...

    def apply(self, upserts: Iterable[SearchDocument], removals: Iterable[str]) -> None:
        """Apply a batch in one commit; an id in both lists is removed (privacy wins)."""
        ...

    def indexing_round(self) -> contextlib.AbstractContextManager:
        """Held around one outbox round (a shared index: one round at a time, cluster-wide)."""
        ...

    def search(self, query: SearchQuery, page: int = 1, per_page: int = 20) -> SearchResults:
        """Run a parsed query; never raises for any user input."""
        ...

    def similar(
        self,
        text: str,
        limit: int = 5,
        exclude_doc_ids: Iterable[str] = (),
        types: Iterable[str] = ("question",),
    ) -> list[Hit]:
        """Threads similar to a title (as-you-type) or to a whole post's text."""
        ...

    def suggest(self, text: str) -> str | None:
        """A did-you-mean rewrite of the query text, or None when nothing is better."""
        ...

    def highlight(self, text: str, terms: Iterable[str], top: int = 2) -> str:
        """Escaped HTML excerpt of text with the matched terms in <mark>."""
        ...

    def doc_ids(self) -> set[str]:
        """Every doc_id in the index (for drift checks against the database)."""
        ...

    def rebuild(
        self, docs: Iterable[SearchDocument], progress: ProgressCallback | None = None
    ) -> int:
        """Build a fresh index from docs and swap it in atomically; returns the count."""
        ...

    def version(self) -> object:
        """A token that changes whenever the index does (keys caches of results)."""
        ...

    def refresh(self) -> None:
        """See writes made by other instances and processes (cheap when nothing changed)."""
        ...

    def optimize(self) -> None:
        """Merge index segments (run in quiet periods)."""
        ...

    def close(self) -> None:
        """Release files and searchers."""
        ...

"""Search results (and as-you-type similar lookups) kept per process for the index state
they came from.

The same few queries come back again and again (popular words, crawlers, pagination), and
Whoosh scores every match in Python: a repeat costs a dictionary lookup instead. An entry
is valid only for the index version it was computed on, so any index change (a post
added, edited or removed, a goal closing) makes every entry stale at once. Only the hits
(ids, scores, stored titles) are kept: each page view still re-reads the posts and re-checks
them through the visibility gate, so nothing hidden since can be shown from here.
"""

from collections.abc import Callable

from app.core.lru import VersionedLRU
from app.search.backend import SearchBackend, SearchResults
from app.search.query import SearchQuery

SIZE = 1024  # entries per process: a page of 20 hits is a few KB


_results = VersionedLRU(SIZE)  # SearchResults (or similar hits), each with its index version


def cached_search(
    backend: SearchBackend, query: SearchQuery, page: int, per_page: int
) -> SearchResults:
    """backend.search(), answered from this process's cache when the index has not changed."""
    version = backend.version()
    key = (id(backend), query, page, per_page)
    results = _results.get(key, version)
    if results is None:
        results = backend.search(query, page, per_page)
        _results.put(key, version, results)
    return results


def remembered(backend: SearchBackend, key: tuple, compute: Callable[[], list]) -> list:
    """compute(), answered from this process's cache while the index is unchanged.

    Empty answers are not kept: a lookup that failed answers [] too.
    """
    version = backend.version()
    key = (id(backend), *key)
    found = _results.get(key, version)
    if found is None:
        found = compute()
        if found:
            _results.put(key, version, found)
    return found


def clear() -> None:
    """Forget every entry (tests)."""
    _results.clear()

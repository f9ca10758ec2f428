"""A small thread-safe LRU whose entries hold only for the version they were computed on."""

import threading
from collections import OrderedDict
from collections.abc import Hashable


class VersionedLRU:
    """At most ``size`` entries, each tagged with a version (say, of the search index)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, version: object):
        """The value kept for key, or None when there is none or it is of another version."""
        with self._lock:
            entry = self._items.get(key)
            if entry is None or entry[0] != version:
                return None
            self._items.move_to_end(key)
            return entry[1]

    def put(self, key: Hashable, version: object, value) -> None:
        """Keep value for key at this version, dropping the least recently used beyond size."""
        with self._lock:
            self._items[key] = (version, value)
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._items.clear()

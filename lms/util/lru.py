"""A bounded least-recently-used store, shared by the kept pages (lms/http_cache.py)
and the kept reports (lms/reports/cache.py)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any


class BoundedLRU:
    """Values by key, at most ``entries`` of them and ``budget`` in all as ``size_of``
    measures them; the least recently used go first. A value larger than
    ``budget // largest_share`` is not kept (one page or report must not empty the
    store). ``on_drop(key)`` is told of every key that leaves. Thread-safe."""

    def __init__(self, entries: int, budget: int, size_of: Callable[[Any], int],
                 largest_share: int = 8) -> None:
        self.entries, self.budget, self.used = entries, budget, 0
        self.size_of, self.largest_share = size_of, largest_share
        self.items: OrderedDict[Hashable, Any] = OrderedDict()
        self.lock = threading.Lock()

    def on_drop(self, key: Hashable) -> None:
        """Called (under the lock) for each key replaced, evicted or cleared."""

    def get(self, key: Hashable) -> Any:
        with self.lock:
            value = self.items.get(key)
            if value is not None:
                self.items.move_to_end(key)
            return value

    def put(self, key: Hashable, value: Any) -> None:
        size = self.size_of(value)
        if size > self.budget // self.largest_share:
            return
        with self.lock:
            old = self.items.pop(key, None)
            if old is not None:
                self.used -= self.size_of(old)
            self.on_drop(key)  # whatever was derived from an earlier value goes too
            self.items[key] = value
            self.used += size
            while len(self.items) > self.entries or self.used > self.budget:
                dropped_key, dropped = self.items.popitem(last=False)
                self.used -= self.size_of(dropped)
                self.on_drop(dropped_key)

    def clear(self) -> None:
        with self.lock:
            for key in self.items:
                self.on_drop(key)
            self.items.clear()
            self.used = 0


def per_app(app: Any, name: str, make: Callable[[], BoundedLRU]) -> BoundedLRU:
    """The app's store called ``name``, made on first use (``make`` is not called on
    every request, as ``app.extensions.setdefault(name, make())`` would)."""
    store = app.extensions.get(name)
    if store is None:
        store = app.extensions.setdefault(name, make())
    return store

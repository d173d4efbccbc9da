"""The bounded store behind kept pages and kept reports (lms/util/lru.py)."""

from __future__ import annotations

from lms.util.lru import BoundedLRU


class Recording(BoundedLRU):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.dropped: list[str] = []

    def on_drop(self, key) -> None:
        self.dropped.append(key)


def test_the_least_recently_used_go_first_by_count_and_by_size():
    store = Recording(entries=2, budget=10, size_of=len, largest_share=2)
    store.put("a", "xx")
    store.put("b", "xx")
    assert store.get("a") == "xx"  # a is now the most recently used
    store.put("c", "xx")
    assert list(store.items) == ["a", "c"] and "b" in store.dropped
    store.put("d", "xxxxx")  # 2 + 5 + 2 > 10: the oldest goes
    assert list(store.items) == ["c", "d"] and store.used == 7


def test_a_value_too_large_for_its_share_is_not_kept():
    store = Recording(entries=8, budget=10, size_of=len, largest_share=2)
    store.put("big", "xxxxxx")  # more than 10 // 2
    assert store.get("big") is None and store.used == 0


def test_whatever_was_derived_from_a_key_is_dropped_with_it():
    store = Recording(entries=8, budget=100, size_of=len)
    store.put("a", "x")
    store.put("a", "y")  # replaced
    store.clear()
    assert store.dropped == ["a", "a", "a"] and not store.items and store.used == 0

"""The in-process store: LRU bounded by bytes and entries, TTL, accounting; and the store contract."""

from __future__ import annotations

import pytest
from prisma_infra.cache.memory import ENTRY_OVERHEAD, MemoryStore
from prisma_infra.clock import ManualClock
from prisma_infra_sdk.testing.contracts.cache import CONTRACT, Check, run_check


@pytest.mark.parametrize("check", CONTRACT, ids=lambda c: c.__name__)
async def test_contract(check: Check) -> None:
    await run_check(MemoryStore({}), check)


def test_bounded_by_entries_lru() -> None:
    store = MemoryStore({"max_entries": 3})
    for key in "abc":
        store.set(key, b"v", None)
    assert store.get("a") == b"v"  # a is now the most recent
    store.set("d", b"v", None)
    assert store.get("b") is None and store.get("a") == b"v"
    assert store.evictions == 1 and len(store) == 3


def test_bounded_by_bytes_with_accounting() -> None:
    size = 1 + 1000 + ENTRY_OVERHEAD
    store = MemoryStore({"max_bytes": size * 3})
    for key in "abcd":
        store.set(key, b"x" * 1000, None)
    assert len(store) == 3 and store.bytes == size * 3 and store.evictions == 1
    store.set("b", b"y", None)
    assert store.bytes == 2 * size + 2 + ENTRY_OVERHEAD
    store.delete("b")
    assert store.bytes == 2 * size
    store.set("huge", b"z" * (size * 4), None)  # larger than the whole store: refused, nothing evicted
    assert store.get("huge") is None and len(store) == 2


async def test_ttl_and_purge() -> None:
    clock = ManualClock()
    store = MemoryStore({}, clock=clock)
    store.set("short", b"1", 0.01)
    store.set("long", b"2", 60)
    await clock.advance(0.009)
    assert store.purge_expired() == 0 and store.get("short") == b"1"
    await clock.advance(0.001)
    assert store.purge_expired() == 1
    assert store.get("long") == b"2" and store.stats()["expirations"] == 1


def test_delete_prefix() -> None:
    store = MemoryStore({})
    for key in ("pi:e:x:Post:1", "pi:e:x:Post:2", "pi:e:x:User:1"):
        store.set(key, b"v", None)
    assert store.delete_prefix("pi:e:x:Post:") == 2 and len(store) == 1


def test_invalid_bounds() -> None:
    with pytest.raises(ValueError, match="max_bytes"):
        MemoryStore({"max_bytes": 0})

"""The cache-store contract: what every `CacheStore` must do, as runnable checks.

This is the definition of "a cache store". The kernel's tests run it over
the memory, Redis and memcached stores; a third-party store runs the same
checks (the plugin SDK re-exports them)::

    import pytest
    from prisma_infra.cache.contract import CONTRACT, run_check

    @pytest.mark.parametrize("check", CONTRACT, ids=lambda c: c.__name__)
    async def test_contract(check):
        await run_check(MyStore({"url": ...}), check)

Each check takes a started store and a key prefix unique to the run, uses
only keys under that prefix (except ``check_clear``, which empties the
store), and raises ``AssertionError`` with a message on a violation.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Awaitable, Callable

from prisma_infra.providers.cache import CacheStore

__all__ = ["CONTRACT", "Check", "run_check"]

Check = Callable[[CacheStore, str], Awaitable[None]]


async def check_missing_keys_are_none(store: CacheStore, prefix: str) -> None:
    assert await store.get_many([]) == [], "get_many([]) must return []"
    got = await store.get_many([f"{prefix}a", f"{prefix}b"])
    assert got == [None, None], f"missing keys must read as None, got {got!r}"


async def check_round_trip_bytes_exactly(store: CacheStore, prefix: str) -> None:
    values = {
        f"{prefix}empty-ish": b"\x00",
        f"{prefix}binary": bytes(range(256)) * 4,
        f"{prefix}crlf": b"a\r\nb\r\nEND\r\n",
        f"{prefix}large": os.urandom(512 * 1024),
    }
    await store.set_many(values, 60)
    got = await store.get_many(list(values))
    for (key, want), have in zip(values.items(), got, strict=True):
        assert have == want, f"{key}: stored bytes must read back unchanged"
        assert isinstance(have, bytes), f"{key}: values must be bytes, got {type(have).__name__}"


async def check_order_is_preserved(store: CacheStore, prefix: str) -> None:
    keys = [f"{prefix}k{i}" for i in range(300)]
    await store.set_many({k: str(i).encode() for i, k in enumerate(keys) if i % 3}, 60)
    got = await store.get_many(keys)
    want = [None if i % 3 == 0 else str(i).encode() for i in range(300)]
    assert got == want, "get_many must answer in the order of the keys, None where missing"


async def check_overwrite(store: CacheStore, prefix: str) -> None:
    key = f"{prefix}over"
    await store.set_many({key: b"one"}, 60)
    await store.set_many({key: b"two"}, 60)
    assert await store.get_many([key]) == [b"two"], "set_many must replace an existing value"


async def check_ttl_expires(store: CacheStore, prefix: str) -> None:
    short, forever, fraction = f"{prefix}short", f"{prefix}forever", f"{prefix}fraction"
    await store.set_many({short: b"x"}, 1)
    await store.set_many({forever: b"y"}, None)
    await store.set_many({fraction: b"z"}, 0.2)
    assert await store.get_many([short, forever, fraction]) == [b"x", b"y", b"z"], (
        "entries must be readable before their TTL (a fractional TTL is never rounded down to 0)"
    )
    await asyncio.sleep(2.2)  # memcached counts whole seconds
    got = await store.get_many([short, forever, fraction])
    assert got == [None, b"y", None], f"entries must expire after their TTL; ttl=None never does (got {got!r})"


async def check_delete_many(store: CacheStore, prefix: str) -> None:
    a, b, c = f"{prefix}a", f"{prefix}b", f"{prefix}never-set"
    await store.set_many({a: b"1", b: b"2"}, 60)
    await store.delete_many([a, c])
    await store.delete_many([])
    assert await store.get_many([a, b, c]) == [None, b"2", None], "delete_many removes keys, ignores missing ones"


async def check_incr(store: CacheStore, prefix: str) -> None:
    key = f"{prefix}counter"
    assert await store.incr(key) == 1, "incr of a missing counter creates it at 1"
    assert await store.incr(key) == 2
    assert await store.get_many([key]) == [b"2"], "a counter reads back as ASCII digits"
    seeded = f"{prefix}seeded"
    await store.set_many({seeded: b"1700000000000000"}, None)
    assert await store.incr(seeded) == 1700000000000001, "incr continues from a value written by set_many"


async def check_incr_is_atomic(store: CacheStore, prefix: str) -> None:
    key = f"{prefix}race"
    values = await asyncio.gather(*(store.incr(key) for _ in range(60)))
    assert sorted(values) == list(range(1, 61)), "concurrent incr calls must each get a distinct value"


async def check_incr_many(store: CacheStore, prefix: str) -> None:
    incr_many = getattr(store, "incr_many", None)
    if incr_many is None:  # optional: the manager falls back to incr
        return
    a, b = f"{prefix}m1", f"{prefix}m2"
    await store.incr(a)
    assert await incr_many([a, b]) == [2, 1], "incr_many increments each key in order"


async def check_concurrent_use(store: CacheStore, prefix: str) -> None:
    async def worker(i: int) -> None:
        key = f"{prefix}c{i % 20}"
        await store.set_many({key: str(i % 20).encode()}, 60)
        got = await store.get_many([key, f"{prefix}none"])
        assert got == [str(i % 20).encode(), None], f"concurrent readers must see consistent values, got {got!r}"

    await asyncio.gather(*(worker(i) for i in range(400)))


async def check_clear(store: CacheStore, prefix: str) -> None:
    keys = [f"pi:{prefix}x", f"pi:{prefix}y"]
    await store.set_many(dict.fromkeys(keys, b"1"), 60)
    await store.clear()
    assert await store.get_many(keys) == [None, None], "clear removes the store's entries"


CONTRACT: tuple[Check, ...] = (
    check_missing_keys_are_none,
    check_round_trip_bytes_exactly,
    check_order_is_preserved,
    check_overwrite,
    check_ttl_expires,
    check_delete_many,
    check_incr,
    check_incr_is_atomic,
    check_incr_many,
    check_concurrent_use,
    check_clear,
)


async def run_check(store: CacheStore, check: Check) -> None:
    """Start ``store``, run ``check`` under a fresh key prefix, close the store."""
    await store.start()
    try:
        await check(store, f"contract-{uuid.uuid4().hex[:12]}:")
    finally:
        await store.close()

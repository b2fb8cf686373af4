"""The cache-store contract: what every `CacheStore` must do. This is the definition of "a cache store".

The kernel's stores (memory, Redis, memcached) and every third-party store run
the same checks::

    import pytest
    from prisma_infra_sdk.testing import CacheStoreContract

    class TestMyStore(CacheStoreContract):
        @pytest.fixture
        def store(self):
            return MyStore({"url": "..."})  # fresh and not started: the kit starts and closes it

Each check takes a started store and a key prefix unique to the test. Keys
look like the kernel's (``pi:...``); only ``check_clear`` empties the store
(give the tests a store of their own). The checks are also importable as
plain coroutines (`CHECKS`, `run_check`) for parametrized suites.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import pytest_asyncio
from prisma_infra.providers import CacheStore

from prisma_infra_sdk.testing.contracts._base import ContractBase, missing_fixture

__all__ = ["CHECKS", "CONTRACT", "CacheStoreContract", "Check", "run_check"]

#: A check: ``await check(started_store, key_prefix)``; raises ``AssertionError`` on a violation.
Check = Callable[[CacheStore, str], Awaitable[None]]

#: Seconds of TTL granularity the checks allow for (memcached counts whole seconds).
TTL_RESOLUTION = 1.0
#: Size of the large value that must round-trip (under memcached's default 1 MiB item limit).
LARGE_VALUE = 512 * 1024


async def check_missing_keys_are_none(store: CacheStore, prefix: str) -> None:
    assert await store.get_many([]) == [], "get_many([]) must return []"
    got = await store.get_many([f"{prefix}a", f"{prefix}b"])
    assert got == [None, None], f"missing keys must read as None, got {got!r}"


async def check_round_trip_bytes_exactly(store: CacheStore, prefix: str) -> None:
    values = {
        f"{prefix}nul": b"\x00",
        f"{prefix}empty": b"",
        f"{prefix}binary": bytes(range(256)) * 4,
        f"{prefix}crlf": b"a\r\nb\r\nEND\r\n",
        f"{prefix}utf8": "naïve café ключ 🔑".encode(),
        f"{prefix}large": os.urandom(LARGE_VALUE),
    }
    await store.set_many(values, 60)
    got = await store.get_many(list(values))
    for (key, want), have in zip(values.items(), got, strict=True):
        assert isinstance(have, bytes), f"{key}: values must read back as bytes, got {type(have).__name__}"
        assert have == want, f"{key}: stored bytes must read back unchanged ({len(want)} bytes written)"


async def check_unicode_keys(store: CacheStore, prefix: str) -> None:
    keys = [f"{prefix}café", f"{prefix}ключ:キー", f"{prefix}emoji-🔑", f"{prefix}Ünïcødé" + "é" * 40]
    await store.set_many({k: k.encode() for k in keys}, 60)
    assert await store.get_many(keys) == [k.encode() for k in keys], "non-ASCII keys must work and stay distinct"
    assert await store.get_many([f"{prefix}cafe"]) == [None], "keys must not be folded (café ≠ cafe)"
    await store.delete_many(keys[:1])
    assert await store.get_many(keys[:2]) == [None, keys[1].encode()], "delete_many with a non-ASCII key"


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
    short, forever, fraction, renewed = f"{prefix}short", f"{prefix}forever", f"{prefix}fraction", f"{prefix}renew"
    await store.set_many({short: b"x", renewed: b"old"}, 1)
    await store.set_many({forever: b"y"}, None)
    await store.set_many({fraction: b"z"}, 0.2)
    await store.set_many({renewed: b"new"}, None)
    assert await store.get_many([short, forever, fraction]) == [b"x", b"y", b"z"], (
        "entries must be readable before their TTL (a fractional TTL is never rounded down to 0)"
    )
    await asyncio.sleep(1 + TTL_RESOLUTION + 0.2)
    got = await store.get_many([short, forever, fraction, renewed])
    assert got == [None, b"y", None, b"new"], (
        f"entries must expire after their TTL; ttl=None never expires, also over an entry that had a TTL (got {got!r})"
    )


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
    values = await asyncio.gather(*(store.incr(key) for _ in range(100)))
    assert sorted(values) == list(range(1, 101)), "concurrent incr calls must each get a distinct value"
    assert await store.get_many([key]) == [b"100"], "no increment may be lost under concurrency"


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
    keys = [f"{prefix}x", f"{prefix}y"]
    await store.set_many(dict.fromkeys(keys, b"1"), 60)
    await store.incr(f"{prefix}n")
    await store.clear()
    assert await store.get_many([*keys, f"{prefix}n"]) == [None, None, None], "clear removes the store's entries"
    await store.set_many({keys[0]: b"again"}, 60)
    assert await store.get_many(keys[:1]) == [b"again"], "a cleared store keeps working"


#: Every check, in the order the kit runs them.
CHECKS: tuple[Check, ...] = (
    check_missing_keys_are_none,
    check_round_trip_bytes_exactly,
    check_unicode_keys,
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

#: The name ``prisma_infra.cache.contract`` used (its checks moved here; this is now the one definition).
CONTRACT = CHECKS


def key_prefix() -> str:
    """A prefix like the kernel's keys (``pi:<namespace>:``), unique to one check."""
    return f"pi:contract-{uuid.uuid4().hex[:12]}:"


async def run_check(store: CacheStore, check: Check) -> None:
    """Start ``store``, run ``check`` under a fresh key prefix, close the store."""
    await store.start()
    try:
        await check(store, key_prefix())
    finally:
        await store.close()


class CacheStoreContract(ContractBase):
    """The cache-store kit. Provide ``store``: a fresh, unstarted `CacheStore` (the kit starts and closes it).

    Parametrize ``store`` to run the kit over several stores or configurations.
    """

    @pytest.fixture
    def store(self) -> CacheStore:
        missing_fixture(self, "CacheStoreContract", "store", "a fresh, unstarted CacheStore")

    @pytest_asyncio.fixture
    async def started_store(self, store: CacheStore) -> AsyncIterator[CacheStore]:
        assert isinstance(store, CacheStore), f"`store` must be a CacheStore, got {store!r}"
        await store.start()
        try:
            yield store
        finally:
            await store.close()

    @pytest.fixture
    def prefix(self) -> str:
        return key_prefix()

    async def test_is_a_cache_store_with_a_name(self, store: CacheStore) -> None:
        assert isinstance(store, CacheStore)
        assert isinstance(type(store).name, str) and type(store).name, "set the class attribute `name`"
        assert isinstance(type(store).shared, bool), "`shared` must be a bool"

    async def test_missing_keys_are_none(self, started_store: CacheStore, prefix: str) -> None:
        await check_missing_keys_are_none(started_store, prefix)

    async def test_round_trip_bytes_exactly(self, started_store: CacheStore, prefix: str) -> None:
        await check_round_trip_bytes_exactly(started_store, prefix)

    async def test_unicode_keys(self, started_store: CacheStore, prefix: str) -> None:
        await check_unicode_keys(started_store, prefix)

    async def test_order_is_preserved(self, started_store: CacheStore, prefix: str) -> None:
        await check_order_is_preserved(started_store, prefix)

    async def test_overwrite(self, started_store: CacheStore, prefix: str) -> None:
        await check_overwrite(started_store, prefix)

    async def test_ttl_expires(self, started_store: CacheStore, prefix: str) -> None:
        await check_ttl_expires(started_store, prefix)

    async def test_delete_many(self, started_store: CacheStore, prefix: str) -> None:
        await check_delete_many(started_store, prefix)

    async def test_incr(self, started_store: CacheStore, prefix: str) -> None:
        await check_incr(started_store, prefix)

    async def test_incr_is_atomic(self, started_store: CacheStore, prefix: str) -> None:
        await check_incr_is_atomic(started_store, prefix)

    async def test_incr_many(self, started_store: CacheStore, prefix: str) -> None:
        await check_incr_many(started_store, prefix)

    async def test_concurrent_use(self, started_store: CacheStore, prefix: str) -> None:
        await check_concurrent_use(started_store, prefix)

    async def test_clear(self, started_store: CacheStore, prefix: str) -> None:
        await check_clear(started_store, prefix)

    async def test_start_and_close_cycle(self, store: CacheStore, prefix: str) -> None:
        started = time.monotonic()
        await store.start()
        await store.set_many({f"{prefix}a": b"1"}, 60)
        await store.close()
        assert time.monotonic() - started < 10, "start/close must not hang"

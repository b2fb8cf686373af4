"""Live in-process entries: every hit is an independent copy; sizes are measured; odd types are refused."""

from __future__ import annotations

import sys
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from prisma_infra.cache.codec import Unencodable
from prisma_infra.cache.live import LocalEntry, copy_tree, live
from prisma_infra.cache.memory import ENTRY_OVERHEAD, MemoryStore
from prisma_infra.schema.model import Schema

from core.tests.cache.cache_fakes import FakeDB, make_manager, op, run

WHEN = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
FLAT = [{"id": i, "title": f"t{i}", "at": WHEN, "price": Decimal("1.50"), "blob": b"\x00\x01"} for i in range(3)]
NESTED = [{"id": 1, "tags": [{"name": "a"}], "meta": {"json": [1, {"deep": True}]}, "raw": bytearray(b"xy")}]


def _containers(value: Any) -> list[int]:
    """ids of every mutable container in ``value``."""
    out: list[int] = []
    if isinstance(value, dict):
        out.append(id(value))
        for v in value.values():
            out += _containers(v)
    elif isinstance(value, list | tuple):
        out.append(id(value))
        for v in value:
            out += _containers(v)
    elif isinstance(value, bytearray):
        out.append(id(value))
    return out


@pytest.mark.parametrize("result", [FLAT, NESTED, FLAT[0], NESTED[0], [], 7, None, {"_count": {"id": 3}}])
def test_copies_share_no_container_with_the_original_or_each_other(result: Any) -> None:
    kept = live(result)
    first, second = kept.copy(), kept.copy()
    assert first == second == result
    held = set(_containers(result)) | set(_containers(kept.value))
    for copy in (first, second):
        assert not held & set(_containers(copy))
    assert not set(_containers(first)) & set(_containers(second))


def test_flat_rows_take_the_shallow_path_and_nested_ones_do_not() -> None:
    assert live(FLAT).flat and live(FLAT[0]).flat
    assert not live(NESTED).flat and not live(NESTED[0]).flat


def test_copy_tree_copies_tuples_and_bytearrays() -> None:
    value = {"t": ([1], bytearray(b"a")), "u": uuid.UUID(int=5)}
    copy = copy_tree(value)
    assert copy == value
    assert copy["t"][0] is not value["t"][0] and copy["t"][1] is not value["t"][1]
    assert copy["u"] is value["u"]  # immutable: shared


def test_size_is_measured_over_the_objects() -> None:
    rows = [{"id": i, "body": f"{i:04d}" + "x" * 1000} for i in range(10)]
    kept = live(rows)
    # Ten distinct 1,004-character strings at least, plus the containers.
    assert kept.size >= 10 * sys.getsizeof(rows[0]["body"]) + sys.getsizeof(rows)
    # An object reached twice is charged once (the copies share it too).
    shared = "y" * 1000
    assert live([{"a": shared, "b": shared}]).size < live([{"a": shared, "b": shared + "z"}]).size


@pytest.mark.parametrize("bad", [[{"obj": object()}], {1: "int key"}, [{"s": {1, 2}}]])
def test_values_the_cache_cannot_copy_are_refused(bad: Any) -> None:
    with pytest.raises(Unencodable):
        live(bad)


def test_memory_store_charges_the_measured_size_and_evicts_by_it() -> None:
    kept = live([{"id": 1, "body": "y" * 5000}])
    entry = LocalEntry(0.0, 0.0, (1,), kept)
    store = MemoryStore({"max_bytes": 2 * (kept.size + ENTRY_OVERHEAD + 1) + 10})
    for key in "abc":
        store.set_entry(key, entry, None)
    assert len(store) == 2 and store.evictions == 1
    assert store.bytes == 2 * (kept.size + ENTRY_OVERHEAD + 1)
    assert store.get_entry("a") is None and store.get_entry("c") is entry
    assert store.get("c") is None  # the bytes API never returns an entry object


async def test_nested_hits_are_independent(schema: Schema, db: FakeDB) -> None:
    db.tables["Post"] = [{"id": "p1", "title": "Hello", "authorId": 1, "views": 1, "meta": {"tags": ["a"]}}]
    manager = make_manager(schema)
    await manager.start()
    await run(manager, db, op("Post"))
    mine = await run(manager, db, op("Post"))
    mine[0]["meta"]["tags"].append("mutated")
    again = await run(manager, db, op("Post"))
    assert again[0]["meta"] == {"tags": ["a"]} and db.reads == 1
    await manager.close()


async def test_an_uncopyable_result_is_returned_but_not_cached(schema: Schema, db: FakeDB) -> None:
    db.tables["Post"] = [{"id": "p1", "title": "Hello", "authorId": 1, "views": 1, "odd": object()}]
    manager = make_manager(schema)
    await manager.start()
    assert type((await run(manager, db, op("Post")))[0]["odd"]) is object
    await run(manager, db, op("Post"))
    assert db.reads == 2
    await manager.close()

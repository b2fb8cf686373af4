"""Keyset pagination over compound keys with an enum or a Boolean member, on every provider.

Prisma has no ``gt`` for enums and Booleans, so the keyset filter ``tier > T OR (tier = T AND
id > I)`` was refused (by the project's own validation, before Prisma) as soon as the second batch
of `stream`, `cursor_paginate` or a bulk update/delete asked for it. Such keys are now walked by
their values in the schema's order (enums as declared, Booleans false then true), whatever order
the database gives them: SQLite sorts the enum's names as text, which is not the declared order.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from prisma_infra.data.repository import Repository
from prisma_infra.infrastructure import Infrastructure

from tests.integration.fidelity_support import SETTINGS, clean, fidelity

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

__all__ = ["fidelity"]

DECLARED = ("SILVER", "GOLD", "BRONZE", "PLATINUM")


@pytest_asyncio.fixture(loop_scope="module")
async def infra(fidelity: Infrastructure) -> AsyncIterator[Infrastructure]:
    await clean(fidelity)
    # BRONZE left out of the middle ids: a tier with no row after the cursor's must not stop the walk.
    await fidelity.repository("ranked").create_many(
        [{"tier": tier, "id": i} for tier in DECLARED for i in range(1, 6) if tier != "BRONZE" or i == 5]
    )
    await fidelity.repository("flagged").create_many(
        [{"active": a, "rank": r} for a in (True, False) for r in (3, 1, 2)]
    )
    yield fidelity


def _keys(rows: list[Any], fields: tuple[str, str]) -> list[tuple[Any, Any]]:
    return [(row[fields[0]], row[fields[1]]) for row in rows]


async def _streamed(repo: Repository, fields: tuple[str, str], batch_size: int) -> list[tuple[Any, Any]]:
    out: list[tuple[Any, Any]] = []
    async for batch in repo.stream(batch_size=batch_size):
        assert len(batch) <= batch_size
        out.extend(_keys(batch, fields))
    return out


async def _paged(repo: Repository, fields: tuple[str, str], limit: int) -> list[tuple[Any, Any]]:
    out: list[tuple[Any, Any]] = []
    after: Any = None
    while True:
        page = await repo.find_many(cursor_paginate={"after": after, "limit": limit})
        out.extend(_keys(page.items, fields))
        if page.next_cursor is None:
            return out
        after = page.next_cursor


async def test_enum_member_streams_every_row_once_in_order(infra: Infrastructure) -> None:
    ranked = infra.repository("ranked")
    expected = sorted(_keys(await ranked.find_many(), ("tier", "id")), key=lambda k: (DECLARED.index(k[0]), k[1]))
    assert len(expected) == 16
    by_database = _keys(await ranked.find_many(order_by=[{"tier": "asc"}, {"id": "asc"}]), ("tier", "id"))
    assert (by_database == expected) is (infra.engine.provider != "sqlite")
    for size in (1, 2, 3, 5, 16, 17):
        assert await _streamed(ranked, ("tier", "id"), size) == expected, size
        assert await _paged(ranked, ("tier", "id"), size) == expected, size


async def test_boolean_member_streams_every_row_once_in_order(infra: Infrastructure) -> None:
    flagged = infra.repository("flagged")
    expected = [(a, r) for a in (False, True) for r in (1, 2, 3)]
    for size in (1, 2, 4, 6):
        assert await _streamed(flagged, ("active", "rank"), size) == expected, size
        assert await _paged(flagged, ("active", "rank"), size) == expected, size


async def test_members_after_a_comparable_one(infra: Infrastructure) -> None:
    slots = infra.repository("slot")
    rows = [
        {"day": d, "tier": t, "open": o} for d in (2, 1) for t in ("GOLD", "PLATINUM", "SILVER") for o in (True, False)
    ]
    await slots.create_many(rows)
    # Walked by (tier, open) first, in the schema's order, then by day.
    expected = sorted(
        ((r["tier"], r["open"], r["day"]) for r in rows), key=lambda k: (DECLARED.index(k[0]), k[1], k[2])
    )
    for size in (1, 4, 5, 12, 13):
        streamed = [(r["tier"], r["open"], r["day"]) async for batch in slots.stream(batch_size=size) for r in batch]
        assert streamed == expected, size


async def test_bulk_by_key_batches(infra: Infrastructure) -> None:
    ranked = infra.repository("ranked")
    updated = await ranked.bulk_update({"id": {"gte": 2}}, {"note": "seen"}, batch_size=2)
    assert updated.ok and updated.affected == 13
    assert await ranked.count({"note": "seen"}) == 13
    deleted = await infra.repository("flagged").bulk_delete({"rank": {"gte": 2}}, batch_size=1)
    assert deleted.ok and deleted.affected == 4
    assert _keys(await infra.repository("flagged").find_many(order_by=["active"]), ("active", "rank")) == [
        (False, 1),
        (True, 1),
    ]


async def test_audit_before_images_of_update_many(infra: Infrastructure, tmp_path: Path) -> None:
    # updateMany reads its before-images in key batches (audit.read_batch_size) by the same walk.
    audit = {"sinks": ["file"], "buffer_dir": str(tmp_path / "buffer"), "read_batch_size": 2}
    audit["sink_options"] = {"file": {"path": str(tmp_path / "audit.jsonl"), "fsync": "always"}}
    audited = Infrastructure({**SETTINGS[infra.engine.provider], "audit": audit, "base_dir": str(tmp_path)})
    await audited.start()
    try:
        assert (await audited.repository("ranked").update_many({"id": {"gte": 4}}, {"note": "late"}))["count"] == 7
        assert (await audited.repository("flagged").delete_many({"rank": {"lte": 2}}))["count"] == 4
        await audited.audit.flush()
        events = await audited.audit.query(sink="file")
    finally:
        await audited.close()
    befores = [(e["model"], e["before"]) for e in events if e.get("before")]
    assert len([b for m, b in befores if m == "Ranked" and b["note"] is None]) == 7
    assert sorted((b["active"], b["rank"]) for m, b in befores if m == "Flagged") == [
        (False, 1),
        (False, 2),
        (True, 1),
        (True, 2),
    ]

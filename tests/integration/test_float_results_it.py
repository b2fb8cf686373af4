"""Float fields come back as ``float`` in every result shape, integral values included, on every provider.

JSON writes the double ``2.0`` as ``2``: without the schema, ``reading=2.0`` (or its ``@default(0)``)
came back as the ``int`` 2 while the typed stubs say ``float``. Decimal stays `Decimal`, BigInt and
Int stay ``int``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
import pytest_asyncio
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.operation import Action, Operation

from tests.integration.fidelity_support import clean, fidelity

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

__all__ = ["fidelity"]


@pytest_asyncio.fixture(loop_scope="module")
async def infra(fidelity: Infrastructure) -> AsyncIterator[Infrastructure]:
    await clean(fidelity)
    site = await fidelity.repository("site").create({"name": "north", "area": 12.0})
    gauges = fidelity.repository("gauge")
    await gauges.create({"label": "a", "reading": 2.0, "amount": Decimal("3"), "total": 4, "siteId": site["id"]})
    await gauges.create({"label": "b", "siteId": site["id"]})  # reading: @default(0)
    yield fidelity


def _exact(value: Any, kind: type) -> None:
    assert type(value) is kind, (value, type(value))


async def test_records_and_writes(infra: Infrastructure) -> None:
    gauges = infra.repository("gauge")
    a = await gauges.find_first({"label": "a"})
    assert a is not None
    assert a["reading"] == 2.0
    _exact(a["reading"], float)
    _exact(a["amount"], Decimal)
    _exact(a["total"], int)
    _exact(a["hits"], int)
    b = await gauges.find_first({"label": "b"})
    assert b is not None
    _exact(b["reading"], float)
    for row in await gauges.find_many(order_by={"id": "asc"}):
        _exact(row["reading"], float)
    created = await gauges.create({"label": "c", "reading": 5.0})
    _exact(created["reading"], float)
    updated = await gauges.update(created["id"], {"reading": {"increment": 1.0}})
    assert updated["reading"] == 6.0
    _exact(updated["reading"], float)
    upserted = await gauges.upsert(created["id"], {"label": "c"}, {"reading": 7.0})
    _exact(upserted["reading"], float)
    deleted = await gauges.delete(created["id"])
    _exact(deleted["reading"], float)
    selected = await gauges.find_first({"label": "a"}, select={"reading": True})
    assert selected is not None
    _exact(selected["reading"], float)


async def test_includes_nested_and_lists(infra: Infrastructure) -> None:
    site = await infra.repository("site").find_first(
        {"name": "north"}, include={"gauges": {"orderBy": {"id": "asc"}, "include": {"site": True}}}
    )
    assert site is not None
    _exact(site["area"], float)
    assert [g["reading"] for g in site["gauges"]] == [2.0, 0.0]
    for gauge in site["gauges"]:
        _exact(gauge["reading"], float)
        _exact(gauge["site"]["area"], float)
    gauge = await infra.repository("gauge").find_first({"label": "a"}, select={"site": {"select": {"area": True}}})
    assert gauge is not None
    _exact(gauge["site"]["area"], float)


async def test_aggregates_and_group_by(infra: Infrastructure) -> None:
    gauges = infra.repository("gauge")
    agg = await gauges.aggregate(sum=["reading", "hits"], avg=["reading", "hits"], min=["reading"], max=["reading"])
    assert agg["_sum"]["reading"] == 2.0
    for key in ("_sum", "_avg", "_min", "_max"):
        _exact(agg[key]["reading"], float)
    _exact(agg["_sum"]["hits"], int)
    _exact(agg["_avg"]["hits"], float)  # Prisma's _avg is a Float whatever the field
    groups = await gauges.group_by("reading", sum=["reading"], max=["reading"], order_by={"reading": "asc"})
    assert [g["reading"] for g in groups] == [0.0, 2.0]
    for group in groups:
        for value in (group["reading"], group["_sum"]["reading"], group["_max"]["reading"]):
            _exact(value, float)


async def test_batch_and_transaction(infra: Infrastructure) -> None:
    gauges = infra.repository("gauge")
    first, agg = await infra.batch([gauges.op.find_first(where={"label": "a"}), gauges.op.aggregate(sum=["reading"])])
    _exact(first["reading"], float)
    _exact(agg["_sum"]["reading"], float)
    async with infra.transaction() as tx:
        row = await tx.repository("gauge").find_first({"label": "b"})
        assert row is not None
        _exact(row["reading"], float)


def _raw(infra: Infrastructure) -> Operation:
    table = '"Gauge"' if infra.engine.provider != "mysql" else "`Gauge`"
    return Operation(
        model=None, action=Action.QUERY_RAW, args={"sql": f"SELECT reading, hits FROM {table} ORDER BY id"}
    )


def _typed_rows(rows: list[dict[str, Any]]) -> None:
    assert [r["reading"] for r in rows] == [2.0, 0.0]
    for row in rows:
        _exact(row["reading"], float)
        _exact(row["hits"], int)


async def test_raw_query_columns(infra: Infrastructure) -> None:
    _typed_rows(await infra.execute(_raw(infra)))
    # In a batch (one $transaction of lazy Prisma promises) and in an interactive transaction.
    first, rows = await infra.batch([infra.repository("gauge").op.find_first(where={"label": "a"}), _raw(infra)])
    _exact(first["reading"], float)
    _typed_rows(rows)
    async with infra.transaction() as tx:
        _typed_rows(await tx.execute(_raw(infra)))

"""Every ``int`` of a BigInt field travels as BigInt, whatever its size, on every provider.

An ``int`` within JavaScript's safe range went to the bridge as a JavaScript number, a double: on
SQLite the arithmetic with it was done in floating point, so ``increment: 1`` on ``2**53 + 1`` gave
``2**53`` (likewise ``multiply``, ``divide``, in updateMany, upserts and nested writes).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.operation import Action, Operation

from tests.integration.fidelity_support import clean, fidelity

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

__all__ = ["fidelity"]

BIG = 2**53 + 1  # the first integer a double cannot hold


@pytest_asyncio.fixture(loop_scope="module")
async def infra(fidelity: Infrastructure) -> AsyncIterator[Infrastructure]:
    await clean(fidelity)
    yield fidelity


async def test_update_operations(infra: Infrastructure) -> None:
    counters = infra.repository("counter")
    await counters.create({"id": 1, "value": BIG})
    assert (await counters.update(1, {"value": {"increment": 1}}))["value"] == BIG + 1
    assert (await counters.update(1, {"value": {"decrement": 3}}))["value"] == BIG - 2
    assert (await counters.update(1, {"value": {"set": BIG}}))["value"] == BIG
    assert (await counters.update(1, {"value": {"multiply": 3}}))["value"] == BIG * 3
    assert (await counters.update(1, {"value": {"divide": 3}}))["value"] == BIG
    await counters.update_many({"id": 1}, {"value": {"increment": 2}})
    found = await counters.find_unique(1)
    assert found is not None and found["value"] == BIG + 2


async def test_filters_and_keys(infra: Infrastructure) -> None:
    counters = infra.repository("counter")
    await counters.create_many([{"id": BIG, "value": 1}, {"id": BIG + 1, "value": 2}, {"id": 3, "value": 3}])
    assert [r["id"] for r in await counters.find_many({"id": {"gt": 3}}, order_by={"id": "asc"})] == [BIG, BIG + 1]
    assert [r["id"] for r in await counters.find_many({"value": {"in": [1, 3]}}, order_by={"id": "asc"})] == [3, BIG]
    others = await counters.find_many({"value": {"not": {"equals": 2}}, "id": {"lte": BIG}}, order_by={"id": "asc"})
    assert [r["id"] for r in others] == [3, BIG]
    page = await counters.find_many(cursor={"id": BIG}, take=2, order_by={"id": "asc"})
    assert [r["id"] for r in page] == [BIG, BIG + 1]
    groups = await counters.group_by("value", having={"value": {"_sum": {"gt": 1}}}, order_by={"value": "asc"})
    assert [g["value"] for g in groups] == [2, 3]


async def test_upsert_and_nested_writes(infra: Infrastructure) -> None:
    counters = infra.repository("counter")
    await counters.upsert(7, {"id": 7, "value": BIG}, {"value": 0})
    assert (await counters.upsert(7, {"id": 7, "value": 0}, {"value": {"increment": 1}}))["value"] == BIG + 1
    sites = infra.repository("site")
    site = await sites.create({"name": "s", "gauges": {"create": [{"label": "a", "total": BIG}]}})
    gauge = (await infra.repository("gauge").find_many({"siteId": site["id"]}))[0]
    updated = await sites.update(
        site["id"],
        {"gauges": {"update": {"where": {"id": gauge["id"], "total": BIG}, "data": {"total": {"increment": 1}}}}},
        include={"gauges": True},
    )
    assert updated["gauges"][0]["total"] == BIG + 1
    updated = await sites.update(
        site["id"],
        {"gauges": {"updateMany": {"where": {"total": {"gte": 1}}, "data": {"total": {"multiply": 3}}}}},
        include={"gauges": True},
    )
    assert updated["gauges"][0]["total"] == (BIG + 1) * 3
    updated = await sites.update(
        site["id"],
        {
            "gauges": {
                "upsert": {
                    "where": {"id": gauge["id"]},
                    "create": {"label": "b", "total": 1},
                    "update": {"total": {"decrement": 1}},
                }
            }
        },
        include={"gauges": {"where": {"total": {"gt": 1}}}},
    )
    assert updated["gauges"][0]["total"] == (BIG + 1) * 3 - 1


async def test_batch_and_transaction(infra: Infrastructure) -> None:
    counters = infra.repository("counter")
    await counters.create({"id": 11, "value": BIG})
    first, second = await infra.batch(
        [counters.op.update(where=11, data={"value": {"increment": 1}}), counters.op.find_unique(where=11)]
    )
    assert first["value"] == second["value"] == BIG + 1
    async with infra.transaction() as tx:
        row = await tx.repository("counter").update(11, {"value": {"increment": 1}})
    assert row["value"] == BIG + 2
    increment = {"where": {"id": 11}, "data": {"value": {"increment": 1}}}
    executed = await infra.execute(Operation(model="Counter", action=Action.UPDATE, args=increment))
    assert executed["value"] == BIG + 3

"""Raw SQL on the real Prisma engine (PostgreSQL, SQLite): a queryRaw that writes is audited and
invalidates the cache like executeRaw; the trail keeps the SQL with its literals masked."""

from __future__ import annotations

from typing import Any

import pytest
from prisma_infra.infrastructure import Infrastructure

from tests.audit.audit_it_support import MakeInfra

pytestmark = pytest.mark.integration


def p(infra: Infrastructure, index: int) -> str:
    return f"${index}" if infra.engine.provider == "postgresql" else "?"


async def raw_events(infra: Infrastructure) -> list[dict[str, Any]]:
    return [e for e in await infra.audit.query(sink="database") if e["action"] in ("queryRaw", "executeRaw")]


async def test_query_raw_writes_are_audited_and_invalidate_the_cache(make_infra: MakeInfra) -> None:
    async with make_infra(cache={"enabled": True, "tiers": ["memory"]}) as infra:
        users = infra.repository("user")
        alice = await users.create({"email": "alice@example.com", "name": "Alice"})
        assert (await users.find_unique(alice["id"]))["name"] == "Alice"  # cached now
        # Without the classification, the second call would be answered from the cache: karma 1 again.
        bump = {"sql": f'UPDATE "User" SET karma = karma + 1 WHERE id = {p(infra, 1)} RETURNING karma',
                "params": [alice["id"]]}
        first = await infra.call(None, "queryRaw", bump)
        second = await infra.call(None, "queryRaw", bump)
        assert [int(first[0]["karma"]), int(second[0]["karma"])] == [1, 2]
        rename = (
            "WITH changed AS (UPDATE \"User\" SET name = 'Zebulon Quintessa' "
            "WHERE email = 'alice@example.com' RETURNING id) SELECT count(*) AS n FROM changed"
        )
        if infra.engine.provider != "postgresql":  # SQLite has no writes in CTEs
            rename = "UPDATE \"User\" SET name = 'Zebulon Quintessa' WHERE email = 'alice@example.com' RETURNING id"
        await infra.call(None, "queryRaw", {"sql": rename})
        assert (await users.find_unique(alice["id"]))["name"] == "Zebulon Quintessa"  # the cached row was dropped
        plain = {"sql": 'SELECT count(*) AS n FROM "User"'}
        await infra.call(None, "queryRaw", plain)
        events = await raw_events(infra)
        placeholder = p(infra, 1)
    assert [e["action"] for e in events] == ["queryRaw"] * 3  # the plain SELECT is no event
    assert all(e["details"]["written"] == ["User"] for e in events)
    expected = f'UPDATE "User" SET karma = karma + ? WHERE id = {placeholder} RETURNING karma'
    assert events[0]["details"]["sql"] == expected
    assert events[0]["details"]["params"] == 1 and events[0]["details"]["affected"] == 1
    assert "name = ?" in events[2]["details"]["sql"] and "email = ?" in events[2]["details"]["sql"]
    trail = repr(events)
    assert "Zebulon" not in trail and "alice@example.com" not in trail

"""The cache facade, cache isolation (in-memory and Redis) and audit queries, attacked by the acme READER.

The cache stores what the database returned, below the policies middleware:
`infra.cache_for(model).get` must never hand that raw entry to an actor the
policies would mask it for, and two tenants running the same query never share
an entry. Audit queries apply the row and field rules of the model they describe.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.policies import merge_where

from tests.security.policy_set import ADMIN, ATTACKER, GLOBEX_READER
from tests.security.security_support import (
    ACME_POSTS,
    ACME_USERS,
    USERS,
    World,
    assert_no_secret,
    attempt,
    ids,
    is_refusal,
    settings,
)

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

REDIS_URL = "redis://127.0.0.1:6379/0"


def cache_settings(tier: str) -> dict[str, Any]:
    if tier == "memory":
        return {"cache": {"enabled": True, "tiers": ["memory"]}}
    namespace = f"h8-security-{uuid.uuid4().hex[:8]}"
    return {
        "cache": {"enabled": True, "tiers": ["redis"], "stores": {"redis": {"url": REDIS_URL, "namespace": namespace}}},
        "plugins": {"load": ["prisma", "redis"]},
    }


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=["memory", "redis"])
async def cached(request: pytest.FixtureRequest, world: World) -> AsyncIterator[Infrastructure]:
    """The same database and policies with the cache on (one tier per parameter)."""
    tier: str = request.param
    folder: Path = world.folder / f"cache-{tier}"
    async with Infrastructure(settings(world.schema, world.url, folder, **cache_settings(tier))) as started:
        assert started.cache_manager is not None
        yield started


async def fresh(cached: Infrastructure, infra: Infrastructure) -> Infrastructure:
    """``infra`` has just re-seeded the rows: start from an empty cache."""
    await cached.cache.clear()
    return cached


def scoped_args(infra: Infrastructure, actor: Any, model: str) -> dict[str, Any]:
    """The args the cache saw for a plain findMany by ``actor``: the policy filter merged in."""
    return {"where": merge_where(None, infra.policies.plan(actor, model, "findMany").filter)}


async def test_cache_isolated_per_tenant(cached: Infrastructure, infra: Infrastructure) -> None:
    c = await fresh(cached, infra)
    for _ in range(2):  # the second round is served from the cache
        with c.acting_as(ATTACKER):
            acme = await c.repository("user").find_many(order_by={"id": "asc"})
        with c.acting_as(GLOBEX_READER):
            globex = await c.repository("user").find_many(order_by={"id": "asc"})
        assert ids(acme) == ACME_USERS and ids(globex) == {3, 4}
        assert_no_secret(acme)
    stats = c.cache_for("User").stats()
    assert sum(t.get("hits", 0) for t in stats["tiers"].values()) >= 2, stats  # the cache was really on


async def test_cache_admin_entry_never_served_to_reader(cached: Infrastructure, infra: Infrastructure) -> None:
    c = await fresh(cached, infra)
    for actor in (ADMIN, ADMIN, ATTACKER, ATTACKER):
        with c.acting_as(actor):
            rows = await c.repository("user").find_many({"id": {"in": [1, 2, 3]}}, order_by={"id": "asc"})
        if actor is ADMIN:
            assert rows[2]["cardNumber"] == USERS[2]["cardNumber"]
        else:
            assert ids(rows) == ACME_USERS
            assert_no_secret(rows)


async def test_cache_same_actor_id_other_tenant(cached: Infrastructure, infra: Infrastructure) -> None:
    """Actor ids are per tenant in many systems: user 1 of globex must not get user 1 of acme's entry."""
    c = await fresh(cached, infra)
    twin = {**ATTACKER, "tenant_id": "globex"}
    with c.acting_as(ATTACKER):
        acme = await c.repository("post").find_many()
    with c.acting_as(twin):
        globex = await c.repository("post").find_many()
    assert ids(acme) == {10, 11} and ids(globex) == {20, 21}


async def test_cache_facade_get_never_returns_unmasked_rows(cached: Infrastructure, infra: Infrastructure) -> None:
    c = await fresh(cached, infra)
    facade = c.cache_for("User")
    with c.acting_as(ADMIN):  # the control: the facade returns the admin's own cached rows
        await c.repository("user").find_many()
        assert len(await facade.get("findMany", {})) == 4
    with c.acting_as(ATTACKER):
        await c.repository("user").find_many()
        for args in ({}, scoped_args(c, ATTACKER, "User")):
            outcome = await attempt(lambda a=args: facade.get("findMany", a))
            if outcome[0] == "error":
                assert is_refusal(outcome[1]), outcome
                continue
            found = outcome[1]
            assert found is None or ids(found) <= ACME_USERS, found
            assert_no_secret(found)


async def test_cache_facade_get_of_another_tenants_entry(cached: Infrastructure, infra: Infrastructure) -> None:
    c = await fresh(cached, infra)
    with c.acting_as(GLOBEX_READER):
        await c.repository("post").find_many()
        globex_args = scoped_args(c, GLOBEX_READER, "Post")
    with c.acting_as(ATTACKER):
        found = await attempt(lambda: c.cache_for("Post").get("findMany", globex_args))
        contains = await attempt(lambda: c.cache_for("Post").contains("findMany", globex_args))
    assert found in (("ok", None),) or (found[0] == "error" and is_refusal(found[1])), found
    assert contains in (("ok", False),) or (contains[0] == "error" and is_refusal(contains[1])), contains


async def test_cache_facade_explain_and_stats_hold_no_values(cached: Infrastructure, infra: Infrastructure) -> None:
    c = await fresh(cached, infra)
    with c.acting_as(ATTACKER):
        await c.repository("user").find_many()
        explained = c.cache_for("User").explain("findMany", {"where": {"cardNumber": "4111000011110001"}})
        stats = c.cache_for("User").stats()
    assert_no_secret([explained, stats])


async def test_cache_facade_invalidate_and_clear_stay_scoped(cached: Infrastructure, infra: Infrastructure) -> None:
    """Invalidation only drops entries (never returns or writes rows): the rows stay as the policies allow."""
    c = await fresh(cached, infra)
    with c.acting_as(ATTACKER):
        await c.cache_for("Post").invalidate()
        await c.cache_for("Post").clear()
        assert ids(await c.repository("post").find_many()) == {10, 11}


# -- audit queries -------------------------------------------------------------------------------


def event_ids(events: list[dict[str, Any]]) -> set[Any]:
    found = set()
    for event in events:
        key = event.get("recordId") or event.get("record_id") or {}
        if isinstance(key, dict) and "id" in key:
            found.add(key["id"])
    return found


async def seeded_audit(infra: Infrastructure) -> None:
    with infra.acting_as(ADMIN):
        await infra.repository("user").update(3, {"name": "Gina"})  # an event on a globex user
        await infra.repository("user").update(1, {"name": "Alice"})
    await infra.audit.flush()


async def test_audit_history_of_a_globex_record(infra: Infrastructure) -> None:
    await seeded_audit(infra)
    with infra.acting_as(ADMIN):
        assert await infra.audit.history("User", 3)  # the control
    with infra.acting_as(ATTACKER):
        outcome = await attempt(lambda: infra.audit.history("User", 3))
    assert outcome == ("ok", []) or (outcome[0] == "error" and is_refusal(outcome[1])), outcome


async def test_audit_query_is_scoped_and_masked(infra: Infrastructure) -> None:
    await seeded_audit(infra)
    with infra.acting_as(ADMIN):
        assert 3 in event_ids(await infra.audit.query(model="User"))
    with infra.acting_as(ATTACKER):
        events = await infra.audit.query(model="User")
        everything = await infra.audit.query()
        streamed = [e async for e in infra.audit.stream(model="Post")]
    assert events, "the attacker's own tenant has events"
    assert event_ids(events) <= ACME_USERS, event_ids(events)
    assert_no_secret([events, everything, streamed])


async def test_audit_query_by_actor_and_action(infra: Infrastructure) -> None:
    await seeded_audit(infra)
    with infra.acting_as(ATTACKER):
        by_admin = await infra.audit.query(actor=ADMIN, action="update")
    assert event_ids(by_admin) <= ACME_USERS
    assert_no_secret(by_admin)


async def test_audit_export_is_scoped(infra: Infrastructure, tmp_path: Path) -> None:
    await seeded_audit(infra)
    target = tmp_path / "export.jsonl"
    with infra.acting_as(ATTACKER):
        outcome = await attempt(lambda: infra.audit.export(target, model="User"))
    if outcome[0] == "error":
        assert is_refusal(outcome[1]), outcome
        return
    assert_no_secret(target.read_text())


async def test_every_audit_read_path_gives_the_same_scoped_events(infra: Infrastructure, tmp_path: Path) -> None:
    """query, stream, history and export (JSON lines and CSV) share one scoping: same events, same masking."""
    await seeded_audit(infra)
    with infra.acting_as(ADMIN):
        await infra.repository("post").delete(20)  # a deleted globex record: hidden by its last image
        await infra.repository("post").delete(10)  # a deleted acme record: shown, its secret hidden
    await infra.audit.flush()
    jsonl, csv_file = tmp_path / "export.jsonl", tmp_path / "export.csv"
    with infra.acting_as(ATTACKER):
        queried = await infra.audit.query(model="Post")
        streamed = [e async for e in infra.audit.stream(model="Post")]
        history = await infra.audit.history("Post", 10) + await infra.audit.history("Post", 20)
        exported = await infra.audit.export(jsonl, model="Post")
        await infra.audit.export(csv_file, model="Post", format="csv")
    assert queried == streamed
    assert {e["id"] for e in history} <= {e["id"] for e in queried}
    assert exported == len(queried) == len(jsonl.read_text().splitlines())
    assert len(csv_file.read_text().splitlines()) == exported + 1  # the header
    assert 10 in event_ids(history) and event_ids(queried) <= ACME_POSTS, event_ids(queried)
    assert any(e["action"] == "delete" and e["before"] for e in history)
    assert_no_secret([queried, history, jsonl.read_text(), csv_file.read_text()])


async def test_audit_verify_reveals_no_values(infra: Infrastructure) -> None:
    await seeded_audit(infra)
    with infra.acting_as(ATTACKER):
        outcome = await attempt(lambda: infra.audit.verify())
    assert_no_secret(outcome)

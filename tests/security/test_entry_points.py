"""The entry points the other attack modules do not reach, found by the path matrix (`paths.MATRIX`).

Compiled arguments and `Operation` objects (``run``, ``operation``, ``execute``,
``find_compiled``, the query builder's ``compile``), the query builder's shapes,
the `OperationFactory` in a batch, nested transactions, the analytics engine, the
compliance reports and the PII manager: each attacked by the acme READER, each
with a control (the platform admin gets the rows).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from prisma_infra.data.repository import Repository
from prisma_infra.errors import ConstraintError, RecordNotFoundError
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.operation import Action, Operation
from prisma_infra.sync import SyncInfrastructure

from tests.security.policy_set import ADMIN, ATTACKER
from tests.security.security_support import (
    ACME_POSTS,
    ACME_USERS,
    World,
    assert_no_secret,
    assert_refused,
    assert_refused_or_not_found,
    attempt,
    ids,
    settings,
    snapshot,
)
from tests.security.test_cache_audit import seeded_audit

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

GLOBEX = {"tenantId": "globex"}
GLOBEX_POST = {"id": 50, "tenantId": "globex", "authorId": 3, "title": "x"}
NOTHING: tuple[Any, ...] = ([], None, 0, {"count": 0})


def page_items(page: Any) -> Any:
    return page.items


async def compiled_reads(infra: Infrastructure) -> list[Any]:
    """The same globex read through each compiled-argument path."""
    users, posts = infra.repository("user"), infra.repository("post")
    query = infra.query("post").where(GLOBEX).search("globex")
    return [
        await users.run(Action.FIND_MANY, {"where": GLOBEX}),
        await users.run("findUnique", {"where": {"id": 3}}),
        await infra.execute(users.operation(Action.FIND_MANY, {"where": GLOBEX})),
        await users.find_compiled({"where": GLOBEX}),
        page_items(await users.find_compiled({"where": GLOBEX}, paginate={"page": 1, "limit": 10})),
        page_items(await users.find_compiled({"where": GLOBEX}, cursor_paginate={"limit": 10})),
        await posts.find_compiled(query.compile()),
        await posts.find_many(query.where_args()),
        await posts.find_many(posts.search_where("globex")),
    ]


async def test_compiled_args_and_operations_see_no_globex_row(infra: Infrastructure) -> None:
    with infra.acting_as(ATTACKER):
        found = await compiled_reads(infra)
        selected = await infra.repository("user").run(Action.FIND_MANY, {"select": {"id": True, "cardNumber": True,
                                                                                     "salary": True}})
    assert all(result in NOTHING for result in found), found
    assert ids(selected) == ACME_USERS and all("cardNumber" not in u and u["salary"] is None for u in selected)
    assert_no_secret(selected)
    with infra.acting_as(ADMIN):  # the control: every path finds the globex rows
        assert all(result not in NOTHING for result in await compiled_reads(infra))


async def test_query_builder_shapes_see_no_globex_row_and_no_hidden_field(infra: Infrastructure) -> None:
    def shapes() -> list[Any]:
        users = infra.query("user")
        return [
            users.select(["id", "cardNumber", "salary", "email"]).take(10).skip(0).no_cache(),
            users.omit(["name"]).cursor({"id": 1}).take(5).cache(ttl=5),
            infra.query("post").include({"comments": {"include": {"author": True}}, "author": True}).order_by("id"),
        ]

    with infra.acting_as(ATTACKER):
        selected, after_cursor, posts = [await q.all() for q in shapes()]
    assert ids(selected) == ACME_USERS and ids(after_cursor) <= ACME_USERS
    assert all("cardNumber" not in u and u["salary"] is None for u in selected + after_cursor)
    assert ids(posts) == ACME_POSTS and {c["id"] for c in posts[0]["comments"]} == {101}
    assert_no_secret([selected, after_cursor, posts])
    with infra.acting_as(ADMIN):
        control = [await q.all() for q in shapes()]
    assert ids(control[0]) == {1, 2, 3, 4} and control[0][2]["cardNumber"] == "5500000033330003"


FACTORY: dict[str, Callable[[Repository], Operation]] = {
    "find_unique": lambda p: p.op.find_unique(where={"id": 20}),
    "find_first": lambda p: p.op.find_first(where=GLOBEX),
    "find_many": lambda p: p.op.find_many(where=GLOBEX),
    "count": lambda p: p.op.count(where=GLOBEX),
    "aggregate": lambda p: p.op.aggregate(where=GLOBEX, _count={"_all": True}, _sum={"views": True}),
    "group_by": lambda p: p.op.group_by(by=["tenantId"], where=GLOBEX, _count={"_all": True}),
    "create": lambda p: p.op.create(data=GLOBEX_POST),
    "create_many": lambda p: p.op.create_many(data=[GLOBEX_POST]),
    "update": lambda p: p.op.update(where={"id": 20}, data={"title": "pwned"}),
    "update_many": lambda p: p.op.update_many(where=GLOBEX, data={"title": "pwned"}),
    "upsert": lambda p: p.op.upsert(where={"id": 20}, create={**GLOBEX_POST, "id": 20, "tenantId": "acme",
                                                                 "authorId": 1}, update={"title": "pwned"}),
    "delete": lambda p: p.op.delete(where={"id": 20}),
    "delete_many": lambda p: p.op.delete_many(where=GLOBEX),
}


@pytest.mark.parametrize("method", list(FACTORY))
async def test_operation_factory_in_a_batch(infra: Infrastructure, method: str) -> None:
    before = await snapshot(infra)
    with infra.acting_as(ATTACKER):
        kind, value = await attempt(lambda: infra.batch([FACTORY[method](infra.repository("post"))]))
    assert await snapshot(infra) == before, f"op.{method} in a batch changed the database"
    if kind == "ok":
        (result,) = value
        if method == "aggregate":
            assert result["_count"]["_all"] == 0 and result["_sum"]["views"] is None, result
        else:
            assert result in NOTHING, result
    elif not (method == "upsert" and isinstance(value, ConstraintError)):  # upsert falls through to its create
        (assert_refused if method.startswith("create") else assert_refused_or_not_found)((kind, value))
    if method.startswith("find") or method in ("count", "group_by"):
        with infra.acting_as(ADMIN):  # the control: the same read finds globex rows
            assert (await infra.batch([FACTORY[method](infra.repository("post"))]))[0] not in NOTHING


async def test_nested_transaction_is_scoped(infra: Infrastructure) -> None:
    before = await snapshot(infra)
    with infra.acting_as(ATTACKER):
        async with infra.transaction() as tx, tx.transaction() as inner:
            assert ids(await inner.repository("post").find_many()) == ACME_POSTS
            assert await inner.query("user").where(GLOBEX).all() == []
            with pytest.raises(RecordNotFoundError):
                await inner.repository("post").delete(20)
    assert await snapshot(infra) == before


async def test_analytics_engine_run_and_plan_are_scoped(infra: Infrastructure) -> None:
    def query() -> Any:
        return (infra.analytics("post").metrics(["count", "sum:views"]).date_field("createdAt")
                .date_range("2000-01-01", "2100-01-01").tz(None).fill_gaps(False))

    with infra.acting_as(ATTACKER):
        plan = query().plan()
        result = await infra.analytics_engine.run(query())
        globex = await infra.analytics_engine.run(query().where(GLOBEX))
    assert plan.use_prisma and plan.date_field is not None and plan.date_field.name == "createdAt"
    assert result.totals["count"] == 2 and result.totals["sum:views"] == 12
    assert globex.totals["count"] == 0
    with infra.acting_as(ADMIN):
        assert (await infra.analytics_engine.run(query())).totals["count"] == 4


async def test_subject_access_of_a_globex_subject(infra: Infrastructure) -> None:
    await seeded_audit(infra)
    with infra.acting_as(ADMIN):  # the control: the subject is found, with the audit event on it
        assert (await infra.compliance.subject_access("gina@globex.test")).record_count >= 1
    for subject, model in (("gina@globex.test", None), (3, "User"), ("globex", None)):
        with infra.acting_as(ATTACKER):
            kind, value = await attempt(partial(infra.compliance.subject_access, subject, model=model))
        if kind == "error":
            assert_refused((kind, value))
            continue
        assert value.record_count == 0, value.records
        assert_no_secret(value.to_dict())


async def test_compliance_audit_export_is_scoped(infra: Infrastructure, tmp_path: Path) -> None:
    await seeded_audit(infra)
    target = tmp_path / "export.jsonl"
    with infra.acting_as(ATTACKER):
        kind, value = await attempt(lambda: infra.compliance.audit_export(target))
    if kind == "error":
        assert_refused((kind, value))
        return
    assert value >= 1, "the attacker's own tenant has events"
    assert_no_secret(target.read_text())


async def test_pii_inventory_samples_only_what_the_actor_reads(infra: Infrastructure) -> None:
    with infra.acting_as(ATTACKER):
        report = await infra.pii.inventory(sample=10)
    assert report.sampled_models.get("User") == len(ACME_USERS), report.sampled_models
    assert_no_secret([report.to_dicts(), report.errors])
    with infra.acting_as(ADMIN):  # the control: the admin's sample holds every tenant's users
        assert (await infra.pii.inventory(sample=10)).sampled_models.get("User") == 4


async def test_pii_unmask_is_refused_to_a_reader(infra: Infrastructure) -> None:
    with infra.acting_as(ATTACKER):
        outcome = await attempt(lambda: _unmask(infra, "tok_0123456789abcdef"))
    assert_refused(outcome)
    assert getattr(outcome[1], "policy", None) == "pii.unmask", outcome


async def _unmask(infra: Infrastructure, token: str) -> str:
    return infra.pii.unmask(token)


def sync_attack(world: World) -> dict[str, Any]:
    """The same attacks through the synchronous facade (its own loop thread): the actor must travel with the call."""
    sync = SyncInfrastructure(Infrastructure(settings(world.schema, world.url, world.folder / "sync"))).start()
    try:
        with sync.acting_as(ATTACKER):
            found = {
                "users": sync.repository("user").find_many(),
                "globex": sync.query("post").where(GLOBEX).all(),
                "streamed": [r for batch in sync.repository("post").stream(GLOBEX) for r in batch],
                "call": sync.call("User", "findUnique", {"where": {"id": 3}}),
                "write": sync.repository("post").update_many(GLOBEX, {"title": "pwned"}),
            }
            with sync.transaction() as tx:
                found["in-transaction"] = tx.repository("post").find_many(GLOBEX)
        with sync.acting_as(ADMIN):
            found["control"] = sync.repository("post").count(GLOBEX)
        found["anonymous"] = _refusal(lambda: sync.repository("user").find_many())
        return found
    finally:
        sync.close()


def _refusal(run: Callable[[], Any]) -> Any:
    try:
        return run()
    except Exception as exc:  # the facade re-raises the async error as is
        return exc


async def test_sync_facade_carries_the_actor(world: World, infra: Infrastructure) -> None:
    before = await snapshot(infra)
    found = await asyncio.to_thread(sync_attack, world)
    assert await snapshot(infra) == before
    assert ids(found.pop("users")) == ACME_USERS
    assert found.pop("control") == 2
    anonymous = found.pop("anonymous")
    assert_refused(("error", anonymous))
    assert found == {"globex": [], "streamed": [], "call": None, "write": {"count": 0}, "in-transaction": []}, found

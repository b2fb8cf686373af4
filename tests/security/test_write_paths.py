"""WRITE attacks: an acme READER tries to change globex rows, move rows to globex, or write through relations.

Every attack compares a snapshot of all tables (read with policies bypassed)
before and after: nothing may change. The outcome is a policy refusal or
"not found"/``{"count": 0}`` (Prisma's answer for a filtered-out row). A
control shows the attacker may write the same shape on its own rows.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from prisma_infra.errors import ConstraintError
from prisma_infra.infrastructure import Infrastructure

from tests.security.policy_set import ATTACKER
from tests.security.security_support import assert_refused, assert_refused_or_not_found, attempt, snapshot

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

GLOBEX = {"tenantId": "globex"}
NEW_POST = {"id": 50, "authorId": 1, "title": "new", "tenantId": "acme"}


async def unchanged_after(infra: Infrastructure, attack: Callable[[], Awaitable[Any]]) -> tuple[str, Any]:
    before = await snapshot(infra)
    with infra.acting_as(ATTACKER):
        outcome = await attempt(attack)
    assert await snapshot(infra) == before, f"the attack changed the database (outcome {outcome!r:.300})"
    return outcome


async def test_control_the_attacker_writes_its_own_rows(infra: Infrastructure) -> None:
    with infra.acting_as(ATTACKER):
        assert (await infra.repository("post").update(10, {"title": "acme relaunch"}))["title"] == "acme relaunch"
        assert (await infra.repository("post").create(NEW_POST))["id"] == 50
        assert await infra.repository("comment").update_many({"postId": 10}, {"body": "edited"}) == {"count": 1}


FILTERED_WRITES: list[tuple[str, Callable[[Infrastructure], Awaitable[Any]]]] = [
    ("update-globex-row", lambda i: i.repository("post").update(20, {"title": "pwned"})),
    ("update-many-globex", lambda i: i.repository("post").update_many(GLOBEX, {"title": "pwned"})),
    ("update-many-by-id", lambda i: i.repository("user").update_many({"id": {"in": [3, 4]}}, {"name": "pwned"})),
    ("delete-globex-row", lambda i: i.repository("post").delete(20)),
    ("delete-many-globex", lambda i: i.repository("comment").delete_many(GLOBEX)),
    ("delete-globex-tenant", lambda i: i.repository("tenant").delete("globex")),
    ("upsert-globex-row", lambda i: i.repository("post").upsert(20, {**NEW_POST, "id": 20}, {"title": "pwned"})),
    ("bulk-update-globex", lambda i: i.repository("user").bulk_update(GLOBEX, {"name": "pwned"})),
    ("bulk-delete-globex", lambda i: i.repository("post").bulk_delete(GLOBEX)),
    ("call-update", lambda i: i.call("User", "update", {"where": {"id": 3}, "data": {"name": "pwned"}})),
    ("call-update-many", lambda i: i.call("Comment", "updateMany", {"where": {"postId": 20}, "data": {"body": "x"}})),
    ("call-delete", lambda i: i.call("Comment", "delete", {"where": {"id": 100}})),
    ("call-delete-many", lambda i: i.call("User", "deleteMany", {"where": GLOBEX})),
    ("call-upsert", lambda i: i.call("Tenant", "upsert", {"where": {"id": "globex"}, "create": {"id": "globex",
                                                          "name": "x"}, "update": {"name": "pwned"}})),
]


@pytest.mark.parametrize("attack", [a[1] for a in FILTERED_WRITES], ids=[a[0] for a in FILTERED_WRITES])
async def test_write_to_globex_rows(infra: Infrastructure, attack: Callable[[Infrastructure], Awaitable[Any]]) -> None:
    kind, value = await unchanged_after(infra, lambda: attack(infra))
    if kind == "ok" and hasattr(value, "matched"):  # BulkResult: nothing matched, nothing written
        assert value.matched == 0 and value.affected == 0, value
        return
    if kind == "error" and isinstance(value, ConstraintError):
        return  # upsert falls through to its create, which the key refuses (docs/policies.md, limits)
    assert_refused_or_not_found((kind, value))


MOVES: list[tuple[str, Callable[[Infrastructure], Awaitable[Any]]]] = [
    ("update-tenant-id", lambda i: i.repository("post").update(10, {"tenantId": "globex"})),
    ("update-tenant-id-set", lambda i: i.repository("user").update(1, {"tenantId": {"set": "globex"}})),
    ("update-many-tenant-id", lambda i: i.repository("comment").update_many({"id": 101}, {"tenantId": "globex"})),
    ("upsert-update-tenant-id", lambda i: i.repository("post").upsert(10, NEW_POST, {"tenantId": "globex"})),
    ("connect-tenant", lambda i: i.repository("post").update(10, {"tenant": {"connect": {"id": "globex"}}})),
    ("connect-or-create-tenant", lambda i: i.repository("user").update(
        1, {"tenant": {"connectOrCreate": {"where": {"id": "globex"}, "create": {"id": "globex", "name": "G"}}}})),
    ("nested-update-tenant", lambda i: i.repository("post").update(10, {"tenant": {"update": {"name": "pwned"}}})),
    ("connect-globex-author", lambda i: i.repository("post").update(10, {"author": {"connect": {"id": 3}}})),
    ("fk-to-globex-author", lambda i: i.repository("post").update(10, {"authorId": 3})),
    ("bulk-upsert-tenant-id", lambda i: i.repository("post").bulk_upsert([{"id": 10, "tenantId": "globex"}])),
    ("call-update-many-tenant", lambda i: i.call("User", "updateMany", {"data": {"tenantId": "globex"}})),
]


@pytest.mark.parametrize("attack", [a[1] for a in MOVES], ids=[a[0] for a in MOVES])
async def test_move_a_row_to_globex(infra: Infrastructure, attack: Callable[[Infrastructure], Awaitable[Any]]) -> None:
    kind, value = await unchanged_after(infra, lambda: attack(infra))
    if kind == "ok" and hasattr(value, "failures"):
        assert value.failures and value.affected == 0, value
        kind, value = "error", value.failures[0].error
    assert_refused((kind, value))


CREATES: list[tuple[str, Callable[[Infrastructure], Awaitable[Any]]]] = [
    ("create-in-globex", lambda i: i.repository("post").create({**NEW_POST, "tenantId": "globex"})),
    ("create-connect-globex-tenant", lambda i: i.repository("post").create(
        {"id": 50, "title": "x", "author": {"connect": {"id": 1}}, "tenant": {"connect": {"id": "globex"}}})),
    ("create-comment-on-globex-post", lambda i: i.repository("comment").create(
        {"id": 150, "tenantId": "acme", "postId": 20, "authorId": 1, "body": "x"})),
    ("create-connect-globex-post", lambda i: i.repository("comment").create(
        {"id": 150, "body": "x", "tenant": {"connect": {"id": "acme"}}, "post": {"connect": {"id": 20}},
         "author": {"connect": {"id": 1}}})),
    ("create-many-one-globex-row", lambda i: i.repository("post").create_many(
        [NEW_POST, {**NEW_POST, "id": 51, "tenantId": "globex"}])),
    ("create-many-and-return-globex", lambda i: i.repository("post").create_many_and_return(
        [{**NEW_POST, "tenantId": "globex"}])),
    ("bulk-create-globex", lambda i: i.repository("user").bulk_create(
        [{"id": 60, "tenantId": "globex", "email": "m@globex.test", "name": "M"}])),
    ("call-create", lambda i: i.call("Tenant", "create", {"data": {"id": "initech", "name": "Initech"}})),
    ("call-create-many", lambda i: i.call("Comment", "createMany", {"data": [
        {"id": 150, "tenantId": "globex", "postId": 20, "authorId": 1, "body": "x"}]})),
    ("call-create-many-and-return", lambda i: i.call("User", "createManyAndReturn", {"data": [
        {"id": 60, "tenantId": "globex", "email": "m@globex.test", "name": "M"}]})),
]


@pytest.mark.parametrize("attack", [a[1] for a in CREATES], ids=[a[0] for a in CREATES])
async def test_create_into_globex(infra: Infrastructure, attack: Callable[[Infrastructure], Awaitable[Any]]) -> None:
    kind, value = await unchanged_after(infra, lambda: attack(infra))
    if kind == "ok" and hasattr(value, "failures"):
        assert value.failures and value.affected == 0, value
        kind, value = "error", value.failures[0].error
    assert_refused((kind, value))


NESTED: list[tuple[str, Callable[[Infrastructure], Awaitable[Any]]]] = [
    ("nested-create-globex-post", lambda i: i.repository("user").update(
        1, {"posts": {"create": {"id": 50, "title": "x", "tenantId": "globex"}}})),
    ("nested-create-many-globex", lambda i: i.repository("user").update(
        1, {"posts": {"createMany": {"data": [{"id": 50, "title": "x", "tenantId": "globex"}]}}})),
    ("nested-connect-globex-post", lambda i: i.repository("user").update(1, {"posts": {"connect": {"id": 20}}})),
    ("nested-connect-or-create-globex", lambda i: i.repository("user").update(
        1, {"posts": {"connectOrCreate": {"where": {"id": 20},
                                          "create": {"id": 20, "title": "x", "tenantId": "acme"}}}})),
    ("nested-update-globex-comment", lambda i: i.repository("post").update(
        10, {"comments": {"update": {"where": {"id": 100}, "data": {"body": "pwned"}}}})),
    ("nested-delete-globex-comment", lambda i: i.repository("post").update(10, {"comments": {"delete": {"id": 100}}})),
    ("nested-upsert-globex-comment", lambda i: i.repository("post").update(10, {"comments": {"upsert": {
        "where": {"id": 100}, "update": {"body": "pwned"},
        "create": {"id": 100, "body": "x", "tenantId": "acme", "authorId": 1}}}})),
    ("nested-depth2-delete", lambda i: i.repository("user").update(1, {"posts": {"update": {
        "where": {"id": 10}, "data": {"comments": {"delete": {"id": 100}}}}}})),
    ("nested-depth2-move", lambda i: i.repository("tenant").update("acme", {"posts": {"update": {
        "where": {"id": 10}, "data": {"tenantId": "globex"}}}})),
    ("nested-create-with-connect-globex", lambda i: i.repository("post").create(
        {**NEW_POST, "comments": {"create": {"id": 150, "body": "x", "tenantId": "acme",
                                             "author": {"connect": {"id": 3}}}}})),
    ("nested-update-globex-author", lambda i: i.repository("comment").update(
        103, {"author": {"update": {"name": "pwned"}}})),
    ("nested-write-through-upsert", lambda i: i.repository("user").upsert(
        1, {"id": 1, "tenantId": "acme", "email": "a@acme.test", "name": "A"},
        {"posts": {"connect": {"id": 21}}})),
]


#: A to-one nested update gets the target's filter as its where: out of scope is "not found", like a top-level update.
NOT_FOUND_IS_FINE = {"nested-update-globex-author"}


@pytest.mark.parametrize("attack", [a[1] for a in NESTED], ids=[a[0] for a in NESTED])
async def test_nested_write_into_globex(
    infra: Infrastructure, attack: Callable[[Infrastructure], Awaitable[Any]], request: pytest.FixtureRequest
) -> None:
    outcome = await unchanged_after(infra, lambda: attack(infra))
    if request.node.callspec.id.partition("-")[2] in NOT_FOUND_IS_FINE:
        assert outcome[0] == "error", outcome
        assert_refused_or_not_found(outcome)
    else:
        assert_refused(outcome)


@pytest.mark.parametrize("op", ["updateMany", "deleteMany"])
async def test_nested_many_writes_reach_only_the_actors_rows(infra: Infrastructure, op: str) -> None:
    """Post 10 (acme) has comment 100 (globex) and 101 (acme): the filter joins the nested where."""
    before = await snapshot(infra)
    nested = {"where": {}, "data": {"body": "edited"}} if op == "updateMany" else {}
    with infra.acting_as(ATTACKER):
        await infra.repository("post").update(10, {"comments": {op: nested}})
    after = await snapshot(infra)
    globex = [c for c in before["Comment"] if c["tenantId"] == "globex"]
    assert [c for c in after["Comment"] if c["tenantId"] == "globex"] == globex
    acme = {c["id"]: c for c in after["Comment"] if c["tenantId"] == "acme"}
    assert (acme[101]["body"] == "edited") if op == "updateMany" else (101 not in acme)


async def test_unscoped_delete_many_spares_globex(infra: Infrastructure) -> None:
    before = await snapshot(infra)
    with infra.acting_as(ATTACKER):
        assert await infra.repository("comment").delete_many() == {"count": 2}
        assert await infra.repository("comment").update_many(data={"body": "x"}) == {"count": 0}
    after = await snapshot(infra)
    assert [c for c in after["Comment"]] == [c for c in before["Comment"] if c["tenantId"] == "globex"]

"""Raw SQL, batches and interactive transactions: the same policies, whatever the path.

Raw SQL is allowed to ``policies.raw_roles`` only (``ADMIN``), with or without a
model name, alone, in a batch or in a transaction; the denial is
`AccessDeniedError(policy="policies.raw_roles", rule="raw")`.
"""

from __future__ import annotations

from typing import Any

import pytest
from prisma_infra.errors import RecordNotFoundError
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.operation import Action, Operation

from tests.security.policy_set import ADMIN, ATTACKER
from tests.security.security_support import (
    ACME_POSTS,
    assert_no_secret,
    assert_refused,
    assert_refused_or_not_found,
    attempt,
    ids,
    snapshot,
)

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

SELECT = {"sql": 'SELECT "id", "cardNumber" FROM "User"', "params": []}
UPDATE = {"sql": 'UPDATE "User" SET "name" = \'pwned\'', "params": []}
RETURNING = {"sql": 'UPDATE "User" SET "name" = \'pwned\' RETURNING "id"', "params": []}


def assert_raw_denied(outcome: tuple[str, Any]) -> None:
    assert_refused(outcome)
    error = outcome[1]
    assert (getattr(error, "policy", None), getattr(error, "rule", None)) == ("policies.raw_roles", "raw"), error


RAW_CALLS = [
    ("query-raw-no-model", None, Action.QUERY_RAW, SELECT),
    ("query-raw-with-model", "User", Action.QUERY_RAW, SELECT),
    ("query-raw-other-model", "Tenant", Action.QUERY_RAW, SELECT),
    ("execute-raw-no-model", None, Action.EXECUTE_RAW, UPDATE),
    ("execute-raw-with-model", "Post", Action.EXECUTE_RAW, UPDATE),
    ("query-raw-write-returning", "User", Action.QUERY_RAW, RETURNING),
]


@pytest.mark.parametrize(("model", "action", "args"), [r[1:] for r in RAW_CALLS], ids=[r[0] for r in RAW_CALLS])
async def test_raw_sql_is_gated_by_action(infra: Infrastructure, model: str | None, action: Action,
                                          args: dict[str, Any]) -> None:
    before = await snapshot(infra)
    with infra.acting_as(ATTACKER):
        outcome = await attempt(lambda: infra.call(model, action, args))
    assert_raw_denied(outcome)
    assert await snapshot(infra) == before
    with infra.acting_as(ADMIN):  # the control: raw SQL works for raw_roles
        result = await infra.call(None, Action.QUERY_RAW, SELECT)
    assert len(result) == 4


def raw_operation(infra: Infrastructure, model: str | None, action: Action, args: dict[str, Any]) -> Operation:
    return Operation(model=model, action=action, args=dict(args), context=infra.operation_context())


@pytest.mark.parametrize("model", [None, "User"])
async def test_raw_sql_in_a_batch(infra: Infrastructure, model: str | None) -> None:
    before = await snapshot(infra)
    with infra.acting_as(ATTACKER):
        posts = infra.repository("post")
        outcome = await attempt(lambda: infra.batch([
            posts.op.find_many(where={"tenantId": "acme"}),
            raw_operation(infra, model, Action.EXECUTE_RAW, UPDATE),
        ]))
    assert_raw_denied(outcome)
    assert await snapshot(infra) == before


@pytest.mark.parametrize("model", [None, "Comment"])
async def test_raw_sql_in_a_transaction(infra: Infrastructure, model: str | None) -> None:
    before = await snapshot(infra)

    async def attack() -> Any:
        async with infra.transaction() as tx:
            return await tx.execute(raw_operation(infra, model, Action.QUERY_RAW, SELECT))

    with infra.acting_as(ATTACKER):
        outcome = await attempt(attack)
    assert_raw_denied(outcome)
    assert await snapshot(infra) == before


async def test_raw_sql_in_a_transaction_batch(infra: Infrastructure) -> None:
    async def attack() -> Any:
        async with infra.transaction() as tx:
            return await tx.batch([raw_operation(infra, "User", Action.EXECUTE_RAW, UPDATE)])

    before = await snapshot(infra)
    with infra.acting_as(ATTACKER):
        assert_raw_denied(await attempt(attack))
    assert await snapshot(infra) == before


async def test_batch_reads_and_writes_are_scoped(infra: Infrastructure) -> None:
    posts, users = infra.repository("post"), infra.repository("user")
    before = await snapshot(infra)
    with infra.acting_as(ATTACKER):
        read = await infra.batch([posts.op.find_many(where={"tenantId": "globex"}), users.op.count(),
                                  users.op.find_many(order_by={"id": "asc"})])
        write = await attempt(lambda: infra.batch([posts.op.update(where={"id": 20}, data={"title": "pwned"})]))
        move = await attempt(lambda: infra.batch([
            posts.op.update(where={"id": 10}, data={"tenant": {"connect": {"id": "globex"}}})]))
    assert read[0] == [] and read[1] == 2
    assert all("cardNumber" not in u and u["salary"] is None for u in read[2])
    assert_no_secret(read)
    assert_refused_or_not_found(write)
    assert_refused(move)
    assert await snapshot(infra) == before


async def test_batch_aggregate_on_hidden_field(infra: Infrastructure) -> None:
    users = infra.repository("user")
    with infra.acting_as(ATTACKER):
        outcome = await attempt(lambda: infra.batch([users.op.aggregate(_sum={"salary": True})]))
    if outcome[0] == "ok":
        assert_no_secret(outcome[1])
        assert outcome[1][0]["_sum"]["salary"] is None, outcome
    else:
        assert_refused(outcome)


async def test_interactive_transaction_is_scoped(infra: Infrastructure) -> None:
    before = await snapshot(infra)
    with infra.acting_as(ATTACKER):
        async with infra.transaction() as tx:
            assert ids(await tx.repository("post").find_many()) == ACME_POSTS
            assert await tx.query("post").where({"tenantId": "globex"}).all() == []
            assert await tx.repository("user").find_unique(3) is None
            with pytest.raises(RecordNotFoundError):
                await tx.repository("post").delete(20)
        moved = await attempt(lambda: _move_in_transaction(infra))
        oracle = await attempt(lambda: _oracle_in_transaction(infra))
    assert_refused(moved)
    assert await snapshot(infra) == before
    if oracle[0] == "ok":
        assert oracle[1] is False, "a relation filter inside a transaction saw globex comments"
    else:
        assert_refused(oracle)


async def _move_in_transaction(infra: Infrastructure) -> Any:
    async with infra.transaction() as tx:
        return await tx.repository("post").update(10, {"tenant": {"connect": {"id": "globex"}}})


async def _oracle_in_transaction(infra: Infrastructure) -> Any:
    async with infra.transaction() as tx:
        return await tx.query("post").where({"comments": {"some": {"body": {"startsWith": "globex spy"}}}}).exists()

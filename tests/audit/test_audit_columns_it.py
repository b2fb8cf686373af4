"""Every stored column of the database sink is covered by the hash (PostgreSQL, SQLite, real engine).

A raw ``UPDATE`` of any one column of one stored event row — the lookup columns
(``recordKey``, ``actor``, ``model``, ``action``, ``tenant``, ``time``), the chain
columns (``seq``, ``chain``, ``hash``, ``id``) or the payload — is found by ``verify``,
which names that event; put back, the trail verifies again.
"""

from __future__ import annotations

from typing import Any

import pytest
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.operation import Action, Operation

from tests.audit.test_audit_it import placeholder, q, raw

pytestmark = pytest.mark.integration

EDITS: dict[str, Any] = {
    "recordKey": "someone-else",
    "actor": "mallory",
    "model": "Post",
    "action": "delete",
    "tenant": "globex",
    "time": "2001-01-01T00:00:00.000000Z",
    "seq": 9999,
    "chain": "aaa",
    "hash": "f" * 64,
    "id": "0" * 32,
}


async def _column(infra: Infrastructure, column: str, event_id: str) -> Any:
    table, p = q(infra, "AuditEvent"), placeholder(infra, 1)
    found = await infra.engine.execute(Operation(None, Action.QUERY_RAW, {
        "sql": f'SELECT "{column}" AS value FROM {table} WHERE "id" = {p}', "params": [event_id]}))
    return found[0]["value"]


@pytest.mark.parametrize("column", sorted(EDITS))
async def test_editing_any_stored_column_is_detected_and_named(infra: Infrastructure, column: str) -> None:
    users = infra.repository("user")
    with infra.acting_as("alice"):
        user = await users.create({"email": "c@example.com"})
        for i in range(3):
            await users.update(user["id"], {"karma": i + 1})
    events = await infra.audit.query(sink="database")
    assert (await infra.audit.verify(sink="database")).ok
    target = events[-1] if column == "seq" else events[2]  # a new seq must not reorder the trail
    table, p1, p2 = q(infra, "AuditEvent"), placeholder(infra, 1), placeholder(infra, 2)
    original = await _column(infra, column, target["id"])
    await raw(infra, f'UPDATE {table} SET "{column}" = {p1} WHERE "id" = {p2}', EDITS[column], target["id"])
    result = await infra.audit.verify(sink="database")
    assert not result.ok and result.first_bad is not None
    assert result.first_bad["id"] == (EDITS["id"] if column == "id" else target["id"])
    assert result.first_bad["seq"] == (EDITS["seq"] if column == "seq" else target["seq"])
    assert "edited" in result.reason, result.reason
    assert str(result.first_bad["id"]) in result.describe()
    where_id = EDITS["id"] if column == "id" else target["id"]
    await raw(infra, f'UPDATE {table} SET "{column}" = {p1} WHERE "id" = {p2}', original, where_id)
    assert (await infra.audit.verify(sink="database")).ok

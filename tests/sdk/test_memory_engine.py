"""What `MemoryEngine` adds to the engine kit: the kernel's `where` evaluator, cursors, test hooks."""

from __future__ import annotations

from typing import Any

import pytest
from prisma_infra.policies.evaluator import matches
from prisma_infra_sdk import Action, DatabaseConfig, EngineError, Operation
from prisma_infra_sdk.testing import MemoryEngine


def _op(action: Action, model: str | None = "User", **args: Any) -> Operation:
    return Operation(model=model, action=action, args=args)


@pytest.fixture
async def engine() -> MemoryEngine:
    engine = MemoryEngine()
    await engine.start()
    for email, name in (("ada@example.com", "Ada"), ("bob@example.com", None), ("Cy@Example.com", "Cy")):
        await engine.execute(_op(Action.CREATE, data={"email": email, "name": name}))
    return engine


async def _emails(engine: MemoryEngine, where: dict[str, Any]) -> list[str]:
    return [r["email"] for r in await engine.execute(_op(Action.FIND_MANY, where=where, orderBy={"id": "asc"}))]


async def test_filters_are_the_kernels_evaluator_with_sql_null_semantics(engine: MemoryEngine) -> None:
    where = {"name": {"not": "Ada"}}
    # SQL: NULL <> 'Ada' is unknown, so bob (no name) is not returned — by the engine and by policies alike.
    assert await _emails(engine, where) == ["Cy@Example.com"]
    assert [r["email"] for r in engine.tables["User"] if matches(where, r, provider="sqlite")] == ["Cy@Example.com"]


async def test_the_provider_decides_case_rules(engine: MemoryEngine) -> None:
    where = {"email": {"contains": "example.com"}}
    assert len(await _emails(engine, where)) == 3  # SQLite's LIKE ignores ASCII case
    postgres = MemoryEngine(DatabaseConfig(options={"provider": "postgresql"}))
    postgres.tables = engine.tables
    assert len(await _emails(postgres, where)) == 2
    assert len(await _emails(postgres, {"email": {"contains": "EXAMPLE", "mode": "insensitive"}})) == 3


async def test_compound_unique_keys_and_cursors(engine: MemoryEngine) -> None:
    await engine.execute(_op(Action.CREATE, "Post", data={"title": "t", "authorId": 1}))
    key = {"authorId_title": {"authorId": 1, "title": "t"}}
    found = await engine.execute(_op(Action.FIND_UNIQUE, "Post", where=key))
    assert found["title"] == "t"
    page = await engine.execute(_op(Action.FIND_MANY, cursor={"id": 2}, take=5, orderBy={"id": "asc"}))
    assert [r["id"] for r in page] == [2, 3]


async def test_relation_filters_and_nested_selects_are_refused_by_name(engine: MemoryEngine) -> None:
    with pytest.raises(EngineError, match="posts"):
        await engine.execute(_op(Action.FIND_MANY, where={"posts": {"some": {"published": True}}}))
    with pytest.raises(EngineError, match="nested select"):
        await engine.execute(_op(Action.FIND_MANY, select={"posts": {"select": {"id": True}}}))


async def test_responses_answer_what_the_engine_does_not_know(engine: MemoryEngine) -> None:
    with pytest.raises(EngineError, match="aggregate"):
        await engine.execute(_op(Action.AGGREGATE, _count=True))
    engine.responses[Action.AGGREGATE] = lambda operation: {"_count": len(engine.tables["User"])}
    assert await engine.execute(_op(Action.AGGREGATE, _count=True)) == {"_count": 3}


async def test_batches_and_transactions_are_recorded(engine: MemoryEngine) -> None:
    tx = await engine.begin()
    await engine.rollback(tx)
    await engine.execute_batch([_op(Action.COUNT)])
    assert engine.tx_log == [("begin", tx), ("rollback", tx)]
    assert [[op.action for op in batch] for batch in engine.batches] == [[Action.COUNT]]
    rows = await engine.execute(_op(Action.CREATE_MANY_AND_RETURN, data=[{"email": "d@example.com"}]))
    assert [r["email"] for r in rows] == ["d@example.com"]

"""The engine contract: CRUD, transactions and error mapping on the kit schema.

An engine runs Prisma-shaped operations and raises the kernel's exceptions.
The kit runs on the kit schema (`prisma_infra_sdk.testing.kit_schema(provider)`:
models ``User`` and ``Post``); the ``engine`` fixture gives a started engine
whose database has those tables (create them however the engine does:
``db push``, migrations, DDL). The kit empties both tables at the start of each
test, so one engine may serve the whole class: give the fixture a wider scope
and the class the matching loop scope, e.g. a module-level
``@pytest_asyncio.fixture(scope="module", loop_scope="module")`` and
``pytestmark = pytest.mark.asyncio(loop_scope="module")`` on the class.

Usage::

    class TestMyEngine(EngineContract):
        @pytest.fixture
        async def engine(self, tmp_path):
            (tmp_path / "schema.prisma").write_text(kit_schema("sqlite"))
            engine = MyEngine(DatabaseConfig(schema_path=str(tmp_path / "schema.prisma"), url=...))
            await engine.start()
            ...  # create the tables
            yield engine
            await engine.close()
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from prisma_infra.errors import RecordNotFoundError, TransactionError, UniqueConstraintError
from prisma_infra.operation import Action, Operation, OperationContext
from prisma_infra.providers import Engine

from prisma_infra_sdk.testing.contracts._base import ContractBase, missing_fixture

__all__ = ["EngineContract", "op"]


def op(model: str | None, action: str, *, tx: str | None = None, **args: Any) -> Operation:
    """An operation: ``op("User", "findMany", where={...}, take=5)``."""
    return Operation(model=model, action=Action(action), args=args, context=OperationContext(transaction=tx))


class EngineContract(ContractBase):
    """The engine kit. Provide ``engine``: a started `Engine` on the kit schema (see the module documentation)."""

    @pytest.fixture
    def engine(self) -> Engine:
        missing_fixture(self, "EngineContract", "engine", "a started Engine whose database has the kit schema's tables")

    @staticmethod
    async def empty(engine: Engine) -> Engine:
        """Empty the kit's tables (every test starts with this, so one engine may serve the whole class)."""
        assert isinstance(engine, Engine), f"`engine` must be an Engine, got {engine!r}"
        await engine.execute(op("Post", "deleteMany"))
        await engine.execute(op("User", "deleteMany"))
        return engine

    @staticmethod
    async def run(engine: Engine, model: str, action: str, tx: str | None = None, **args: Any) -> Any:
        return await engine.execute(op(model, action, tx=tx, **args))

    async def test_reports_provider_and_datamodel(self, engine: Engine) -> None:
        db = await self.empty(engine)
        assert db.provider in ("postgresql", "mysql", "sqlite"), f"unknown provider {db.provider!r}"
        datamodel = await db.datamodel()
        models = {m["name"]: m for m in datamodel["models"]}
        assert {"User", "Post"} <= set(models), f"the datamodel must describe the kit's models, got {sorted(models)}"
        assert {f["name"] for f in models["User"]["fields"]} >= {"id", "email", "name", "score", "createdAt", "posts"}

    async def test_create_and_read(self, engine: Engine) -> None:
        db = await self.empty(engine)
        ada = await self.run(db, "User", "create", data={"email": "ada@example.com", "name": "Ada"})
        assert isinstance(ada, dict) and isinstance(ada["id"], int), "create returns the record with its id"
        assert ada["email"] == "ada@example.com" and ada["score"] == 0, "defaults are filled in"
        assert isinstance(ada["createdAt"], dt.datetime) and ada["createdAt"].tzinfo is not None, (
            "DateTime values are timezone-aware datetimes"
        )
        found = await self.run(db, "User", "findUnique", where={"id": ada["id"]})
        assert found is not None and found["email"] == "ada@example.com"
        assert await self.run(db, "User", "findUnique", where={"email": "nobody@example.com"}) is None
        post = await self.run(db, "Post", "create", data={"title": "Hello", "authorId": ada["id"]})
        assert post["published"] is False and post["body"] == ""

    async def test_find_many_filters_orders_and_pages(self, engine: Engine) -> None:
        db = await self.empty(engine)
        created = await self.run(
            db, "User", "createMany", data=[{"email": f"u{i}@example.com", "score": i} for i in range(10)]
        )
        assert created == {"count": 10}
        found = await self.run(db, "User", "findMany", where={"score": {"gte": 5}}, orderBy={"score": "desc"}, take=3)
        assert [u["score"] for u in found] == [9, 8, 7]
        page = await self.run(db, "User", "findMany", orderBy={"score": "asc"}, skip=2, take=2)
        assert [u["score"] for u in page] == [2, 3]
        assert await self.run(db, "User", "count") == 10
        assert await self.run(db, "User", "count", where={"email": {"startsWith": "u1"}}) == 1
        picked = await self.run(db, "User", "findFirst", where={"score": 4}, select={"email": True})
        assert picked == {"email": "u4@example.com"}, "select returns only the selected fields"

    async def test_update_upsert_delete(self, engine: Engine) -> None:
        db = await self.empty(engine)
        ada = await self.run(db, "User", "create", data={"email": "ada@example.com"})
        updated = await self.run(db, "User", "update", where={"id": ada["id"]}, data={"name": "Ada L."})
        assert updated["name"] == "Ada L." and updated["id"] == ada["id"]
        upserted = await self.run(
            db,
            "User",
            "upsert",
            where={"email": "bob@example.com"},
            create={"email": "bob@example.com"},
            update={"name": "never"},
        )
        assert upserted["email"] == "bob@example.com" and upserted["name"] is None
        again = await self.run(
            db,
            "User",
            "upsert",
            where={"email": "bob@example.com"},
            create={"email": "bob@example.com"},
            update={"name": "Bob"},
        )
        assert again["id"] == upserted["id"] and again["name"] == "Bob"
        assert await self.run(db, "User", "updateMany", where={"name": {"not": None}}, data={"score": 3}) == {
            "count": 2
        }
        deleted = await self.run(db, "User", "delete", where={"id": ada["id"]})
        assert deleted["id"] == ada["id"]
        assert await self.run(db, "User", "deleteMany", where={"score": 3}) == {"count": 1}
        assert await self.run(db, "User", "count") == 0

    async def test_unique_violation_is_a_unique_constraint_error(self, engine: Engine) -> None:
        db = await self.empty(engine)
        await self.run(db, "User", "create", data={"email": "dup@example.com"})
        with pytest.raises(UniqueConstraintError) as raised:
            await self.run(db, "User", "create", data={"email": "dup@example.com"})
        assert raised.value.model == "User", f"the error names the model, got {raised.value.model!r}"
        assert "email" in raised.value.fields, f"the error names the field, got {raised.value.fields!r}"
        assert await self.run(db, "User", "count") == 1, "the failed write left nothing behind"

    async def test_compound_unique_violation(self, engine: Engine) -> None:
        db = await self.empty(engine)
        ada = await self.run(db, "User", "create", data={"email": "ada@example.com"})
        await self.run(db, "Post", "create", data={"title": "Same", "authorId": ada["id"]})
        with pytest.raises(UniqueConstraintError) as raised:
            await self.run(db, "Post", "create", data={"title": "Same", "authorId": ada["id"]})
        assert set(raised.value.fields) == {"authorId", "title"}, f"got {raised.value.fields!r}"
        found = await self.run(
            db, "Post", "findUnique", where={"authorId_title": {"authorId": ada["id"], "title": "Same"}}
        )
        assert found is not None and found["title"] == "Same", "a compound unique finds the record"

    async def test_missing_record_is_a_record_not_found_error(self, engine: Engine) -> None:
        db = await self.empty(engine)
        with pytest.raises(RecordNotFoundError):
            await self.run(db, "User", "update", where={"id": 987654}, data={"name": "x"})
        with pytest.raises(RecordNotFoundError):
            await self.run(db, "User", "delete", where={"id": 987654})
        with pytest.raises(RecordNotFoundError):
            await self.run(db, "User", "findUniqueOrThrow", where={"id": 987654})

    async def test_transaction_commit(self, engine: Engine) -> None:
        db = await self.empty(engine)
        tx = await db.begin(timeout=10)
        await self.run(db, "User", "create", tx=tx, data={"email": "tx@example.com"})
        assert await self.run(db, "User", "count", tx=tx) == 1, "a transaction sees its own writes"
        await db.commit(tx)
        assert await self.run(db, "User", "count") == 1, "committed writes are visible"

    async def test_transaction_rollback(self, engine: Engine) -> None:
        db = await self.empty(engine)
        await self.run(db, "User", "create", data={"email": "kept@example.com"})
        tx = await db.begin(timeout=10)
        await self.run(db, "User", "create", tx=tx, data={"email": "gone@example.com"})
        await self.run(db, "User", "updateMany", tx=tx, data={"score": 9})
        await db.rollback(tx)
        users = await self.run(db, "User", "findMany")
        assert [(u["email"], u["score"]) for u in users] == [("kept@example.com", 0)], "rollback undoes every write"
        await db.rollback(tx)  # rolling back an ended transaction is a no-op

    async def test_ended_or_unknown_transaction_is_a_transaction_error(self, engine: Engine) -> None:
        db = await self.empty(engine)
        tx = await db.begin(timeout=10)
        await db.commit(tx)
        with pytest.raises(TransactionError):
            await db.commit(tx)
        with pytest.raises(TransactionError):
            await self.run(db, "User", "count", tx=tx)

    async def test_expired_transaction(self, engine: Engine) -> None:
        db = await self.empty(engine)
        tx = await db.begin(timeout=0.5)
        await self.run(db, "User", "create", tx=tx, data={"email": "late@example.com"})
        await asyncio.sleep(1.2)
        with pytest.raises(TransactionError):
            await self.run(db, "User", "count", tx=tx)
            await db.commit(tx)
        assert await self.run(db, "User", "count") == 0, "an expired transaction's writes are rolled back"

    async def test_batch_is_atomic(self, engine: Engine) -> None:
        db = await self.empty(engine)
        results = await db.execute_batch([op("User", "create", data={"email": "a@example.com"}), op("User", "count")])
        assert results[0]["email"] == "a@example.com" and results[1] == 1, "a batch runs in order"
        with pytest.raises(UniqueConstraintError):
            await db.execute_batch(
                [
                    op("User", "create", data={"email": "b@example.com"}),
                    op("User", "create", data={"email": "a@example.com"}),
                ]
            )
        assert await self.run(db, "User", "count") == 1, "a failed batch leaves nothing behind"

    async def test_concurrent_operations(self, engine: Engine) -> None:
        db = await self.empty(engine)
        await asyncio.gather(*(self.run(db, "User", "create", data={"email": f"c{i}@example.com"}) for i in range(20)))
        assert await self.run(db, "User", "count") == 20

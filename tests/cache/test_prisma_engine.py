"""The cache on the real Prisma engine (SQLite): relation-aware invalidation and exact values via Redis."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.plugin_manager import PluginManager

from tests.cache.servers import REDIS, require

pytestmark = pytest.mark.integration

SCHEMA = """
generator client {
  provider = "prisma-client-js"
}

datasource db {
  provider = "sqlite"
}

model User {
  id      Int      @id @default(autoincrement())
  email   String   @unique
  name    String?
  big     BigInt?
  balance Decimal?
  born    DateTime?
  avatar  Bytes?
  posts   Post[]
}

model Post {
  id       Int    @id @default(autoincrement())
  title    String
  authorId Int
  author   User   @relation(fields: [authorId], references: [id])
}
"""

DDL = [
    """CREATE TABLE "User" ("id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, "email" TEXT NOT NULL, "name" TEXT,
       "big" BIGINT, "balance" DECIMAL, "born" DATETIME, "avatar" BLOB)""",
    'CREATE UNIQUE INDEX "User_email_key" ON "User"("email")',
    """CREATE TABLE "Post" ("id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, "title" TEXT NOT NULL,
       "authorId" INTEGER NOT NULL, CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User" ("id")
       ON DELETE RESTRICT ON UPDATE CASCADE)""",
]


@pytest.fixture
async def prisma_infra(tmp_path: Path) -> AsyncIterator[Infrastructure]:
    require("Redis", REDIS)
    schema = tmp_path / "schema.prisma"
    schema.write_text(SCHEMA)
    plugins = PluginManager(environ={})
    plugins.load_all()
    if not plugins.is_loaded("prisma"):
        pytest.fail(f"the prisma engine plugin did not load: {plugins.errors}")
    namespace = f"t{uuid.uuid4().hex[:10]}"
    config = {
        "database": {"engine": "prisma", "schema_path": str(schema), "url": f"file:{tmp_path / 'test.db'}"},
        "cache": {
            "tiers": ["memory", "redis"],
            "stores": {"redis": {"url": f"redis://{REDIS[0]}:{REDIS[1]}/0", "namespace": namespace}},
        },
    }
    infra = Infrastructure(config, plugin_manager=plugins)
    async with infra:
        for statement in DDL:
            await infra.call(None, "executeRaw", {"sql": statement, "params": []})
        yield infra


async def test_relation_invalidation_on_the_real_engine(prisma_infra: Infrastructure) -> None:
    infra = prisma_infra
    author = await infra.call("User", "create", {"data": {"email": "a@x", "name": "Ann"}})
    post = await infra.call("Post", "create", {"data": {"title": "Hello", "authorId": author["id"]}})
    args = {"where": {"id": post["id"]}, "include": {"author": True}}
    first = await infra.call("Post", "findMany", args)
    assert first[0]["author"]["name"] == "Ann"
    assert await infra.call("Post", "findMany", args) == first
    stats = infra.cache_for("post").stats()["tiers"]
    assert stats["memory"]["hits"] == 1 and stats["memory"]["misses"] == 1

    await infra.call("User", "update", {"where": {"id": author["id"]}, "data": {"name": "Bea"}})
    fresh = await infra.call("Post", "findMany", args)
    assert fresh[0]["author"]["name"] == "Bea"
    assert infra.cache_for("post").stats()["tiers"]["memory"]["misses"] == 2

    await infra.call(
        None, "executeRaw", {"sql": 'UPDATE "User" SET "name" = ? WHERE "id" = ?', "params": ["Raw", author["id"]]}
    )
    assert (await infra.call("Post", "findMany", args))[0]["author"]["name"] == "Raw"


async def test_real_values_round_trip_through_redis(prisma_infra: Infrastructure) -> None:
    infra = prisma_infra
    await infra.call(
        "User",
        "create",
        {
            "data": {
                "email": "v@x",
                "big": 2**62 + 3,
                "balance": Decimal("1234.5678"),
                "born": datetime(1990, 5, 17, 8, 30, 1, 250000, tzinfo=UTC),
                "avatar": b"\x00\x01\xfe\xff",
            }
        },
    )
    uncached = await infra.call("User", "findMany", {"where": {"email": "v@x"}})
    await infra.cache_manager.for_model("user").clear()  # drop the in-process copy: next hit is from Redis
    manager = infra.cache_manager
    plan = manager.plan(infra_operation(infra, {"where": {"email": "v@x"}}))
    assert plan is not None
    local = plan.rules.tiers[0].local
    assert local is not None
    await local.clear()
    # The clear above also invalidated the entry: fill it again, then read it from Redis alone.
    await infra.call("User", "findMany", {"where": {"email": "v@x"}})
    await local.clear()
    cached = await infra.call("User", "findMany", {"where": {"email": "v@x"}})
    assert infra.cache_for("user").stats()["tiers"]["redis"]["hits"] >= 1
    assert cached == uncached
    assert [type(v) for v in cached[0].values()] == [type(v) for v in uncached[0].values()]


def infra_operation(infra: Infrastructure, args: dict[str, Any]) -> Any:
    from prisma_infra.operation import Action, Operation

    return Operation(model="User", action=Action.FIND_MANY, args=args, context=infra.operation_context())

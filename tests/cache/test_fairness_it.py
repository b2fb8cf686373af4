"""Cache hits through the whole pipeline on the real Prisma engine (SQLite) let other tasks run."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.plugin_manager import PluginManager

pytestmark = pytest.mark.integration

SCHEMA = """
generator client {
  provider = "prisma-client-js"
}

datasource db {
  provider = "sqlite"
}

model Note {
  id    Int    @id @default(autoincrement())
  title String
}
"""
DDL = 'CREATE TABLE "Note" ("id" INTEGER PRIMARY KEY, "title" TEXT NOT NULL)'
HITS = 10_000
EVERY = 32


async def test_a_loop_of_cache_hits_lets_another_task_run(tmp_path: Path) -> None:
    schema = tmp_path / "schema.prisma"
    schema.write_text(SCHEMA)
    plugins = PluginManager(environ={})
    plugins.load_all()
    config = {
        "database": {"engine": "prisma", "schema_path": str(schema), "url": f"file:{tmp_path / 'test.db'}"},
        "cache": {"tiers": ["memory"], "ttl": 600, "yield_every": EVERY},
    }
    async with Infrastructure(config, plugin_manager=plugins) as infra:
        await infra.call(None, "executeRaw", {"sql": DDL, "params": []})
        await infra.call("Note", "create", {"data": {"title": "hello"}})
        args = {"where": {"title": "hello"}}
        assert len(await infra.call("Note", "findMany", args)) == 1  # the fill
        hits_before = infra.cache_manager.stats()["models"]["Note"]["tiers"]["memory"]["hits"]
        seen: list[int] = []
        done = 0

        async def other() -> None:
            seen.append(done)

        task = asyncio.create_task(other())
        for _ in range(HITS):
            assert (await infra.call("Note", "findMany", args))[0]["title"] == "hello"
            done += 1
        await task
        hits = infra.cache_manager.stats()["models"]["Note"]["tiers"]["memory"]["hits"] - hits_before
        assert hits == HITS  # all of them were answered by the in-process tier
        assert seen and seen[0] <= EVERY

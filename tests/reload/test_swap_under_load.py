"""The headline of hot reload: rewrite the settings file while reads and writes run.

Real Prisma engine on SQLite, real Redis, the real file watcher. Across several saves —
memory cache → memory + Redis, an audit sink added and removed, TTLs changed, and one
invalid edit in between — no operation fails, each valid save is used, the invalid one
changes nothing, and every write has its audit event.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import uuid
from pathlib import Path
from typing import Any

import orjson
import pytest
import redis.asyncio as aioredis
from prisma_infra import ConfigurationError, Infrastructure
from prisma_infra.config.loader import load_config
from prisma_infra_prisma.datasource import resolve_database
from prisma_infra_prisma.schema_sync import db_push

from tests.waiting import eventually

BLOG = Path(__file__).resolve().parents[2] / "examples" / "blog" / "prisma" / "schema.prisma"
REDIS_URL = "redis://127.0.0.1:6379/0"

pytestmark = pytest.mark.integration


def settings_text(*, tiers: list[str], ttl: int, sinks: list[str], namespace: str, audit_dir: Path) -> str:
    return f"""
[default]
database.engine = "prisma"
database.schema_path = "schema.prisma"
database.url = "file:./swap.db"
cache.tiers = {orjson.dumps(tiers).decode()}
cache.ttl = {ttl}
cache.stores.redis = {{ url = "{REDIS_URL}", namespace = "{namespace}", sync_interval = 0.02 }}
audit.sinks = {orjson.dumps(sinks).decode()}
audit.buffer_dir = "{audit_dir / "buffer"}"
audit.sink_options.file = {{ path = "{audit_dir / "audit.jsonl"}", fsync = "never" }}
"""


def require_redis() -> None:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=2).close()
    except OSError as exc:
        pytest.fail(f"Redis is not reachable on 127.0.0.1:6379 (bash scripts/services.sh starts it): {exc}")


async def test_settings_rewritten_under_load(tmp_path: Path) -> None:
    require_redis()
    shutil.copy(BLOG, tmp_path / "schema.prisma")
    settings = tmp_path / "settings.toml"
    namespace = f"swap-{uuid.uuid4().hex[:8]}"
    text: dict[str, Any] = {"namespace": namespace, "audit_dir": tmp_path}
    settings.write_text(settings_text(tiers=["memory"], ttl=30, sinks=[], **text))
    loaded = load_config(settings)
    await db_push(resolve_database(loaded.config.database, tmp_path))

    async with Infrastructure(loaded) as infra:
        watcher = await infra.watch(debounce_ms=50)
        users, posts = infra.repository("User"), infra.repository("Post")
        author = await users.create({"email": "author@example.com", "name": "Author"})
        failures: list[BaseException] = []
        created: list[int] = []
        reads = [0]
        stop = asyncio.Event()

        async def reader() -> None:
            while not stop.is_set():
                try:
                    await posts.find_many(where={"authorId": author["id"]}, include=["author"], take=20)
                    await users.count()
                    reads[0] += 1
                except Exception as exc:
                    failures.append(exc)
                await asyncio.sleep(0.002)  # pacing of the load, not a wait for anything

        async def writer() -> None:
            n = 0
            while not stop.is_set():
                n += 1
                try:
                    post = await posts.create(
                        {
                            "title": f"t{n}",
                            "slug": f"s-{n}-{uuid.uuid4().hex[:6]}",
                            "body": "b",
                            "authorId": author["id"],
                        }
                    )
                    created.append(post["id"])
                except Exception as exc:
                    failures.append(exc)
                await asyncio.sleep(0.005)  # pacing of the load, not a wait for anything

        async def traffic(n: int = 5) -> None:
            """Until ``n`` more reads and writes ran, on whichever providers are current."""
            want = (reads[0] + n, len(created) + n)
            await eventually(lambda: reads[0] >= want[0] and len(created) >= want[1], timeout=20, what="more traffic")

        async def save(**changes: Any) -> Any:
            async with watcher.reloaded:
                count = len(watcher.history)
                # Saved the way editors and deploy tools do (a new file renamed over the old one):
                # a truncate-then-write save can be read half-written by the watcher, which then
                # reports an error and applies the complete file on the next event (not tested here).
                staged = settings.with_name(".staged-settings")
                staged.write_text(settings_text(**{**text, **changes}))
                os.replace(staged, settings)
                await asyncio.wait_for(watcher.reloaded.wait_for(lambda: len(watcher.history) > count), 20)
            if not stop.is_set():
                await traffic()  # on the new providers
            return watcher.history[-1]

        load = [asyncio.create_task(reader()) for _ in range(3)] + [asyncio.create_task(writer())]
        await traffic()

        result = await save(tiers=["memory", "redis"], ttl=30, sinks=["file"])
        assert "cache.tiers" in result and "audit.sinks" in result
        probe = posts.operation("findMany", {"where": {"authorId": author["id"]}, "take": 20})
        assert infra.cache_manager.explain(probe)["tiers"] == ["memory", "redis"]

        before_invalid = infra.runtime
        rejected = await save(tiers=["memory", "redis"], ttl="'soon'", sinks=["file"])
        assert isinstance(rejected, ConfigurationError)
        assert infra.runtime is before_invalid  # the invalid save changed nothing

        result = await save(tiers=["memory", "redis"], ttl=5, sinks=["file"])
        assert result == {"cache.ttl": 5.0}
        result = await save(tiers=["memory"], ttl=5, sinks=["file"])
        assert result["cache.tiers"] == ["memory"]
        stop.set()
        await asyncio.gather(*load)
        await infra.audit.flush()
        audited_while_file_sink_on = {
            e["record_id"]["id"]
            for e in map(orjson.loads, (tmp_path / "audit.jsonl").read_bytes().splitlines())
            if e["model"] == "Post" and e["action"] == "create"
        }
        result = await save(tiers=["memory"], ttl=5, sinks=[])
        assert result["audit.sinks"] == []

    assert failures == []
    assert len(created) >= 10  # traffic ran across every save
    # Every post created once the file sink was on (the first save) has its event; none is lost.
    first_audited = min(audited_while_file_sink_on)
    assert {i for i in created if i >= first_audited} == audited_while_file_sink_on
    client = aioredis.from_url(REDIS_URL)
    try:
        assert await client.keys(f"*{namespace}*"), "the Redis tier was never written"
        for key in await client.keys(f"*{namespace}*"):
            await client.delete(key)
    finally:
        await client.aclose()

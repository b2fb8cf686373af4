"""Anchors against real stores: a file, Redis (6379), NATS JetStream (4222), a PostgreSQL/SQLite table.

In each, the writer anchors the trail it writes; the trail is then cut short (or emptied,
or the anchor forged) and verification — the functions and the real ``prisma-infra audit
verify`` command, ``--path`` and ``--settings`` — must fail, or ask for the key.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from prisma_infra.audit.anchor import AnchorPublisher, AnchorStore, sign, verify_anchored
from prisma_infra.audit.anchor_stores import FileAnchorStore
from prisma_infra.audit.chain import Hasher
from prisma_infra.audit.events import make_event
from prisma_infra.audit.file_sink import FileSink, iter_trail
from prisma_infra.audit.writer import AuditWriter
from prisma_infra.cli.app import build_app
from prisma_infra.config.model import AnchorConfig
from prisma_infra.operation import Action, Operation
from typer.testing import CliRunner

from tests.audit.audit_it_support import MakeInfra, settings

pytestmark = pytest.mark.integration

KEY = "anchor-test-key"


async def write_trail(folder: Path, store: AnchorStore, count: int, hasher: Hasher) -> Path:
    """``count`` events in ``folder/audit.jsonl`` through a writer anchoring every 3 events and on close."""
    trail = folder / "audit.jsonl"
    writer = AuditWriter(
        {"file": FileSink({"path": str(trail), "fsync": "always"})},
        buffer_dir=folder / "buffer",
        hasher=hasher,
        anchor=AnchorPublisher(store, every_events=3),
    )
    await writer.start()
    for i in range(count):
        await writer.submit([make_event(model="User", action="create", record_id={"id": i})])
    await writer.close()
    return trail


def cut(trail: Path, keep: int) -> None:
    trail.write_bytes(b"".join(trail.read_bytes().splitlines(keepends=True)[:keep]))


async def check_store(store: AnchorStore, folder: Path) -> None:
    """The writer anchors through ``store``; a cut, an emptied trail and a forged anchor are all caught."""
    hasher = Hasher(KEY)
    trail = await write_trail(folder, store, 7, hasher)
    await store.start()
    try:
        anchors = await store.latest()
        assert [(a.chain, a.sink, a.seq) for a in anchors] == [("default", "file", 7)]
        assert (await verify_anchored(iter_trail(trail), hasher, anchors, sink="file")).ok
        cut(trail, 5)
        result = await verify_anchored(iter_trail(trail), hasher, anchors, sink="file")
        assert not result.ok and result.first_bad is not None and result.first_bad["seq"] == 6
        assert "ends at seq 5" in result.reason
        trail.unlink()
        result = await verify_anchored(iter_trail(trail), hasher, anchors, sink="file")
        assert not result.ok and "holds no event" in result.reason
        # someone without the key rewrites the anchor to match the cut trail
        await store.publish(sign("default", "file", 0, "0" * 64, Hasher()))
        result = await verify_anchored([], hasher, await store.latest(), sink="file")
        assert not result.ok and "forged" in result.reason
        result = await verify_anchored([], Hasher(), await store.latest(), sink="file")
        assert result.ok  # ...which an unkeyed verifier cannot tell: hence the key
    finally:
        await store.close()


async def test_file_anchor_store(tmp_path: Path) -> None:
    await check_store(FileAnchorStore(tmp_path / "anchors" / "anchors.jsonl"), tmp_path)


@pytest.fixture
async def redis_key() -> AsyncIterator[str]:
    from redis.asyncio import Redis

    key = f"prisma-infra-test:anchor:{uuid.uuid4().hex}"
    yield key
    client = Redis.from_url("redis://127.0.0.1:6379/0")
    await client.delete(key)
    await client.aclose()


async def test_redis_anchor_store(tmp_path: Path, redis_key: str) -> None:
    from prisma_infra_redis.anchor import RedisAnchorStore

    await check_store(RedisAnchorStore(AnchorConfig(store="redis", location=redis_key)), tmp_path)


@pytest.fixture
async def nats_stream() -> AsyncIterator[tuple[str, str]]:
    import nats

    name = uuid.uuid4().hex[:12]
    stream, subject = f"ANCHOR_TEST_{name}", f"anchortest.{name}"
    yield stream, subject
    nc = await nats.connect("nats://127.0.0.1:4222")
    try:
        await nc.jetstream().delete_stream(stream)
    finally:
        await nc.close()


async def test_nats_anchor_store(tmp_path: Path, nats_stream: tuple[str, str]) -> None:
    from prisma_infra_nats.anchor import NatsAnchorStore

    stream, subject = nats_stream
    store = NatsAnchorStore(AnchorConfig(store="nats", location=subject, stream=stream))
    await check_store(store, tmp_path)


# -- the command line ---------------------------------------------------------------------------


async def verify_cli(*args: str | Path, env: dict[str, str] | None = None) -> Any:
    """The real command, in a thread: it runs its own event loop."""
    command = ["audit", "verify", *map(str, args)]
    return await asyncio.to_thread(CliRunner().invoke, build_app(), command, env=env or {})


async def test_verify_path_checks_the_anchor_and_asks_for_the_key(tmp_path: Path) -> None:
    anchors = tmp_path / "anchors.jsonl"
    trail = await write_trail(tmp_path, FileAnchorStore(anchors), 5, Hasher(KEY))
    ok = await verify_cli("--path", trail, "--anchor", anchors, "--key", KEY)
    assert ok.exit_code == 0 and "5 events verified" in ok.output and "at seq 5" in ok.output
    from_env = await verify_cli("--path", trail, "--anchor", anchors, env={"PRISMA_INFRA_AUDIT_KEY": KEY})
    assert from_env.exit_code == 0, from_env.output
    # keyed trail, no key: exit 2 asking for it (not an "edited event")
    for args in (("--path", trail, "--anchor", anchors), ("--path", trail)):
        unkeyed = await verify_cli(*args)
        assert unkeyed.exit_code == 2 and "--key" in unkeyed.output and "edited" not in unkeyed.output
    cut(trail, 3)
    broken = await verify_cli("--path", trail, "--anchor", anchors, "--key", KEY)
    assert broken.exit_code == 1 and "ends at seq 3" in broken.output
    unanchored = await verify_cli("--path", trail, "--key", KEY)
    assert unanchored.exit_code == 0  # without its anchor a cut trail looks fine
    trail.unlink()
    missing = await verify_cli("--path", trail, "--anchor", anchors, "--key", KEY)
    assert missing.exit_code == 1 and "holds no event" in missing.output


async def test_verify_path_reads_the_anchor_store_named_in_the_settings(tmp_path: Path, redis_key: str) -> None:
    from prisma_infra_redis.anchor import RedisAnchorStore

    anchor = {"store": "redis", "location": redis_key}
    trail = await write_trail(tmp_path, RedisAnchorStore(AnchorConfig.model_validate(anchor)), 4, Hasher(KEY))
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"default": {"audit": {"hash_key": KEY, "anchor": anchor}}}))
    assert (await verify_cli("--path", trail, "--settings", path)).exit_code == 0
    cut(trail, 2)
    broken = await verify_cli("--path", trail, "--settings", path)
    assert broken.exit_code == 1 and "ends at seq 2 but the anchor" in broken.output, broken.output


# -- the database table, through the infrastructure and ``--settings`` --------------------------


async def test_database_anchor_store_through_the_infrastructure(
    make_infra: MakeInfra, database: tuple[Path, str], tmp_path: Path
) -> None:
    audit = {"hash_key": KEY, "anchor": {"store": "database", "every_events": 2}}
    async with make_infra(audit=audit) as infra:
        users = infra.repository("user")
        user = await users.create({"email": "anchor@example.com"})
        for i in range(4):
            await users.update(user["id"], {"karma": i})
    # Another host verifies (its own buffer folder: no recorded head, only the anchor).
    other = {**audit, "buffer_dir": str(tmp_path / "verifier-buffer")}
    async with make_infra(audit=other) as infra:
        result = await infra.audit.verify(sink="database")
        assert result.ok and result.anchored == {"default": 5}, result.describe()
        rows = await infra.engine.execute(Operation(None, Action.QUERY_RAW, {
            "sql": 'SELECT "sink" AS sink, "seq" AS seq, "alg" AS alg FROM "AuditAnchor" ORDER BY "sink"',
            "params": []}))
        assert [(r["sink"], int(r["seq"]), r["alg"]) for r in rows] == [
            ("database", 5, "hmac-sha256"), ("file", 5, "hmac-sha256")]
        await infra.engine.execute(Operation(None, Action.EXECUTE_RAW, {
            "sql": 'DELETE FROM "AuditEvent" WHERE "seq" > 3', "params": []}))
        result = await infra.audit.verify(sink="database")
        assert not result.ok and "ends at seq 3" in result.reason and "seq 5" in result.reason
    # the real command with --settings: exit 1 on the cut table, exit 2 without the key
    schema, url = database
    config = settings(schema, url, tmp_path, audit={**other, "buffer_dir": str(tmp_path / "cli-buffer")})
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"default": config}))
    broken = await verify_cli("--settings", path, "--sink", "database")
    assert broken.exit_code == 1 and "ends at seq 3" in broken.output, broken.output
    config["audit"].pop("hash_key")
    path.write_text(json.dumps({"default": config}))
    unkeyed = await verify_cli("--settings", path, "--sink", "database")
    assert unkeyed.exit_code == 2 and "--key" in unkeyed.output, unkeyed.output

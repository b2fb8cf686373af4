"""Writes through the infrastructure (real Prisma engine, SQLite) while the NATS sink's server dies and returns.

The server is a private ``nats-server -js`` on its own port and store (never the
shared one on 4222). Every audit event must reach the stream once, in order, and
the file sink must hold the same chain meanwhile.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from prisma_infra.audit.chain import Hasher, verify_events
from prisma_infra.audit.file_sink import iter_trail
from prisma_infra.infrastructure import Infrastructure
from prisma_infra_nats.testing import NatsServer, read_stream

from tests.audit.audit_it_support import settings

pytestmark = pytest.mark.integration


async def test_killing_nats_mid_run_loses_no_event(databases: dict[str, tuple[Path, str]], tmp_path: Path) -> None:
    schema, url = databases["sqlite"]
    copy = tmp_path / "audit.db"
    shutil.copyfile(url.removeprefix("file:"), copy)
    server = NatsServer(tmp_path / "nats")
    server.start()
    config = settings(schema, f"file:{copy}", tmp_path, audit={
        "sinks": ["file", "nats"],
        "retry_max_wait": 0.3,
        "sink_timeout": 2.0,
        "sink_options": {
            "file": {"path": str(tmp_path / "audit.jsonl")},
            "nats": {"servers": server.url, "stream": "AUDIT_IT", "ack_timeout": 0.5, "connect_timeout": 1},
        },
    })
    config["plugins"] = {"load": ["prisma", "nats"]}
    try:
        async with Infrastructure(config) as infra:
            users = infra.repository("user")
            for i in range(30):
                if i == 10:
                    server.kill()
                if i == 20:
                    server.start()
                user = await users.create({"email": f"u{i}@example.com"})
                await users.update(user["id"], {"name": f"U{i}"})
            assert await infra.audit.drain(timeout=60), infra.audit.status()
            status = {s.name: s for s in infra.audit.status()}
            assert status["nats"].failures > 0 and status["file"].failures == 0
        stored = await read_stream(server.url, "AUDIT_IT")
    finally:
        server.kill()
    trail = list(iter_trail(tmp_path / "audit.jsonl"))
    assert [e["seq"] for e in stored] == list(range(1, 61))
    assert [e["id"] for e in stored] == [e["id"] for e in trail]
    assert [e["action"] for e in stored[:2]] == ["create", "update"]
    assert (await verify_events(stored, Hasher())).ok

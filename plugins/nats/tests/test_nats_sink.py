"""The ``nats`` audit sink against a real JetStream server of its own (never the shared one on 4222).

The outage test kills the server mid-run and restarts it: every event must reach the
stream exactly once and in chain order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prisma_infra_nats import NatsSink
from prisma_infra_nats.testing import NatsServer, read_stream
from prisma_infra_sdk.testing import AuditWriter, Hasher, PluginManager, collect_registry, make_event, verify_events

pytestmark = pytest.mark.integration


@pytest.fixture
def server(tmp_path: Path) -> Iterator[NatsServer]:
    nats = NatsServer(tmp_path / "nats")
    nats.start()
    yield nats
    nats.kill()


def events(count: int, start: int = 0) -> list[dict[str, Any]]:
    return [make_event(model="User", action="update", record_id={"id": i}) for i in range(start, start + count)]


def sink_for(server: NatsServer, stream: str = "AUDIT_T") -> NatsSink:
    return NatsSink({"servers": server.url, "stream": stream, "ack_timeout": 0.5, "connect_timeout": 1})


def test_the_plugin_registers_the_sink() -> None:
    manager = PluginManager(autoload=True, environ={})
    manager.load_all()
    assert collect_registry(manager)["audit_sinks"]["nats"].factory is NatsSink


async def test_publishes_in_order_creates_the_stream_and_deduplicates(server: NatsServer) -> None:
    sink = sink_for(server)
    await sink.start()
    batch = events(3)
    for seq, event in enumerate(batch, 1):
        event.update(seq=seq, chain="default", hash=f"h{seq}")
    await sink.write(batch)
    await sink.write(batch[1:])  # a replay: same ids
    last = await sink.last_event("default")
    await sink.close()
    stored = await read_stream(server.url, "AUDIT_T")
    assert [e["seq"] for e in stored] == [1, 2, 3]
    assert last is not None and last["seq"] == 3


async def test_a_server_killed_mid_run_loses_no_event_and_duplicates_none(server: NatsServer, tmp_path: Path) -> None:
    sink = sink_for(server)
    writer = AuditWriter({"nats": sink}, buffer_dir=tmp_path / "buffer", sink_timeout=2.0, retry_max_wait=0.3)
    await writer.start()
    for i in range(60):
        if i == 20:
            server.kill()
        if i == 40:
            server.start()
        await writer.submit(events(3, 3 * i))  # returns once stored or durably buffered
        await asyncio.sleep(0.01)  # pacing: the stream spans the real server's death and restart
    assert await writer.drain(timeout=60), writer.status()
    failures = writer.status()[0].failures
    await writer.close()
    stored = await read_stream(server.url, "AUDIT_T")
    assert failures > 0  # the outage was real
    assert [e["seq"] for e in stored] == list(range(1, 181))  # all, once each, in order
    assert len({e["id"] for e in stored}) == 180
    assert (await verify_events(stored, Hasher())).ok


async def test_a_restart_continues_the_chain_from_the_stream(server: NatsServer, tmp_path: Path) -> None:
    first = AuditWriter({"nats": sink_for(server)}, buffer_dir=tmp_path / "a")
    await first.start()
    await first.submit(events(2))
    await first.close()
    second = AuditWriter({"nats": sink_for(server)}, buffer_dir=tmp_path / "b")  # no local head file
    await second.start()
    await second.submit(events(1, 2))
    await second.close()
    stored = await read_stream(server.url, "AUDIT_T")
    assert [e["seq"] for e in stored] == [1, 2, 3]
    assert (await verify_events(stored, Hasher())).ok


async def test_a_server_down_at_start_is_caught_up(tmp_path: Path) -> None:
    server = NatsServer(tmp_path / "late")
    writer = AuditWriter({"nats": sink_for(server)}, buffer_dir=tmp_path / "buffer", retry_max_wait=0.3)
    await writer.start()
    try:
        await writer.submit(events(4))
        assert writer.is_buffering("nats")
        server.start()
        assert await writer.drain(timeout=30)
        await writer.close()
        assert [e["seq"] for e in await read_stream(server.url, "AUDIT_T")] == [1, 2, 3, 4]
    finally:
        server.kill()

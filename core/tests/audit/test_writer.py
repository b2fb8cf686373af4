"""The durable buffer, the file sink and the writer: outage → buffered → replayed in order, exactly once."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import orjson
import pytest
from prisma_infra.audit.buffer import DurableBuffer
from prisma_infra.audit.chain import Hasher, verify_events
from prisma_infra.audit.events import make_event
from prisma_infra.audit.file_sink import FileSink, iter_trail, trail_files
from prisma_infra.audit.writer import AuditWriter

from core.tests.audit.audit_doubles import MemorySink


def events(count: int, start: int = 0) -> list[dict[str, Any]]:
    return [make_event(model="User", action="create", record_id={"id": i}) for i in range(start, start + count)]


# -- DurableBuffer ---------------------------------------------------------------------------


def test_buffer_appends_peeks_and_empties_when_replayed(tmp_path: Path) -> None:
    buffer = DurableBuffer(tmp_path, "nats")
    assert not buffer.pending() and buffer.last() is None
    buffer.append([{"seq": 1}, {"seq": 2}])
    buffer.append([{"seq": 3}])
    assert buffer.pending() and buffer.size() == 3 and buffer.last() == {"seq": 3}
    first, offset = buffer.peek(2)
    assert first == [{"seq": 1}, {"seq": 2}]
    assert buffer.commit(offset) is False
    assert buffer.size() == 1
    rest, offset = buffer.peek(10)
    assert rest == [{"seq": 3}]
    assert buffer.commit(offset) is True
    assert not buffer.path.exists() and not buffer.pending()


def test_buffer_drops_a_line_torn_by_a_crash(tmp_path: Path) -> None:
    buffer = DurableBuffer(tmp_path, "s")
    buffer.append([{"seq": 1}])
    with buffer.path.open("ab") as fh:
        fh.write(b'{"seq": 2, "tor')  # the process died mid-append: never acknowledged
    assert buffer.peek(10)[0] == [{"seq": 1}]
    buffer.append([{"seq": 3}])
    assert buffer.peek(10)[0] == [{"seq": 1}, {"seq": 3}]


# -- FileSink --------------------------------------------------------------------------------


async def test_file_sink_rotates_by_size_and_reads_in_order(tmp_path: Path) -> None:
    sink = FileSink({"path": str(tmp_path / "trail.jsonl"), "max_bytes": 600, "fsync": "always"})
    await sink.start()
    writer_head = 0
    for batch in range(6):
        chunk = events(3, batch * 3)
        for event in chunk:
            writer_head += 1
            event.update(seq=writer_head, chain="default", hash=str(writer_head))
        await sink.write(chunk)
    await sink.close()
    files = trail_files(tmp_path / "trail.jsonl")
    assert len(files) > 2 and files[0].name == "trail.jsonl.000001"
    assert [e["seq"] for e in iter_trail(tmp_path / "trail.jsonl")] == list(range(1, 19))
    assert [e["seq"] async for e in sink.read()] == list(range(1, 19))
    last = await sink.last_event("default")
    assert last is not None and last["seq"] == 18


async def test_file_sink_skips_events_it_already_holds(tmp_path: Path) -> None:
    sink = FileSink({"path": str(tmp_path / "t.jsonl"), "fsync": "never"})
    await sink.start()
    chunk = events(3)
    for i, event in enumerate(chunk, 1):
        event.update(seq=i, chain="default", hash=str(i))
    await sink.write(chunk)
    await sink.close()
    again = FileSink({"path": str(tmp_path / "t.jsonl")})
    await again.start()
    await again.write(chunk[1:])  # a replay after a crash
    await again.close()
    assert [e["seq"] for e in iter_trail(tmp_path / "t.jsonl")] == [1, 2, 3]


def test_file_sink_rejects_an_unknown_fsync_policy(tmp_path: Path) -> None:
    from prisma_infra.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="always, interval, never"):
        FileSink({"path": str(tmp_path / "x"), "fsync": "sometimes"})


# -- AuditWriter ------------------------------------------------------------------------------


def make_writer(tmp_path: Path, *sinks: tuple[str, Any], retry: float = 0.05) -> AuditWriter:
    return AuditWriter(dict(sinks), buffer_dir=tmp_path / "buffer", sink_timeout=1.0, retry_max_wait=retry)


async def test_a_sink_outage_buffers_then_replays_in_order_exactly_once(tmp_path: Path) -> None:
    flaky, steady = MemorySink(), MemorySink()
    writer = make_writer(tmp_path, ("flaky", flaky), ("steady", steady))
    await writer.start()
    await writer.submit(events(3, 0))
    flaky.down = True
    for i in range(5):
        await writer.submit(events(2, 10 + 2 * i))  # each returns once buffered durably
    buffer = DurableBuffer(tmp_path / "buffer", "flaky")
    assert buffer.size() == 10 and writer.is_buffering("flaky")
    status = {s.name: s for s in writer.status()}
    assert status["flaky"].state == "buffering" and status["steady"].state == "ok"
    flaky.down = False
    await writer.submit(events(2, 50))  # still goes behind the backlog, never ahead of it
    assert await writer.drain(timeout=5)
    await writer.close()
    assert [e["seq"] for e in flaky.events] == list(range(1, 16))
    assert [e["id"] for e in flaky.events] == [e["id"] for e in steady.events]
    assert (await verify_events(flaky.events, Hasher())).ok
    assert not buffer.pending()


async def test_a_sink_down_at_start_is_buffered_and_caught_up(tmp_path: Path) -> None:
    sink = MemorySink({"down": True})
    writer = make_writer(tmp_path, ("s", sink))
    await writer.start()
    await writer.submit(events(4))
    assert writer.is_buffering("s")
    sink.down = False
    assert await writer.drain(timeout=5)
    await writer.close()
    assert [e["seq"] for e in sink.events] == [1, 2, 3, 4]


async def test_buffered_events_survive_a_restart_and_keep_the_chain(tmp_path: Path) -> None:
    sink = MemorySink({"down": True})
    writer = make_writer(tmp_path, ("s", sink))
    await writer.start()
    await writer.submit(events(3))
    await writer.close()  # the process stops while the sink is still down
    revived = MemorySink()
    again = make_writer(tmp_path, ("s", revived))
    await again.start()  # replays the buffer left on disk, continues the chain after it
    await again.submit(events(2, 3))
    assert await again.drain(timeout=5)
    await again.close()
    assert [e["seq"] for e in revived.events] == [1, 2, 3, 4, 5]
    assert (await verify_events(revived.events, Hasher())).ok


async def test_the_chain_continues_from_the_sink_after_a_restart(tmp_path: Path) -> None:
    first = MemorySink()
    writer = make_writer(tmp_path, ("s", first))
    await writer.start()
    await writer.submit(events(3))
    await writer.close()
    (tmp_path / "buffer" / "chain-default.head").unlink()  # only the sink knows the head now
    second = MemorySink({"store": first.events})
    again = make_writer(tmp_path, ("s", second))
    await again.start()
    await again.submit(events(1, 3))
    await again.close()
    assert [e["seq"] for e in second.events] == [1, 2, 3, 4]
    assert second.events[3]["prev_hash"] == first.events[2]["hash"]


async def test_concurrent_submissions_are_chained_in_one_order(tmp_path: Path) -> None:
    sink = MemorySink()
    writer = make_writer(tmp_path, ("s", sink))
    await writer.start()
    await asyncio.gather(*(writer.submit(events(2, 2 * i)) for i in range(20)))
    await writer.close()
    assert [e["seq"] for e in sink.events] == list(range(1, 41))
    assert (await verify_events(sink.events, Hasher())).ok
    assert sink.writes < 20  # group commit: batches were merged


async def test_the_head_file_records_the_last_event(tmp_path: Path) -> None:
    sink = MemorySink()
    writer = make_writer(tmp_path, ("s", sink))
    await writer.start()
    await writer.submit(events(2))
    recorded = writer.recorded_head()
    await writer.close()
    assert recorded == (2, sink.events[-1]["hash"])
    data = orjson.loads((tmp_path / "buffer" / "chain-default.head").read_bytes().strip())
    assert data["seq"] == 2

"""The audit-sink contract: what every `AuditSink` must do.

The kernel hands a sink batches of hash-chained events (plain JSON-safe
dicts). A sink stores them **in order** and returns from ``write`` only once
they are **durable**; otherwise it **raises**, and the kernel buffers the
batch durably and replays it later. So a replay may repeat events the sink
already holds: storing them again must not duplicate them (events carry a
unique ``id`` and, per ``chain``, an increasing ``seq``).

Usage::

    class TestMySink(AuditSinkContract):
        @pytest.fixture
        def make_sink(self, tmp_path):
            return lambda: MySink({"path": str(tmp_path / "trail.jsonl")})  # same destination every call

        @pytest.fixture
        def unavailable_sink(self, tmp_path):
            return MySink({"path": "/dev/null/impossible/trail.jsonl"})  # its backend cannot store

Reading back: a sink with ``read(criteria)`` (`prisma_infra.audit.types.QueryableSink`)
is read through it; otherwise override `AuditSinkContract.read_back`.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pytest
from prisma_infra.audit.chain import ChainHead, Hasher, verify_events
from prisma_infra.audit.events import Event, make_event
from prisma_infra.audit.types import AuditFilter, QueryableSink
from prisma_infra.providers import AuditSink

from prisma_infra_sdk.testing.contracts._base import ContractBase, missing_fixture

__all__ = ["AuditSinkContract", "make_events"]

SinkFactory = Callable[[], AuditSink]

#: Seconds a write to an unavailable backend may take before it must have raised.
UNAVAILABLE_DEADLINE = 15.0


def make_events(count: int, *, chain: str | None = None, start: int = 0, head: ChainHead | None = None) -> list[Event]:
    """``count`` hash-chained events like the kernel's, on ``chain`` (a fresh unique chain by default).

    Pass the same ``head`` to continue a chain across calls.
    """
    chain = chain or f"contract-{uuid.uuid4().hex[:12]}"
    head = head or ChainHead()
    hasher = Hasher()
    events = []
    for i in range(start, start + count):
        event = make_event(
            model="User",
            action="update",
            actor={"id": f"actor-{i % 3}"},
            tenant="acme",
            record_id={"id": i},
            before={"id": i, "name": f"before-{i}", "email": "[redacted]"},
            after={"id": i, "name": f"after-{i} — ünïcødé ✓", "email": "[redacted]"},
            details={"batch": i // 10},
        )
        events.append(head.link(event, chain, hasher))
    return events


class AuditSinkContract(ContractBase):
    """The audit-sink kit. Provide ``make_sink`` and ``unavailable_sink`` (see the module documentation)."""

    @pytest.fixture
    def make_sink(self) -> SinkFactory:
        missing_fixture(
            self,
            "AuditSinkContract",
            "make_sink",
            "a zero-argument callable building a fresh, unstarted sink on the same destination at every call",
        )

    @pytest.fixture
    def unavailable_sink(self) -> AuditSink:
        missing_fixture(
            self,
            "AuditSinkContract",
            "unavailable_sink",
            "an unstarted sink whose backend cannot store (server down, unwritable path): writes must raise",
        )

    async def read_back(self, sink: AuditSink, chain: str) -> list[Mapping[str, Any]]:
        """Every event ``sink`` holds for ``chain``, in trail order. Override for a sink without ``read``."""
        if not isinstance(sink, QueryableSink):
            pytest.fail(
                f"{type(sink).__name__} has no read(criteria): override read_back(self, sink, chain) in "
                f"{type(self).__name__} to return the events the backend holds for the chain, in order",
                pytrace=False,
            )
        return [event async for event in sink.read(AuditFilter(chain=chain))]

    @staticmethod
    async def _started(make_sink: SinkFactory) -> AuditSink:
        sink = make_sink()
        assert isinstance(sink, AuditSink), f"make_sink() must build an AuditSink, got {sink!r}"
        await sink.start()
        return sink

    async def test_is_an_audit_sink_with_a_name(self, make_sink: SinkFactory) -> None:
        sink = make_sink()
        assert isinstance(sink, AuditSink)
        assert isinstance(type(sink).name, str) and type(sink).name, "set the class attribute `name`"

    async def test_events_are_stored_in_order_and_unchanged(self, make_sink: SinkFactory) -> None:
        sink = await self._started(make_sink)
        try:
            head = ChainHead()
            first = make_events(7, head=head)
            chain = first[0]["chain"]
            second = make_events(25, chain=chain, start=7, head=head)
            await sink.write(first)
            await sink.write(second[:1])
            await sink.write(second[1:])
            stored = await self.read_back(sink, chain)
        finally:
            await sink.close()
        ids = [e["id"] for e in stored]
        assert ids == [e["id"] for e in first + second], "events must be stored in the order they were written"
        assert [dict(e) for e in stored] == first + second, "events must read back exactly as written"
        verified = await verify_events(stored, Hasher())
        assert verified.ok, f"the hash chain must verify after the round trip: {verified.describe()}"

    async def test_write_is_durable_across_instances(self, make_sink: SinkFactory) -> None:
        events = make_events(5)
        chain = events[0]["chain"]
        sink = await self._started(make_sink)
        try:
            await sink.write(events)
        finally:
            await sink.close()
        reopened = await self._started(make_sink)
        try:
            stored = await self.read_back(reopened, chain)
        finally:
            await reopened.close()
        assert [e["id"] for e in stored] == [e["id"] for e in events], (
            "once write() returned, a new sink instance on the same destination must see every event"
        )

    async def test_replayed_events_are_not_duplicated(self, make_sink: SinkFactory) -> None:
        head = ChainHead()
        events = make_events(6, head=head)
        chain = events[0]["chain"]
        sink = await self._started(make_sink)
        try:
            await sink.write(events[:4])
            await sink.write(events[2:])  # a replay of a batch that was in fact stored, then the rest
            await sink.write(events)
            stored = await self.read_back(sink, chain)
        finally:
            await sink.close()
        assert [e["id"] for e in stored] == [e["id"] for e in events], (
            "replaying events the sink already holds must not store them twice"
        )

    async def test_empty_write_is_a_no_op(self, make_sink: SinkFactory) -> None:
        sink = await self._started(make_sink)
        try:
            await sink.write([])
        finally:
            await sink.close()

    async def test_unavailable_backend_raises(self, unavailable_sink: AuditSink) -> None:
        assert isinstance(unavailable_sink, AuditSink)
        events = make_events(2)

        async def attempt() -> None:
            await unavailable_sink.start()
            await unavailable_sink.write(events)

        try:
            with pytest.raises(Exception) as raised:
                await asyncio.wait_for(attempt(), UNAVAILABLE_DEADLINE)
            assert not isinstance(raised.value, asyncio.TimeoutError), (
                f"write() to an unavailable backend must raise, not hang for {UNAVAILABLE_DEADLINE}s"
            )
        finally:
            await unavailable_sink.close()

    async def test_start_and_close_are_idempotent(self, make_sink: SinkFactory) -> None:
        never_started = make_sink()
        await never_started.close()  # closing a sink that never started is harmless
        sink = make_sink()
        await sink.start()
        await sink.start()
        events = make_events(3)
        await sink.write(events)
        await sink.close()
        await sink.close()
        check = await self._started(make_sink)
        try:
            stored = await self.read_back(check, events[0]["chain"])
        finally:
            await check.close()
        assert [e["id"] for e in stored] == [e["id"] for e in events], "a second start() must not lose events"

    async def test_concurrent_writes_of_separate_chains(self, make_sink: SinkFactory) -> None:
        sink = await self._started(make_sink)
        batches: Sequence[list[Event]] = [make_events(10) for _ in range(4)]
        try:
            await asyncio.gather(*(sink.write(batch) for batch in batches))
            for batch in batches:
                stored = await self.read_back(sink, batch[0]["chain"])
                assert [e["id"] for e in stored] == [e["id"] for e in batch], "each chain keeps its own order"
        finally:
            await sink.close()

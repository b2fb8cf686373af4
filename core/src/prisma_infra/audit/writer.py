"""`AuditWriter`: links events into the hash chain and stores them in every sink, or buffers them durably.

One writer task owns the chain: emitters queue events and wait; the task
takes everything queued (group commit), links it in order, and hands the
batch to every sink at once. A sink that raises or times out gets the batch
appended to its `DurableBuffer` instead, and from then on every batch goes to
that buffer (so order is kept) while a background task replays the buffer with
exponential backoff (tenacity). When the buffer is empty again, batches go to
the sink directly. Replay resends at most one chunk after a crash; sinks drop
duplicates by event id (JetStream's ``Nats-Msg-Id``, the database's primary key,
the file sink's sequence check).

An emitter's wait ends when its events are stored in each sink or in its buffer:
once a write returns, its audit events survive a crash.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from tenacity import AsyncRetrying, retry_if_exception_type, wait_exponential

from prisma_infra.audit.anchor import Anchor, AnchorPublisher
from prisma_infra.audit.buffer import DurableBuffer
from prisma_infra.audit.chain import ChainHead, Hasher
from prisma_infra.audit.types import HeadSink, QueryableSink
from prisma_infra.errors import PrismaInfraError
from prisma_infra.providers.audit import AuditSink

__all__ = ["AuditError", "AuditWriter", "SinkStatus"]

log = logging.getLogger("prisma_infra.audit")

_REPLAY_CHUNK = 500
_HEAD_SIZE = 160


class AuditError(PrismaInfraError):
    """Audit events could not be stored anywhere (neither in a sink nor in its durable buffer)."""


@dataclass(slots=True)
class SinkStatus:
    """What `AuditWriter.status` reports per sink."""

    name: str
    state: str
    """``ok`` (writing directly) or ``buffering`` (writing to the durable buffer, replaying)."""
    buffered: int
    stored: int
    failures: int
    last_error: str | None


@dataclass(eq=False)
class _Channel:
    name: str
    sink: AuditSink
    buffer: DurableBuffer
    started: bool = False
    buffering: bool = False
    stored: int = 0
    failures: int = 0
    last_error: str | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    clear: asyncio.Event = field(default_factory=asyncio.Event)
    replay: asyncio.Task[None] | None = None
    head: tuple[int, str] | None = None
    """(seq, hash) of the last event this sink stored in this process: what its anchor records."""

    def stored_up_to(self, events: Sequence[Mapping[str, Any]]) -> None:
        if events:
            self.head = int(events[-1]["seq"]), str(events[-1]["hash"])


class AuditWriter:
    """The single writer of one hash chain to a set of sinks."""

    def __init__(
        self,
        sinks: Mapping[str, AuditSink],
        *,
        buffer_dir: str | Path,
        chain: str = "default",
        hasher: Hasher | None = None,
        sink_timeout: float = 5.0,
        retry_max_wait: float = 30.0,
        anchor: AnchorPublisher | None = None,
    ) -> None:
        self.chain = chain
        self.hasher = hasher or Hasher()
        self.buffer_dir = Path(buffer_dir)
        self.sink_timeout = sink_timeout
        self.retry_max_wait = retry_max_wait
        self.head = ChainHead()
        self.anchor = anchor
        self._channels = [_Channel(name, sink, DurableBuffer(self.buffer_dir, name)) for name, sink in sinks.items()]
        self._queue: asyncio.Queue[tuple[list[dict[str, Any]], asyncio.Future[None]] | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._head_fd: int | None = None
        self._closed = False
        self._closing = asyncio.Event()
        self._users = 0

    @property
    def sinks(self) -> dict[str, AuditSink]:
        return {c.name: c.sink for c in self._channels}

    @property
    def head_path(self) -> Path:
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in self.chain)
        return self.buffer_dir / f"chain-{safe}.head"

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the sinks (one that fails starts buffering), find the chain head, start writing."""
        for channel in self._channels:
            await self._open(channel)
        await self._start_anchor()
        await self._find_head()
        for channel in self._channels:
            self._resume(channel)
        self._task = asyncio.create_task(self._run(), name=f"prisma-infra-audit-writer-{self.chain}")

    async def _open(self, channel: _Channel) -> None:
        try:
            await asyncio.wait_for(channel.sink.start(), self.sink_timeout)
            channel.started = True
        except Exception as exc:
            channel.failures += 1
            channel.last_error = f"{type(exc).__name__}: {exc}"
            channel.buffering = True
            log.warning("audit sink %r did not start (%s); its events are buffered", channel.name, exc)
        if not channel.buffering and await asyncio.to_thread(channel.buffer.pending):
            channel.buffering = True

    def _resume(self, channel: _Channel) -> None:
        if channel.buffering:
            self._start_replay(channel)
        else:
            channel.clear.set()

    # -- sharing across reloads -------------------------------------------------------------
    # A reload builds new middleware while the old runtime still finishes its writes; two
    # writers on one chain would fork it. So the writer is shared: each runtime using it
    # holds a reference, the sinks are swapped between two batches, and it closes when the
    # last runtime lets go.

    def acquire(self) -> AuditWriter:
        self._users += 1
        return self

    async def release(self) -> None:
        self._users -= 1
        if self._users <= 0:
            await self.close()

    @property
    def closed(self) -> bool:
        return self._closed

    async def set_sinks(self, sinks: Mapping[str, AuditSink]) -> None:
        """Use ``sinks`` from the next batch on; a sink kept with the same options keeps its channel."""
        current = {c.name: c for c in self._channels}
        channels: list[_Channel] = []
        for name, sink in sinks.items():
            kept = current.get(name)
            if kept is not None and dict(kept.sink.options) == dict(sink.options):
                channels.append(kept)
                continue
            channel = _Channel(name, sink, DurableBuffer(self.buffer_dir, name))
            await self._open(channel)
            channels.append(channel)
        removed = [c for c in self._channels if c not in channels]
        await self.flush()
        self._channels = channels
        for channel in channels:
            if channel not in current.values():
                self._resume(channel)
        await self.flush()  # a batch started on the previous list has finished
        for channel in removed:
            await self._close_channel(channel)

    async def _close_channel(self, channel: _Channel) -> None:
        if channel.replay is not None:
            try:
                await asyncio.wait_for(asyncio.shield(channel.replay), self.sink_timeout + 1)
            except (TimeoutError, Exception):
                channel.replay.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await channel.replay
        if channel.started:
            try:
                await asyncio.wait_for(channel.sink.close(), self.sink_timeout)
            except Exception as exc:
                log.warning("audit sink %r failed to close: %s", channel.name, exc)

    # -- anchors (prisma_infra.audit.anchor) ------------------------------------------------

    async def _start_anchor(self) -> None:
        if self.anchor is None:
            return
        anchor = self.anchor
        try:
            await anchor.start()
        except Exception as exc:  # anchoring is retried at each publish; writing goes on
            log.warning("the audit anchor store did not start: %s", exc)
        anchor.start_timer(lambda: self._publish_anchor(anchor))

    async def set_anchor(self, anchor: AnchorPublisher | None) -> None:
        """Anchor through ``anchor`` from now on (a reload changed ``audit.anchor``)."""
        await self.flush()
        previous, self.anchor = self.anchor, anchor
        if previous is not None:
            await self._publish_anchor(previous)
            await previous.close()
        await self._start_anchor()

    async def anchors(self) -> list[Anchor]:
        """The latest anchors as stored (none when ``audit.anchor`` is off); raises when unreadable."""
        if self.anchor is None:
            return []
        try:
            return await self.anchor.latest()
        except Exception as exc:
            raise AuditError(f"the audit anchors could not be read ({type(exc).__name__}: {exc})") from exc

    async def _publish_anchor(self, anchor: AnchorPublisher) -> None:
        heads = {c.name: c.head for c in self._channels if c.head is not None and isinstance(c.sink, QueryableSink)}
        await anchor.publish(self.chain, heads, self.hasher)

    async def _find_head(self) -> None:
        head = self.head
        saved = await asyncio.to_thread(self._read_head)
        if saved is not None:
            head.advance_to(*saved)
        if self.anchor is not None:  # a trail cut short (and its head file removed) must not restart the chain
            anchored = await self.anchor.chain_head(self.chain, self.hasher)
            if anchored is not None:
                head.advance_to(*anchored)
        for channel in self._channels:
            last = await asyncio.to_thread(channel.buffer.last)
            if last is not None and last.get("chain") == self.chain:
                head.advance_to(int(last["seq"]), str(last["hash"]))
            if channel.started and isinstance(channel.sink, HeadSink):
                try:
                    found = await asyncio.wait_for(channel.sink.last_event(self.chain), self.sink_timeout)
                except Exception as exc:
                    log.warning("audit sink %r could not report its last event: %s", channel.name, exc)
                    continue
                if found is not None:
                    head.advance_to(int(found["seq"]), str(found["hash"]))

    def _read_head(self) -> tuple[int, str] | None:
        try:
            data = orjson.loads(self.head_path.read_bytes().rstrip(b" \n\x00"))
        except (FileNotFoundError, orjson.JSONDecodeError):
            return None
        return int(data["seq"]), str(data["hash"])

    def recorded_head(self) -> tuple[int, str] | None:
        """The (seq, hash) this writer last recorded on disk, if any (for verification)."""
        return self._read_head()

    def _write_head(self) -> None:
        if self._head_fd is None:
            self.buffer_dir.mkdir(parents=True, exist_ok=True)
            self._head_fd = os.open(self.head_path, os.O_RDWR | os.O_CREAT, 0o600)
        data = orjson.dumps({"seq": self.head.seq, "hash": self.head.hash})
        os.pwrite(self._head_fd, data.ljust(_HEAD_SIZE), 0)

    async def close(self) -> None:
        """Store what is queued, stop replaying (buffers stay on disk), close the sinks."""
        if self._closed:
            return
        self._closed = True
        if self._task is not None:
            await self._queue.put(None)
            with contextlib.suppress(Exception):
                await self._task
        self._closing.set()
        for channel in self._channels:
            await self._close_channel(channel)
        if self.anchor is not None:
            await self._publish_anchor(self.anchor)
            await self.anchor.close()
        if self._head_fd is not None:
            os.close(self._head_fd)
            self._head_fd = None

    # -- writing ----------------------------------------------------------------------------

    async def submit(self, events: Sequence[dict[str, Any]]) -> None:
        """Link ``events`` into the chain (in place) and wait until each sink or its buffer holds them."""
        if self._closed or self._task is None:
            raise AuditError("the audit writer is not running")
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        await self._queue.put((list(events), future))
        await future

    async def flush(self) -> None:
        """Wait until everything submitted so far is stored (in a sink or its buffer)."""
        await self.submit([])

    async def drain(self, timeout: float | None = None) -> bool:
        """Wait until every buffer is replayed; False when ``timeout`` ran out first."""
        await self.flush()
        try:
            await asyncio.wait_for(asyncio.gather(*(c.clear.wait() for c in self._channels)), timeout)
        except TimeoutError:
            return False
        return True

    async def _run(self) -> None:
        while True:
            item = await self._queue.get()
            stop = item is None
            batch: list[tuple[list[dict[str, Any]], asyncio.Future[None]]] = [] if item is None else [item]
            while not self._queue.empty():
                more = self._queue.get_nowait()
                if more is None:
                    stop = True
                else:
                    batch.append(more)
            if batch:
                try:
                    await self._write(batch)
                except BaseException as exc:  # never leave an emitter waiting forever
                    log.exception("the audit writer failed")
                    error = AuditError(f"the audit writer failed: {exc}")
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(error)
                    if not isinstance(exc, Exception):
                        raise
            if stop:
                return

    async def _write(self, batch: list[tuple[list[dict[str, Any]], asyncio.Future[None]]]) -> None:
        events = [event for group, _ in batch for event in group]
        error: BaseException | None = None
        if events:
            for event in events:
                self.head.link(event, self.chain, self.hasher)
            results = await asyncio.gather(*(self._deliver(c, events) for c in self._channels), return_exceptions=True)
            failed = [r for r in results if isinstance(r, BaseException)]
            if failed:
                error = AuditError(f"audit events could not be stored nor buffered: {failed[0]}")
                error.__cause__ = failed[0]
            try:
                self._write_head()  # one small pwrite, no fsync: cheaper in the loop than a thread hop
            except OSError as exc:
                log.warning("could not record the audit chain head: %s", exc)
        for _, future in batch:
            if future.done():
                continue
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(None)
        if self.anchor is not None and self.anchor.due(len(events)):  # after the emitters are released
            await self._publish_anchor(self.anchor)

    async def _deliver(self, channel: _Channel, events: list[dict[str, Any]]) -> None:
        async with channel.lock:
            if channel.buffering:
                await asyncio.to_thread(channel.buffer.append, events)
                return
        try:
            await asyncio.wait_for(channel.sink.write(events), self.sink_timeout)
        except Exception as exc:
            channel.failures += 1
            channel.last_error = f"{type(exc).__name__}: {exc}"
            log.warning("audit sink %r failed (%s); buffering its events durably", channel.name, channel.last_error)
            async with channel.lock:
                await asyncio.to_thread(channel.buffer.append, events)
                channel.buffering = True
                channel.clear.clear()
                self._start_replay(channel)
            return
        channel.stored += len(events)
        channel.stored_up_to(events)

    # -- outbox recovery --------------------------------------------------------------------

    def holders(self) -> list[tuple[AuditSink | None, DurableBuffer]]:
        """Per sink: the sink when it started (else ``None``) and its durable buffer (for outbox recovery)."""
        return [(c.sink if c.started else None, c.buffer) for c in self._channels]

    async def resend(self, events: list[dict[str, Any]]) -> None:
        """Store already-chained ``events`` again in every sink (each drops what it holds, by id or seq).

        For recovery at start, before anything is submitted: the events keep their chain fields.
        """
        results = await asyncio.gather(*(self._deliver(c, events) for c in self._channels), return_exceptions=True)
        failed = [r for r in results if isinstance(r, BaseException)]
        if failed:
            raise AuditError(f"audit events could not be stored nor buffered: {failed[0]}") from failed[0]

    # -- replay -----------------------------------------------------------------------------

    def _start_replay(self, channel: _Channel) -> None:
        if channel.replay is None or channel.replay.done():
            channel.replay = asyncio.create_task(
                self._replay(channel), name=f"prisma-infra-audit-replay-{channel.name}"
            )

    async def _replay(self, channel: _Channel) -> None:
        # Stopping goes through tenacity's own stop/sleep hooks: it records any exception raised
        # inside an attempt, so a cancellation there would be taken for a failure and retried.
        retrying = AsyncRetrying(
            wait=wait_exponential(multiplier=0.05, min=0.05, max=self.retry_max_wait),
            retry=retry_if_exception_type(Exception),
            stop=lambda _state: self._closed,
            sleep=self._pause,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    try:
                        await self._replay_once(channel)
                    except Exception as exc:
                        channel.failures += 1
                        channel.last_error = f"{type(exc).__name__}: {exc}"
                        log.debug("audit sink %r replay failed: %s", channel.name, exc)
                        raise
        except Exception as exc:
            if not self._closed:  # pragma: no cover - retries never stop while open
                log.exception("audit sink %r replay stopped", channel.name)
            else:
                log.info("audit sink %r: %d events stay buffered until the next start (%s)",
                         channel.name, channel.buffer.size(), exc)

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), seconds)

    async def _replay_once(self, channel: _Channel) -> None:
        if not channel.started:
            await asyncio.wait_for(channel.sink.start(), self.sink_timeout)
            channel.started = True
        while True:
            events, offset = await asyncio.to_thread(channel.buffer.peek, _REPLAY_CHUNK)
            if events:
                await asyncio.wait_for(channel.sink.write(events), self.sink_timeout)
                channel.stored += len(events)
                channel.stored_up_to(events)
            async with channel.lock:
                empty = await asyncio.to_thread(channel.buffer.commit, offset)
                if empty:
                    channel.buffering = False
                    channel.clear.set()
                    log.info("audit sink %r is back: its buffer is replayed", channel.name)
                    return

    def is_buffering(self, sink: str) -> bool:
        return any(c.buffering for c in self._channels if c.name == sink)

    # -- status -----------------------------------------------------------------------------

    def status(self) -> list[SinkStatus]:
        return [
            SinkStatus(
                name=c.name,
                state="buffering" if c.buffering else "ok",
                buffered=c.buffer.size() if c.buffering else 0,
                stored=c.stored,
                failures=c.failures,
                last_error=c.last_error,
            )
            for c in self._channels
        ]

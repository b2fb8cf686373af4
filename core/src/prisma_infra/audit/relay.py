"""`OutboxRelay`: moves audit events from the outbox to the sinks — after each commit, and after a crash.

After a commit the manager hands the events to the writer as usual; once the
writer has stored them (in each sink or its durable buffer) the relay deletes
their outbox rows in the background, in batches (rows that pile up while a delete
runs go in the next one). A crash before that delete leaves rows whose events
may already be stored, so `recover`, at start and before any new write, sorts
this chain's leftover rows in two:

* events a sink or a durable buffer already holds (found by id among the
  events not older than the oldest row): their stored, chained copy is written
  again to every sink, which each drop what they already hold (by id or seq) —
  so a sink the crash left one batch behind catches up, and nothing is doubled;
* the others (committed, never stored): linked into the chain now, in the order
  they were written.

Then the rows are deleted. Each committed write so ends with exactly one event.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING

from prisma_infra.audit.types import AuditFilter, QueryableSink

if TYPE_CHECKING:
    from prisma_infra.audit.events import Event
    from prisma_infra.audit.outbox import Outbox
    from prisma_infra.audit.writer import AuditWriter
    from prisma_infra.operation import OperationContext

__all__ = ["OutboxRelay"]

log = logging.getLogger("prisma_infra.audit")

#: Writers whose chain's leftover rows were relayed: once per writer, at its first start (a reload keeps it).
_RECOVERED: weakref.WeakSet[AuditWriter] = weakref.WeakSet()


class OutboxRelay:
    """The outbox of one runtime and the deletion of its delivered rows."""

    def __init__(self, outbox: Outbox, writer: AuditWriter) -> None:
        self.outbox = outbox
        self.writer = writer
        self._done: list[str] = []
        self._task: asyncio.Task[None] | None = None

    async def put(self, events: Sequence[Event], context: OperationContext) -> None:
        """Save ``events`` in the write's transaction (``context.transaction``)."""
        if events:
            await self.outbox.put(events, context)

    def acknowledge(self, events: Sequence[Event]) -> None:
        """The writer stored ``events``: delete their rows soon."""
        self._done.extend(e["id"] for e in events)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._delete(), name="prisma-infra-audit-outbox")

    async def _delete(self) -> None:
        while self._done:
            ids, self._done = self._done, []
            try:
                await self.outbox.delete(ids)
            except Exception as exc:  # the rows stay: `recover` sorts them out at the next start
                log.warning("audit outbox: %d delivered rows not deleted (%s)", len(ids), exc)

    async def flush(self) -> None:
        """Wait until the rows of every acknowledged event are deleted (or their delete failed)."""
        if self._task is not None:
            with contextlib.suppress(Exception):
                await self._task
        await self._delete()

    async def close(self) -> None:
        await self.flush()

    async def _stored_copies(self, ids: set[str], since: str) -> dict[str, Event]:
        """Events among ``ids`` a durable buffer or a queryable sink holds (from ``since`` on), as stored."""
        found: dict[str, Event] = {}
        criteria = AuditFilter(since=since, chain=self.writer.chain)
        for sink, buffer in self.writer.holders():
            found.update(await asyncio.to_thread(buffer.find, ids))
            if isinstance(sink, QueryableSink):  # a sink that is down is skipped
                async for event in sink.read(criteria):
                    if event.get("id") in ids:
                        found.setdefault(str(event["id"]), event)
        return found

    async def recover_once(self) -> int:
        """`recover`, unless it already ran for this writer (the writer outlives reloads)."""
        if self.writer in _RECOVERED:
            return 0
        _RECOVERED.add(self.writer)
        return await self.recover()

    async def recover(self) -> int:
        """Relay the rows a crash left (see the module documentation); returns how many events were new."""
        events = await self.outbox.pending()
        if not events:
            return 0
        ids = {str(e["id"]) for e in events}
        since = min(str(e.get("time") or "") for e in events)
        copies = await self._stored_copies(ids, since)
        again = sorted(copies.values(), key=lambda e: int(e["seq"]))
        fresh = [e for e in events if e["id"] not in copies]
        if again:
            await self.writer.resend(again)
        if fresh:
            await self.writer.submit(fresh)
        await self.outbox.delete([str(e["id"]) for e in events])
        log.info(
            "audit outbox: %d events relayed after a crash (%d already stored, written again for every sink)",
            len(fresh), len(again),
        )
        return len(fresh)

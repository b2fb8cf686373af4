"""`Dispatcher`: alerts delivered in the background, so evaluating KPIs and rules never waits on a network.

Each remote sink (webhook, e-mail) has a bounded queue and one task that delivers
its alerts in order, each within the sink's deadline (`deliver_one`). A stalled
endpoint fills its own queue only; past ``queue`` waiting alerts, new ones are
dropped, counted in the sink's ``dropped`` and logged. Local sinks (log) are
delivered at once: they cannot stall.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping, Sequence

from prisma_infra.alerts.sinks import AlertSink, Notification, deliver_one

__all__ = ["Dispatcher"]

log = logging.getLogger("prisma_infra.alerts")


class Dispatcher:
    """Background delivery of notifications to remote sinks, one bounded queue per sink."""

    def __init__(self, queue_sizes: Mapping[str, int] | None = None, *, default_queue: int = 100) -> None:
        self._sizes = dict(queue_sizes or {})
        self._default = default_queue
        self._queues: dict[str, asyncio.Queue[Notification]] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._pending = 0

    async def submit(self, sinks: Sequence[AlertSink], notification: Notification) -> None:
        """Hand ``notification`` to every sink that accepts it; waits only for local sinks."""
        for sink in sinks:
            if not sink.accepts(notification):
                continue
            if not sink.remote:
                await deliver_one(sink, notification)
                continue
            queue = self._queue(sink)
            try:
                queue.put_nowait(notification)
                self._pending += 1
            except asyncio.QueueFull:
                sink.dropped += 1
                log.error(
                    "alert sink %r has %d alerts waiting: %r is dropped", sink.name, queue.qsize(), notification.subject
                )

    @property
    def pending(self) -> int:
        """Notifications queued or being delivered."""
        return self._pending

    async def drain(self) -> None:
        """Wait until every queued notification was delivered or given up."""
        for queue in list(self._queues.values()):
            await queue.join()

    async def close(self, grace: float = 5.0) -> None:
        """Deliver what is queued for up to ``grace`` seconds, then stop the workers."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(grace):
                await self.drain()
        for task in self._workers.values():
            task.cancel()
        for task in self._workers.values():
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._workers.clear()
        self._queues.clear()

    def _queue(self, sink: AlertSink) -> asyncio.Queue[Notification]:
        queue = self._queues.get(sink.name)
        if queue is None:
            queue = asyncio.Queue(self._sizes.get(sink.name, self._default))
            self._queues[sink.name] = queue
            self._workers[sink.name] = asyncio.get_running_loop().create_task(
                self._work(sink, queue), name=f"prisma-infra-alert-sink-{sink.name}"
            )
        return queue

    async def _work(self, sink: AlertSink, queue: asyncio.Queue[Notification]) -> None:
        while True:
            notification = await queue.get()
            try:
                await deliver_one(sink, notification)
            finally:
                self._pending -= 1
                queue.task_done()

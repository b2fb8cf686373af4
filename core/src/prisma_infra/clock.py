"""`Clock`: where the kernel and its features read time and wait, so tests can drive it.

The cache tiers, stampede guards, invalidation generations and the analytics
scheduler take a clock instead of calling `time` and `asyncio.sleep` directly.
Production uses `SYSTEM_CLOCK`; a test passes a `ManualClock` (``Infrastructure(...,
clock=clock)``) and moves time with ``await clock.advance(seconds)`` instead of sleeping.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from typing import Protocol, runtime_checkable

__all__ = ["SYSTEM_CLOCK", "Clock", "ManualClock", "SystemClock"]


@runtime_checkable
class Clock(Protocol):
    """Monotonic time for durations and deadlines, wall time for timestamps, and waiting."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (TTLs, deadlines, rates)."""
        ...

    def time(self) -> float:
        """Seconds since the epoch (timestamps written to records and events)."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of this clock's time."""
        ...


class SystemClock:
    """The process's clocks: `time.monotonic`, `time.time`, `asyncio.sleep`."""

    __slots__ = ()

    def monotonic(self) -> float:
        return time.monotonic()

    def time(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


SYSTEM_CLOCK: Clock = SystemClock()


class ManualClock:
    """A clock that moves only when told: ``await clock.advance(5)`` wakes what slept until then.

    :param start: the monotonic reading at creation.
    :param wall: the wall-clock reading at creation (seconds since the epoch).
    """

    def __init__(self, start: float = 1_000.0, *, wall: float = 1_700_000_000.0) -> None:
        self._now = start
        self._wall_offset = wall - start
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def monotonic(self) -> float:
        return self._now

    def time(self) -> float:
        return self._now + self._wall_offset

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._now + seconds, next(self._order), waiter))
        await waiter

    @property
    def sleeping(self) -> int:
        """How many tasks wait on this clock (a test can wait for a task to reach its sleep)."""
        return sum(1 for _, _, waiter in self._sleepers if not waiter.done())

    async def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds``, waking each sleeper in deadline order and letting it run."""
        target = self._now + seconds
        while self._sleepers and self._sleepers[0][0] <= target:
            due, _, waiter = heapq.heappop(self._sleepers)
            self._now = max(self._now, due)
            if not waiter.done():
                waiter.set_result(None)
                for _ in range(3):  # let the woken task run up to its next await
                    await asyncio.sleep(0)
        self._now = target
        await asyncio.sleep(0)

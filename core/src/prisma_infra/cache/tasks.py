"""`Background`: the cache's tasks (refreshes, generation sync, warming), all cancelled by `close`."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any

__all__ = ["Background"]


class Background:
    """One-shot tasks (stale-while-revalidate refreshes, invalidations of cancelled writes) and loops."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self._loops: list[asyncio.Task[None]] = []

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run ``coro`` in the background; a reference is kept so the task is not collected."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def loop(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        """Run a loop that ends only when cancelled (`close`)."""
        self._loops.append(asyncio.create_task(coro, name=name))

    async def settled(self) -> None:
        """Wait until no one-shot task is left (also those the finished ones started)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def close(self) -> None:
        tasks = [*self._loops, *self._tasks]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task
        self._loops.clear()
        self._tasks.clear()

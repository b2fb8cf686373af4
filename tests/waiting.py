"""Synchronise tests on conditions, not on durations.

``await eventually(lambda: len(written) >= 5)`` returns as soon as the condition holds and fails
with ``what`` once ``timeout`` seconds passed without it: a loaded machine only makes the test
slower, never wrong. Where the code under test reads a clock, use `prisma_infra.clock.ManualClock`.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable

__all__ = ["eventually"]

#: Between two tries: short enough not to slow a test, long enough not to spin a shared CPU.
POLL = 0.002


async def eventually(
    condition: Callable[[], object | Awaitable[object]], *, timeout: float = 5.0, what: str = ""
) -> None:
    """Wait until ``condition()`` (a plain or async callable) is truthy; `AssertionError` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:g} s: {what or getattr(condition, '__name__', condition)}")
        await asyncio.sleep(POLL)

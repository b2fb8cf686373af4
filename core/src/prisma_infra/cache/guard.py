"""A circuit breaker and timeout around one cache store.

A call that fails or takes longer than ``store_timeout`` is abandoned (the
caller goes to the next tier or the database). After ``failure_threshold``
such calls in a row the store is *open*: skipped without being called until
a back-off has passed (doubling up to ``retry_max``); then one call probes
it, and success closes it again. One warning is logged when it opens and one
info line when it recovers, never one per call. The back-off is timed on a
`prisma_infra.clock.Clock`; the call timeout is the event loop's (it bounds real I/O).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from prisma_infra.clock import SYSTEM_CLOCK, Clock
from prisma_infra.errors import CacheBackendError
from prisma_infra.providers.cache import CacheStore

__all__ = ["StoreGuard", "StoreUnavailable"]

log = logging.getLogger("prisma_infra.cache")

T = TypeVar("T")


class StoreUnavailable(Exception):
    """The store is open (skipped) or just failed; the caller bypasses it."""


class StoreGuard:
    def __init__(
        self,
        name: str,
        store: CacheStore,
        *,
        timeout: float,
        retry_after: float = 0.5,
        retry_max: float = 30.0,
        failure_threshold: int = 3,
        on_recover: Callable[[StoreGuard], None] | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.name = name
        self.clock = clock
        self.store = store
        self.timeout = timeout
        self.retry_after = retry_after
        self.retry_max = retry_max
        self.on_recover = on_recover
        self.failure_threshold = max(1, failure_threshold)
        self._in_a_row = 0
        self.open = False
        self._open_until = 0.0
        self._backoff = retry_after
        self._probing = False
        self.failures = 0
        self.bypassed = 0
        self.opened = 0
        self.last_error: str | None = None

    @property
    def state(self) -> str:
        return "open" if self.open else "closed"

    def available(self) -> bool:
        """True when a call may be made now (closed, or open and due for a probe)."""
        if not self.open:
            return True
        return not self._probing and self.clock.monotonic() >= self._open_until

    async def call(self, method: Callable[..., Awaitable[T]], *args: Any) -> T:
        """Run ``method(*args)`` under the timeout; raise `StoreUnavailable` when skipped or failed."""
        probe = False
        if self.open:
            if self._probing or self.clock.monotonic() < self._open_until:
                self.bypassed += 1
                raise StoreUnavailable(self.name)
            self._probing = probe = True
        try:
            async with asyncio.timeout(self.timeout):
                result = await method(*args)
        except (Exception, TimeoutError) as exc:
            self._failed(exc)
            raise StoreUnavailable(self.name) from exc
        finally:
            if probe:
                self._probing = False
        self._in_a_row = 0
        if self.open:
            self._recovered()
        return result

    def _failed(self, exc: BaseException) -> None:
        self.failures += 1
        reason = "timed out" if isinstance(exc, TimeoutError) else f"{type(exc).__name__}: {exc}"
        if isinstance(exc, CacheBackendError) and exc.__cause__ is not None:
            reason = f"{reason} ({type(exc.__cause__).__name__})"
        self.last_error = reason
        self._in_a_row += 1
        if not self.open and self._in_a_row < self.failure_threshold:
            return
        if not self.open:
            self.open = True
            self.opened += 1
            self._backoff = self.retry_after
            log.warning(
                "cache store %r is unavailable (%s): bypassed, retrying every %gs up to %gs until it recovers",
                self.name, reason, self.retry_after, self.retry_max,
            )
        else:
            self._backoff = min(self._backoff * 2, self.retry_max)
        self._open_until = self.clock.monotonic() + self._backoff

    def _recovered(self) -> None:
        self.open = False
        self._backoff = self.retry_after
        log.info("cache store %r recovered and is used again", self.name)
        if self.on_recover is not None:
            self.on_recover(self)

    def stats(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "failures": self.failures,
            "bypassed": self.bypassed,
            "opened": self.opened,
            "last_error": self.last_error,
        }

"""`SecurityMiddleware`: feeds every operation to the `SecurityMonitor`.

It runs outermost (``order = 10``, before ``policies``), so it sees the
denials policies raise and the rows the caller finally receives.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from prisma_infra.errors import PolicyDeniedError
from prisma_infra.operation import Action, Operation
from prisma_infra.pipeline import Handler, Middleware
from prisma_infra.security.monitor import SecurityMonitor
from prisma_infra.stash import ServiceKey, StashKey

if TYPE_CHECKING:
    from prisma_infra.kernel import Kernel
    from prisma_infra.runtime import Runtime

__all__ = ["SECURITY", "SecurityMiddleware", "security_monitor"]

#: The security monitor (``infra.security``), published by the ``security`` middleware.
SECURITY: ServiceKey[SecurityMonitor] = ServiceKey(
    "security", missing="Security monitoring is not available: the 'security' middleware is disabled"
)
#: The monitor of one infrastructure: its counters survive reloads.
_MONITOR: StashKey[SecurityMonitor] = StashKey("security.monitor")

_LIST_READS = frozenset({Action.FIND_MANY, Action.GROUP_BY, Action.QUERY_RAW})


def security_monitor(kernel: Kernel, runtime: Runtime) -> SecurityMonitor:
    """The infrastructure's monitor (its counters survive reloads), configured for ``runtime``."""
    monitor = kernel.stash.get(_MONITOR)
    if monitor is None:
        monitor = kernel.stash[_MONITOR] = SecurityMonitor(runtime.config.security, alert=kernel.raise_alert)
    else:
        monitor.configure(runtime.config.security)
    return monitor


class SecurityMiddleware(Middleware):
    """Counts denials, bulk reads, unusual rates and off-hours writes (see `SecurityMonitor`)."""

    name = "security"
    order = 10

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        self.monitor: SecurityMonitor | None = None

    async def start(self, runtime: Runtime) -> None:
        self.monitor = security_monitor(self.kernel, runtime)
        runtime.services[SECURITY] = self.monitor
        if not runtime.config.security.enabled:
            self.monitor = None

    def wrap(self, call: Handler) -> Handler:
        async def handler(operation: Operation) -> Any:
            monitor = self.monitor
            if monitor is None:
                return await call(operation)
            # The checks run synchronously; a coroutine is awaited only when there is work to record.
            if monitor.watches_start(operation):
                await monitor.started(operation)
            try:
                result = await call(operation)
            except PolicyDeniedError as exc:
                await monitor.denied(operation, exc)
                raise
            if operation.action in _LIST_READS and isinstance(result, list) and monitor.is_bulk(len(result)):
                await monitor.read(operation, len(result))
            return result

        return handler

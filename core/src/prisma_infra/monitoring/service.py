"""What monitoring publishes in ``runtime.services`` (the facade's ``infra.monitor`` reads `MONITOR`)
and the optional interface of a metrics exporter it calls."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

from prisma_infra.stash import ServiceKey

if TYPE_CHECKING:
    from prisma_infra.monitoring.monitor import Monitor
    from prisma_infra.providers import MetricsExporter

__all__ = ["METRICS_EXPORTERS", "MONITOR", "CacheObserver"]

MONITOR: ServiceKey[Monitor] = ServiceKey(
    "monitor", missing="Monitoring is not available: the 'metrics' middleware is disabled"
)
#: The metrics exporters in use, by their registered name.
METRICS_EXPORTERS: ServiceKey[dict[str, MetricsExporter]] = ServiceKey("metrics exporters")


@runtime_checkable
class CacheObserver(Protocol):
    """A metrics exporter that also counts cache results (``hit``, ``miss``, ``stale``, ``bypass``)."""

    def observe_cache(self, model: str | None, result: str) -> None:
        """Record one operation's cache result; called on the hot path, so must not block."""
        ...

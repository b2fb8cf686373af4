"""Plugins for the monitoring tests: a recording exporter, an alert recorder, a fake cache verdict."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from prisma_infra.hookspecs import hookimpl
from prisma_infra.operation import Operation
from prisma_infra.pipeline import Middleware
from prisma_infra.providers import MetricsExporter


class RecordingExporter(MetricsExporter):
    name = "recording"
    instances: list[RecordingExporter] = []

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        self.observed: list[tuple[str | None, str, float, str | None, int | None]] = []
        self.cache: list[tuple[str | None, str]] = []
        self.started = self.closed = False
        RecordingExporter.instances.append(self)

    def observe(self, model: str | None, action: str, seconds: float, error: str | None, rows: int | None) -> None:
        if self.options.get("explode"):
            raise RuntimeError("exporter bug")
        self.observed.append((model, action, seconds, error, rows))

    def observe_cache(self, model: str | None, result: str) -> None:
        self.cache.append((model, result))

    async def start(self) -> None:
        self.started = True

    async def close(self) -> None:
        self.closed = True


class CacheVerdict(Middleware):
    """Stands in for the cache middleware: sets ``operation.state["cache"]`` from ``args["_cache"]``."""

    name = "fake-cache"
    order = 300

    def __init__(self, infrastructure: Any) -> None:
        self.verdicts: list[str] = []

    async def before(self, operation: Operation) -> Operation | None:
        if self.verdicts:
            operation.state["cache"] = self.verdicts.pop(0)
        return None


class MonitoringTestPlugin:
    name = "monitoring-test"

    def __init__(self) -> None:
        self.alerts: list[dict[str, Any]] = []
        self.cache_middleware: CacheVerdict | None = None

    @hookimpl
    def register_metrics_exporters(self, register: Callable[[str, Any], None]) -> None:
        register("recording", RecordingExporter)

    @hookimpl
    def register_middleware(self, register: Callable[[str, Any], None]) -> None:
        def factory(infrastructure: Any) -> CacheVerdict:
            self.cache_middleware = CacheVerdict(infrastructure)
            return self.cache_middleware

        register("fake-cache", factory)

    @hookimpl
    def alert_raised(self, alert: Mapping[str, Any]) -> None:
        self.alerts.append(dict(alert))

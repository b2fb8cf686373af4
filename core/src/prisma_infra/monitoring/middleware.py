"""`MetricsMiddleware`: measures every operation and feeds the `Monitor` and the exporters.

It is the outermost middleware by default (``order = 0``), so the latency it
measures is what the caller waits for: validation, policies, cache and engine.
Per operation it costs two ``perf_counter`` calls, the monitor's bookkeeping
and one ``observe`` per configured exporter (see ``benchmarks/bench_monitoring.py``).
Monitoring never fails an operation: an exporter that raises is logged (once
per exporter) and the operation's own result or error goes through unchanged.

Cache results are read from ``operation.state["cache"]``, which the cache
middleware (inside this one) sets to ``"hit"``, ``"miss"``, ``"stale"`` or
``"bypass"``. Exporters that are a `CacheObserver` (define ``observe_cache(model,
result)``) receive them too.

What lives as long as the infrastructure (the monitor, exporters shared between
runtimes) is kept in ``kernel.stash``; what the runtime uses is published under
`MONITOR` and `METRICS_EXPORTERS` (`prisma_infra.monitoring.service`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from prisma_infra.config.model import MonitoringConfig
from prisma_infra.errors import ConfigurationError, PrismaInfraError, closest_match
from prisma_infra.monitoring.deployment import Deployment
from prisma_infra.monitoring.monitor import Monitor
from prisma_infra.monitoring.service import METRICS_EXPORTERS, MONITOR, CacheObserver
from prisma_infra.operation import Action, Operation
from prisma_infra.pipeline import Handler, Middleware
from prisma_infra.ports.dashboard import DASHBOARD_SOURCES, DEPLOYMENT
from prisma_infra.ports.masking import MASKING
from prisma_infra.providers import MetricsExporter
from prisma_infra.registry import install_hint
from prisma_infra.stash import StashKey

if TYPE_CHECKING:
    from prisma_infra.kernel import Kernel
    from prisma_infra.plugin_manager import Registration
    from prisma_infra.ports.masking import Masking
    from prisma_infra.runtime import Runtime
    from prisma_infra.schema import Schema

__all__ = ["CACHE_STATE_KEY", "MetricsMiddleware", "monitor_for", "rows_of"]

log = logging.getLogger("prisma_infra.monitoring")

#: The ``operation.state`` key the cache middleware sets to ``hit``/``miss``/``stale``/``bypass``.
CACHE_STATE_KEY = "cache"
_COUNT_WRITES = frozenset({Action.CREATE_MANY, Action.UPDATE_MANY, Action.DELETE_MANY, Action.EXECUTE_RAW})
_COUNT_WRITE_NAMES = frozenset(a.value for a in _COUNT_WRITES)


def rows_of(action: Action, result: Any) -> int | None:
    """Records an operation returned: a list's length, 1 for a record, 0 for ``None``; ``None`` for scalars."""
    kind = type(result)
    if kind is list:
        return len(result)
    if kind is dict:
        return None if action in _COUNT_WRITES else 1
    if result is None:
        return 0
    return None


class _Held:
    __slots__ = ("exporter", "refs")

    def __init__(self, exporter: MetricsExporter) -> None:
        self.exporter = exporter
        self.refs = 0


class _State:
    """What monitoring keeps per infrastructure across configuration reloads (``kernel.stash``)."""

    def __init__(self, kernel: Kernel) -> None:
        self._kernel = kernel
        self.monitor = Monitor(schema=self.schema, alert=self.alert, masking=self.masking)
        self.exporters: dict[tuple[str, str], _Held] = {}
        self.tasks: set[asyncio.Task[None]] = set()

    def schema(self) -> Schema | None:
        try:
            return self._kernel.schema
        except PrismaInfraError:
            return None

    def masking(self) -> Masking | None:
        """The PII feature's masking (schema classification, settings); ``None``: default detectors."""
        try:
            return self._kernel.services.get(MASKING)
        except PrismaInfraError:  # not started
            return None

    def alert(self, alert: Mapping[str, Any]) -> None:
        """Send ``alert`` through the ``alert_raised`` hook without making the operation wait."""
        try:
            task = asyncio.get_running_loop().create_task(self._kernel.raise_alert(alert))
        except RuntimeError:  # no running loop: nothing can await the observers
            return
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def acquire(
        self, registry: Mapping[str, Registration], config: MonitoringConfig
    ) -> dict[str, MetricsExporter]:
        """The exporters ``config`` selects; one kept from the previous runtime when its options are unchanged."""
        chosen: dict[str, MetricsExporter] = {}
        for name in config.exporters:
            if name not in registry:
                match = closest_match(name, registry)
                hint = f" Did you mean {match!r}?" if match else ""
                available = ", ".join(sorted(registry)) or "none"
                raise ConfigurationError(
                    f"monitoring.exporters: {name!r} is not registered by any plugin (available: {available})."
                    f"{hint}{install_hint('metrics_exporters', name)}",
                    problems=[f"monitoring.exporters: unknown exporter {name!r}"],
                )
            options = dict(config.exporter_options.get(name, {}))
            key = (name, repr(sorted(options.items())))
            held = self.exporters.get(key)
            if held is None:
                exporter = registry[name].factory(options)
                if not isinstance(exporter, MetricsExporter):
                    raise ConfigurationError(
                        f"monitoring.exporters: {name!r} built {exporter!r}, not a MetricsExporter",
                        problems=[f"monitoring.exporters: {name!r} is not a MetricsExporter"],
                    )
                await exporter.start()
                held = self.exporters[key] = _Held(exporter)
            held.refs += 1
            chosen[name] = held.exporter
        return chosen

    async def release(self, exporters: Sequence[MetricsExporter]) -> None:
        for key, held in list(self.exporters.items()):
            if any(held.exporter is e for e in exporters):
                held.refs -= 1
                if held.refs <= 0:
                    del self.exporters[key]
                    try:
                        await held.exporter.close()
                    except Exception:
                        log.exception("metrics exporter %r failed to close", key[0])


_STATE: StashKey[_State] = StashKey("monitoring")


def _state(kernel: Kernel) -> _State:
    state = kernel.stash.get(_STATE)
    if state is None:
        state = kernel.stash[_STATE] = _State(kernel)
    return state


def monitor_for(kernel: Kernel) -> Monitor:
    """The `Monitor` of ``kernel``'s infrastructure (created on first use, kept across reloads)."""
    return _state(kernel).monitor


def record_refused(runtime: Runtime, operation: Operation, error: Exception) -> None:
    """Count an operation the early input check refused before the pipeline, as a failed operation.

    Its arguments are what broke the input limits (too deep, a lone surrogate...), and
    walking them to mask them is what those limits prevent: none of them is kept.
    """
    for middleware in runtime.middleware:
        if isinstance(middleware, MetricsMiddleware) and middleware.enabled:
            now = time.perf_counter()
            middleware.finish(replace(operation, args={}), now, now, None, error)


class MetricsMiddleware(Middleware):
    """Times every operation; feeds the `Monitor` and every configured `MetricsExporter`."""

    name = "metrics"
    order = 0

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        self._state = _state(kernel)
        self.monitor = self._state.monitor
        self.exporters: dict[str, MetricsExporter] = {}
        self._observers: tuple[Callable[..., None], ...] = ()
        self._cache_observers: tuple[Callable[[str | None, str], None], ...] = ()
        self._failed: set[int] = set()
        self.enabled = False
        self.deployment: Deployment | None = None

    def wrap(self, call: Handler) -> Handler:
        perf = time.perf_counter
        finish = self.finish
        record = self.monitor.record
        count_writes = _COUNT_WRITE_NAMES

        async def handler(operation: Operation) -> Any:
            if not self.enabled:
                return await call(operation)
            started = perf()
            try:
                result = await call(operation)
            except Exception as exc:
                finish(operation, started, perf(), None, exc)
                raise
            ended = perf()
            # The success path is `finish` inlined: one Python call less per operation.
            try:
                seconds = ended - started
                action: str = operation.action._value_
                kind = type(result)
                if kind is list:
                    rows: int | None = len(result)
                elif kind is dict:
                    rows = None if action in count_writes else 1
                else:
                    rows = 0 if result is None else None
                model = operation.model
                cache = operation.state.get(CACHE_STATE_KEY)
                for observe in self._observers:
                    observe(model, action, seconds, None, rows)
                if cache is not None:
                    for observe_cache in self._cache_observers:
                        observe_cache(model, cache)
                record(operation, action, seconds, ended, rows, None, cache)
            except Exception as problem:
                self._report_failure(problem)
            return result

        return handler

    def finish(
        self, operation: Operation, started: float, ended: float, result: Any, exc: BaseException | None
    ) -> None:
        """Account one operation that ran from ``started`` to ``ended`` (``perf_counter``); never raises."""
        try:
            seconds = ended - started
            action: str = operation.action._value_
            if exc is None:
                error = None
                kind = type(result)
                if kind is list:
                    rows: int | None = len(result)
                elif kind is dict:
                    rows = None if action in _COUNT_WRITE_NAMES else 1
                else:
                    rows = 0 if result is None else None
            else:
                error = type(exc).__name__
                rows = None
            model = operation.model
            cache = operation.state.get(CACHE_STATE_KEY)
            for observe in self._observers:
                observe(model, action, seconds, error, rows)
            if cache is not None:
                for observe_cache in self._cache_observers:
                    observe_cache(model, cache)
            self.monitor.record(operation, action, seconds, ended, rows, exc, cache)
        except Exception as problem:
            self._report_failure(problem)

    def _report_failure(self, problem: Exception) -> None:
        key = hash((type(problem), str(problem)[:200]))
        if key not in self._failed and len(self._failed) < 100:
            self._failed.add(key)
            log.exception("monitoring failed to record an operation (reported once per kind of failure)")

    async def start(self, runtime: Runtime) -> None:
        config = runtime.config.monitoring
        self.monitor.configure(config)
        if config.enabled:
            self.exporters = await self._state.acquire(runtime.registry["metrics_exporters"], config)
        runtime.services[MONITOR] = self.monitor
        runtime.services[METRICS_EXPORTERS] = dict(self.exporters)
        runtime.services.add(DASHBOARD_SOURCES, _ExportersSource(self.exporters))
        # Every process's numbers on every process's dashboard, through the cache's shared store.
        self.deployment = Deployment(self.kernel, runtime.services, self.monitor)
        runtime.services[DEPLOYMENT] = self.deployment
        runtime.services.add(DASHBOARD_SOURCES, self.deployment)
        if config.enabled:
            self.deployment.start()
        self._observers = tuple(e.observe for e in self.exporters.values())
        self._cache_observers = tuple(e.observe_cache for e in self.exporters.values() if isinstance(e, CacheObserver))
        self.enabled = config.enabled

    async def close(self) -> None:
        deployment, self.deployment = self.deployment, None
        if deployment is not None:
            await deployment.close()
        exporters, self.exporters = list(self.exporters.values()), {}
        await self._state.release(exporters)


class _ExportersSource:
    """The dashboard's ``exporters`` section: the names of the exporters in use."""

    name = "monitoring"

    def __init__(self, exporters: Mapping[str, MetricsExporter]) -> None:
        self._names = sorted(exporters)

    async def dashboard_sections(self) -> Mapping[str, object]:
        return {"exporters": list(self._names)}

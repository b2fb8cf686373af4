"""`PrometheusExporter`: the kernel's measurements as Prometheus metrics.

Naming follows Prometheus conventions: a ``prisma_infra_`` namespace, units in
names (``_seconds``), ``_total`` on counters, and only low-cardinality labels
(model and action come from the schema, error classes from the code, cache
results from a fixed set; never ids or arguments).

Each exporter owns a `CollectorRegistry`, so two infrastructures in one
process (or tests) never share or clash on metrics.

Why a collector instead of ``Histogram``/``Counter`` objects: on these
machines a pre-bound ``Histogram`` child's ``observe()`` costs ~2.3 µs and a
``Counter`` child's ``inc()`` ~1 µs (each takes a lock, and ``observe`` scans
the buckets in Python), so one operation would spend ~4.5 µs in
prometheus-client alone — the whole monitoring budget (≤ 5 µs). Instead,
``observe`` updates plain counters in a per-(model, action) cell found by one
dict lookup (the "label child" cache), with the bucket found by ``bisect``;
the `collect` method turns the cells into metric families at scrape time.
``observe`` runs on the infrastructure's event loop (one thread); a scrape
copies the cells from a worker thread, which the GIL makes safe for these
integer and float updates.
"""

from __future__ import annotations

import gzip
import time
from bisect import bisect_left
from collections.abc import Callable, Iterator, Mapping
from typing import Any, cast

from prisma_infra_sdk import MetricsExporter
from prometheus_client import CollectorRegistry, ProcessCollector
from prometheus_client.exposition import choose_encoder, gzip_accepted
from prometheus_client.metrics_core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.utils import floatToGoString

__all__ = ["DEFAULT_BUCKETS", "RAW_MODEL", "PrometheusExporter"]

#: Latency buckets (seconds) for database operations: 0.5 ms to 10 s.
DEFAULT_BUCKETS: tuple[float, ...] = (
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
)
#: The ``model`` label of raw queries, which have no model.
RAW_MODEL = "raw"
#: How prometheus-client writes ``le`` bounds (Go's float formatting); untyped upstream.
_le = cast(Callable[[float], str], floatToGoString)


class _Cell:
    """Counts of one (model, action): histogram buckets (the last one is +Inf), sum, count, rows."""

    __slots__ = ("buckets", "rows", "sum")

    def __init__(self, size: int) -> None:
        self.buckets = [0] * size
        self.sum = 0.0
        self.rows = 0


class _Collector:
    """Turns the exporter's cells into metric families when the registry is scraped."""

    def __init__(self, exporter: PrometheusExporter) -> None:
        self.exporter = exporter

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        exporter = self.exporter
        ns = exporter.namespace
        labels = ["model", "action"]
        duration = HistogramMetricFamily(
            f"{ns}_operation_duration_seconds",
            "Time from the start of a Prisma operation to its result or error, in seconds.",
            labels=labels,
        )
        operations = CounterMetricFamily(f"{ns}_operations", "Prisma operations run, successful or not.", labels=labels)
        rows = CounterMetricFamily(
            f"{ns}_rows_returned", "Records returned by operations (list lengths; 1 per record).", labels=labels
        )
        bounds = [_le(b) for b in exporter.buckets] + ["+Inf"]
        for (model, action), cell in exporter.cells.copy().items():
            counts = list(cell.buckets)
            cumulative, running = [], 0
            for bound, count in zip(bounds, counts, strict=True):
                running += count
                cumulative.append((bound, float(running)))
            label_values = [RAW_MODEL if model is None else model, str(action)]
            duration.add_metric(label_values, cumulative, sum_value=cell.sum)
            operations.add_metric(label_values, float(running))
            rows.add_metric(label_values, float(cell.rows))
        errors = CounterMetricFamily(
            f"{ns}_operation_errors",
            "Prisma operations that failed, by exception class.",
            labels=["model", "action", "error_class"],
        )
        for (model, action, error), count in exporter.errors.copy().items():
            errors.add_metric([RAW_MODEL if model is None else model, str(action), error], float(count))
        cache = CounterMetricFamily(
            f"{ns}_cache_requests",
            "Cache lookups by result: hit, miss, stale (served while revalidating) or bypass.",
            labels=["model", "result"],
        )
        for (model, result), count in exporter.cache.copy().items():
            cache.add_metric([RAW_MODEL if model is None else model, result], float(count))
        yield from (duration, operations, errors, rows, cache)


class PrometheusExporter(MetricsExporter):
    """Registered as ``prometheus``; options: ``namespace``, ``buckets``, ``process_metrics``."""

    name = "prometheus"

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        self.namespace = str(self.options.get("namespace", "prisma_infra"))
        self.buckets: tuple[float, ...] = tuple(sorted(float(b) for b in self.options.get("buckets", DEFAULT_BUCKETS)))
        self._size = len(self.buckets) + 1
        self.cells: dict[tuple[str | None, str], _Cell] = {}
        self.errors: dict[tuple[str | None, str, str], int] = {}
        self.cache: dict[tuple[str | None, str], int] = {}
        self.created = time.time()
        self.registry = CollectorRegistry(auto_describe=True)
        if self.options.get("process_metrics", True):
            ProcessCollector(registry=self.registry)
        self.registry.register(_Collector(self))

    # -- the hot path ----------------------------------------------------------------------

    def observe(self, model: str | None, action: str, seconds: float, error: str | None, rows: int | None) -> None:
        cell = self.cells.get((model, action))
        if cell is None:
            cell = self.cells[(model, action)] = _Cell(self._size)
        cell.buckets[bisect_left(self.buckets, seconds)] += 1
        cell.sum += seconds
        if rows:
            cell.rows += rows
        if error is not None:
            key = (model, action, error)
            self.errors[key] = self.errors.get(key, 0) + 1

    def observe_cache(self, model: str | None, result: str) -> None:
        """Count one cache lookup (``hit``, ``miss``, ``stale`` or ``bypass``)."""
        key = (model, result)
        self.cache[key] = self.cache.get(key, 0) + 1

    # -- exposition ------------------------------------------------------------------------

    def render(self, accept: str = "", accept_encoding: str = "") -> tuple[bytes, str, list[tuple[str, str]]]:
        """``(body, content type, extra headers)`` for a scrape; blocking: run it in a thread."""
        encoder, content_type = choose_encoder(accept)
        body = encoder(self.registry)
        headers: list[tuple[str, str]] = []
        if accept_encoding and gzip_accepted(accept_encoding):
            body = gzip.compress(body)
            headers.append(("Content-Encoding", "gzip"))
        return body, content_type, headers

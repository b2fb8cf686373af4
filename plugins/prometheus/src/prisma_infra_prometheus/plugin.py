"""The prisma-infra plugin: the ``prometheus`` metrics exporter and the ``/metrics`` route."""

from __future__ import annotations

from collections.abc import Callable

from prisma_infra_sdk import hookimpl

from prisma_infra_prometheus.exporter import PrometheusExporter
from prisma_infra_prometheus.exposition import MetricsApp

__all__ = ["register_metrics_exporters", "register_routes"]


@hookimpl
def register_metrics_exporters(register: Callable[[str, object], None]) -> None:
    register("prometheus", PrometheusExporter)


@hookimpl
def register_routes(register: Callable[[str, object], None]) -> None:
    register("/metrics", MetricsApp())

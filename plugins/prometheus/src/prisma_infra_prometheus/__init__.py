"""Prometheus exposition for prisma-infra (``monitoring.exporters = ["prometheus"]``).

* `PrometheusExporter` — registered as ``prometheus``; one `CollectorRegistry` per exporter.
* ``/metrics`` in the kernel's web app; `asgi_app` and `wsgi_app` for your own app.
"""

from prisma_infra_prometheus.exporter import DEFAULT_BUCKETS, RAW_MODEL, PrometheusExporter
from prisma_infra_prometheus.exposition import MetricsApp, asgi_app, find_exporter, metrics_response, wsgi_app

__all__ = [
    "DEFAULT_BUCKETS",
    "RAW_MODEL",
    "MetricsApp",
    "PrometheusExporter",
    "asgi_app",
    "find_exporter",
    "metrics_response",
    "wsgi_app",
]

"""The metrics-exporter kit over every exporter in the tree: Prometheus."""

from __future__ import annotations

import pytest
from prisma_infra.providers import MetricsExporter
from prisma_infra_prometheus import PrometheusExporter
from prisma_infra_sdk.testing import MetricsExporterContract


class TestPrometheusExporter(MetricsExporterContract):
    @pytest.fixture
    def exporter(self) -> MetricsExporter:
        return PrometheusExporter({})


COVERED = {"prometheus": TestPrometheusExporter}

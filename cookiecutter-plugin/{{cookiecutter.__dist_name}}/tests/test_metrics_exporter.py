"""The SDK's metrics-exporter contract: observe never raises, never blocks, and is cheap."""

import pytest
from prisma_infra_sdk.testing import MetricsExporterContract

from {{ cookiecutter.__package }}.metrics_exporter import {{ cookiecutter.__class_prefix }}Exporter


class Test{{ cookiecutter.__class_prefix }}Exporter(MetricsExporterContract):
    @pytest.fixture
    def exporter(self) -> {{ cookiecutter.__class_prefix }}Exporter:
        return {{ cookiecutter.__class_prefix }}Exporter({})


def test_snapshot_counts_per_model_and_action() -> None:
    exporter = {{ cookiecutter.__class_prefix }}Exporter({})
    exporter.observe("User", "findMany", 0.5, None, 3)
    exporter.observe("User", "findMany", 0.25, "EngineError", None)
    exporter.observe(None, "queryRaw", 0.1, None, 1)
    snapshot = exporter.snapshot()
    assert snapshot["User.findMany"] == {"operations": 2, "errors": 1, "seconds": 0.75, "rows": 3}
    assert snapshot["raw.queryRaw"]["operations"] == 1

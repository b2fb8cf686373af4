"""Fixtures of the monitoring tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from core.tests.monitoring.monitoring_doubles import MonitoringTestPlugin, RecordingExporter


@pytest.fixture
def plugin() -> MonitoringTestPlugin:
    RecordingExporter.instances.clear()
    return MonitoringTestPlugin()


@pytest.fixture
def make_infra(plugin: MonitoringTestPlugin) -> Callable[..., Any]:
    from core.tests.doubles import memory_infrastructure

    def make(**monitoring: Any) -> Any:
        infra = memory_infrastructure(monitoring=monitoring)
        infra.plugin_manager.register(plugin)
        return infra

    return make

"""Fixtures of the monitoring tests."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from monitoring_doubles import MonitoringTestPlugin, RecordingExporter


@pytest.fixture
def plugin() -> MonitoringTestPlugin:
    RecordingExporter.instances.clear()
    return MonitoringTestPlugin()


@pytest.fixture
def make_infra(plugin: MonitoringTestPlugin) -> Callable[..., Any]:
    from doubles import memory_infrastructure

    def make(**monitoring: Any) -> Any:
        infra = memory_infrastructure(monitoring=monitoring)
        infra.plugin_manager.register(plugin)
        return infra

    return make

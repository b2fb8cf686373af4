from __future__ import annotations

import pytest

from core.tests.audit.audit_doubles import MemorySink


@pytest.fixture(autouse=True)
def _reset_memory_sinks() -> None:
    MemorySink.instances.clear()

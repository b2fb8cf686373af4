from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from audit_doubles import MemorySink


@pytest.fixture(autouse=True)
def _reset_memory_sinks() -> None:
    MemorySink.instances.clear()

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from doubles import memory_infrastructure


@pytest.fixture
async def infra() -> AsyncIterator[Any]:
    """A started `Infrastructure` on the `MemoryEngine` double, cache off (tests may override)."""
    async with memory_infrastructure() as started:
        yield started

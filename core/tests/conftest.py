from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from core.tests.doubles import memory_infrastructure


@pytest.fixture
async def infra() -> AsyncIterator[Any]:
    """A started `Infrastructure` on the `MemoryEngine` double, cache off (tests may override)."""
    async with memory_infrastructure() as started:
        yield started

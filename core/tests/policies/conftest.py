"""Fixtures for policy tests (helpers in ``policy_doubles``)."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from policy_doubles import Alerts, make_infra, seed
from prisma_infra.infrastructure import Infrastructure


@pytest.fixture
def alerts() -> Alerts:
    return Alerts()


@pytest.fixture
async def build() -> AsyncIterator[Callable[..., Any]]:
    """``infra = await build(models={...}, policies={...})``: started, seeded, closed after the test."""
    started: list[Infrastructure] = []

    async def make(alerts: Alerts | None = None, **sections: Any) -> Infrastructure:
        infra = make_infra(alerts, **sections)
        await infra.start()
        seed(infra)
        started.append(infra)
        return infra

    yield make
    for infra in started:
        await infra.close()

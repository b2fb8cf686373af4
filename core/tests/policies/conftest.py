"""Fixtures for policy tests (helpers in ``policy_doubles``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from prisma_infra.infrastructure import Infrastructure

from core.tests.policies.policy_doubles import Alerts, make_infra, seed


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

"""Dashboard sources (`prisma_infra.ports.dashboard`): what features publish under DASHBOARD_SOURCES
is what the dashboard document shows; a failing or hanging source leaves its sections empty."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

import pytest
from prisma_infra.ports.dashboard import DASHBOARD_SOURCES

from core.tests.doubles import memory_infrastructure
from core.tests.web.dashboard_support import dashboard_snapshot

TOKEN = "test-token-0123456789abcdef"


class Source:
    def __init__(self, name: str, sections: Mapping[str, object]) -> None:
        self.name = name
        self.sections = sections

    async def dashboard_sections(self) -> Mapping[str, object]:
        return self.sections


class Broken:
    name = "broken"

    async def dashboard_sections(self) -> Mapping[str, object]:
        raise RuntimeError("the source failed")


class Hanging:
    name = "hanging"

    async def dashboard_sections(self) -> Mapping[str, object]:
        await asyncio.Event().wait()  # never set: only the dashboard's timeout ends it
        return {}


def infrastructure(**monitoring: Any) -> Any:
    return memory_infrastructure(monitoring={"web": {"token": TOKEN}, **monitoring})


async def test_published_sections_fill_the_document() -> None:
    kpis = [{"name": "signups", "points": [[1700000000, 3]]}]
    alerts = [{"name": "p95", "severity": "warning", "message": "p95 > 200 ms"}]
    async with infrastructure() as infra:
        infra.runtime.services.add(DASHBOARD_SOURCES, Source("analytics", {"kpis": kpis, "alerts": alerts}))
        infra.runtime.services.add(DASHBOARD_SOURCES, Source("security", {"blocked_actors": [{"actor": "u***"}]}))
        document = await dashboard_snapshot(infra, TOKEN)
    assert document["kpis"] == kpis and document["alerts"] == alerts
    assert document["exporters"] == []  # published by monitoring itself: none configured
    assert document["cache"]["enabled"] is False  # the cache is off in these tests
    # A section the page has no widget for is drawn as a panel of its source.
    (panel,) = [p for p in document["panels"] if p["name"] == "blocked_actors"]
    assert panel["plugin"] == "security" and panel["title"] == "Blocked Actors"
    assert panel["data"] == [{"actor": "u***"}]


async def test_a_failing_or_hanging_source_leaves_its_sections_empty(caplog: pytest.LogCaptureFixture) -> None:
    async with infrastructure(readiness_timeout=0.05) as infra:
        for source in (Broken(), Hanging(), Source("analytics", {"alerts": []})):
            infra.runtime.services.add(DASHBOARD_SOURCES, source)
        with caplog.at_level(logging.ERROR, logger="prisma_infra.web"):
            document = await dashboard_snapshot(infra, TOKEN)
    assert document["alerts"] == [] and document["kpis"] is None
    assert document["started"] is True and document["health"]["ready"] is True
    failed = {record.getMessage() for record in caplog.records}
    assert any("'broken' failed" in message for message in failed)
    assert any("'hanging' failed" in message for message in failed)


async def test_the_cache_section_comes_from_the_cache_service() -> None:
    async with memory_infrastructure(
        cache={"enabled": True, "tiers": ["memory"]}, monitoring={"web": {"token": TOKEN}}
    ) as infra:
        document = await dashboard_snapshot(infra, TOKEN)
    assert document["cache"]["enabled"] is True
    assert document["cache"]["stores"]["memory"]["shared"] is False

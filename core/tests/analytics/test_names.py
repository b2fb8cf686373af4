"""What analytics publishes (typed service keys, the dashboard source) and its deprecated names."""

from __future__ import annotations

import importlib

import pytest
from prisma_infra.analytics import ANALYTICS, KPIS, AnalyticsPlan, AnalyticsRunner, KpiService
from prisma_infra.ports.dashboard import DASHBOARD_SOURCES

from core.tests.analytics.analytics_doubles import sqlite_infrastructure

KPI = {"analytics": {"enabled": False, "kpis": [{"name": "posts", "model": "Post"}]}}


async def test_runner_and_kpis_are_published_under_their_keys() -> None:
    async with sqlite_infrastructure(**KPI) as infra:
        services = infra.runtime.services
        runner, kpis = services.require(ANALYTICS), services.require(KPIS)
        assert isinstance(runner, AnalyticsRunner) and isinstance(kpis, KpiService)
        assert kpis.runner is runner and infra.kpis is kpis
        assert infra.analytics_runner is runner
        (source,) = [s for s in services.all(DASHBOARD_SOURCES) if s.name == "analytics"]
        sections = await source.dashboard_sections()
        assert sections == {"kpis": kpis.dashboard_kpis(), "alerts": []}


async def test_nothing_configured_publishes_no_kpi_service() -> None:
    async with sqlite_infrastructure() as infra:
        services = infra.runtime.services
        assert isinstance(services.get(ANALYTICS), AnalyticsRunner)
        assert services.get(KPIS) is None
        assert [s for s in services.all(DASHBOARD_SOURCES) if s.name == "analytics"] == []


@pytest.mark.parametrize(
    ("module", "old", "new"),
    [
        ("prisma_infra.analytics", "AnalyticsEngine", AnalyticsRunner),
        ("prisma_infra.analytics", "AnalyticsService", KpiService),
        ("prisma_infra.analytics", "Plan", AnalyticsPlan),
        ("prisma_infra.analytics.engine", "AnalyticsEngine", AnalyticsRunner),
        ("prisma_infra.analytics.engine", "Plan", AnalyticsPlan),
        ("prisma_infra.analytics.plan", "Plan", AnalyticsPlan),
        ("prisma_infra.analytics.service", "AnalyticsService", KpiService),
    ],
)
def test_old_names_still_import_with_a_warning(module: str, old: str, new: type) -> None:
    with pytest.warns(DeprecationWarning, match=f"{old} is deprecated.*use prisma_infra.analytics.{new.__name__}"):
        assert getattr(importlib.import_module(module), old) is new
    with pytest.raises(AttributeError):
        _ = importlib.import_module(module).NoSuchName

"""KPIs (value, status, trend, anomaly, history) and alert rules with durations, on the sqlite3 double."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from prisma_infra.alerts import AlertRule, operational_value
from prisma_infra.clock import ManualClock
from prisma_infra.errors import ConfigurationError
from prisma_infra.hookspecs import hookimpl
from prisma_infra.web import BearerAuth, create_app

from core.tests.analytics.analytics_doubles import START, daily_posts, engine_of, sqlite_infrastructure

NOW = START + timedelta(days=5, hours=1)  # day 5 is current; day 4 is the last complete one


class AlertCatcher:
    name = "alert-catcher"

    def __init__(self) -> None:
        self.alerts: list[Mapping[str, Any]] = []

    @hookimpl
    def alert_raised(self, alert: Mapping[str, Any]) -> None:
        self.alerts.append(alert)


def kpi_settings(**extra: Any) -> dict[str, Any]:
    analytics: dict[str, Any] = {
        "enabled": False,  # these tests evaluate by hand
        "kpis": [
            {
                "name": "posts",
                "model": "Post",
                "metric": "count",
                "interval": "day",
                "window": 3,
                "thresholds": {"warning": 5, "critical": 2, "direction": "below"},
                "alert_after": 2,
                "unit": "posts",
            }
        ],
        "sinks": [{"name": "log", "type": "log"}],
    }
    analytics.update(extra)
    return {"analytics": analytics}


async def test_kpi_value_status_trend_anomaly_and_threshold_alert(caplog: pytest.LogCaptureFixture) -> None:
    catcher = AlertCatcher()
    async with sqlite_infrastructure(catcher, **kpi_settings()) as infra:
        engine_of(infra).add_posts(daily_posts([10, 10, 10, 10, 1, 50]))
        service = infra.kpis
        state = await service.evaluate_kpi("posts", now=NOW)
        assert state.value == 1 and state.status == "critical"
        assert state.bucket == START + timedelta(days=4)
        assert state.trend == pytest.approx(-4.5)  # slope of 10, 10, 1
        assert state.anomaly == {"mean": 10.0, "deviation": -9.0, "z": None}
        assert [v for _, v in state.points] == [10, 10, 10, 1]
        assert catcher.alerts == []  # alert_after = 2
        with caplog.at_level(logging.WARNING, logger="prisma_infra.alerts"):
            await service.evaluate_kpi("posts", now=NOW)
        (alert,) = catcher.alerts
        assert alert["name"] == "kpi:posts" and alert["severity"] == "critical" and alert["value"] == 1
        assert "KPI posts is critical: 1 posts (below 2)" in alert["message"]
        assert any("[critical] kpi:posts" in r.getMessage() for r in caplog.records)
        assert service.active_alerts()[0]["name"] == "kpi:posts"
        await service.evaluate_kpi("posts", now=NOW)
        assert len(catcher.alerts) == 1  # still firing: no repeat
        # the next day is fine: resolved, sent to the sinks only
        with caplog.at_level(logging.INFO, logger="prisma_infra.alerts"):
            state = await service.evaluate_kpi("posts", now=NOW + timedelta(days=1))
        assert state.value == 50 and state.status == "ok" and state.anomaly["z"] is not None  # type: ignore[index]
        assert service.active_alerts() == [] and len(catcher.alerts) == 1
        assert any("resolved: KPI posts" in r.getMessage() for r in caplog.records)
        history = service.kpi_history()["posts"]
        assert [v for _, v in history] == [1, 1, 1, 50]
        (chart,) = service.dashboard_kpis()
        assert chart["name"] == "posts" and chart["unit"] == "posts" and chart["status"] == "ok"
        assert chart["thresholds"] == {"warning": 5.0, "critical": 2.0}
        assert chart["points"][-1] == [(START + timedelta(days=5)).timestamp(), 50.0]


async def test_kpi_rule_fires_after_two_evaluations_on_the_trend() -> None:
    catcher = AlertCatcher()
    rule = {"name": "falling", "kpi": "posts", "value": "trend", "operator": "<", "threshold": -1, "for_evaluations": 2}
    async with sqlite_infrastructure(catcher, **kpi_settings(alerts=[rule])) as infra:
        engine_of(infra).add_posts(daily_posts([10, 10, 10, 10, 1]))
        await infra.kpis.evaluate_kpi("posts", now=NOW)
        assert infra.kpis.status()["rules"]["falling"]["status"] == "pending"
        await infra.kpis.evaluate_kpi("posts", now=NOW)
        fired = [a for a in catcher.alerts if a["name"] == "falling"]
        assert len(fired) == 1 and fired[0]["value"] == pytest.approx(-4.5)
        assert fired[0]["rule"] == "posts trend < -1 for 2 evaluations"


def test_rule_state_machine_with_durations() -> None:
    rule = AlertRule(name="r", source="error_rate", operator=">", threshold=0.1, for_evaluations=2, for_seconds=60)
    assert rule.evaluate(None, now=0) is None and rule.state.status == "no_data"
    assert rule.evaluate(0.5, now=0) is None and rule.state.status == "pending"
    assert rule.evaluate(0.5, now=30) is None  # two evaluations, but only 30 s
    assert rule.evaluate(0.5, now=61) == "fired" and rule.state.status == "firing"
    assert rule.evaluate(0.5, now=90) is None
    assert rule.evaluate(None, now=95) is None and rule.state.status == "firing"  # no data never resolves
    assert rule.evaluate(0.05, now=120) == "resolved" and rule.state.status == "ok"
    assert rule.evaluate(0.5, now=130) is None and rule.evaluate(0.01, now=140) is None  # streak broken
    assert rule.alert("fired")["message"] == "r: 0.01 > 0.1"


class FakeMonitor:
    def __init__(
        self, ops: list[int], errors: list[int], p95: float | None, hits: list[int], misses: list[int]
    ) -> None:
        self.data = {
            "series": {"ops": ops, "errors": errors, "hits": hits, "misses": misses},
            "totals": {"p95_ms": p95},
        }

    def snapshot(self, seconds: int | None = None) -> dict[str, Any]:
        return self.data


def test_operational_values_and_no_data() -> None:
    monitor = FakeMonitor([10, 10], [1, 4], 12.5, [3, 0], [1, 0])
    assert operational_value("error_rate", monitor, None) == pytest.approx(0.25)
    assert operational_value("p95_latency_ms", monitor, None) == 12.5
    assert operational_value("cache_hit_ratio", monitor, None) == 0.75
    idle = FakeMonitor([0], [0], None, [0], [0])
    assert operational_value("error_rate", idle, None) is None
    assert operational_value("p95_latency_ms", idle, None) is None
    for source in ("error_rate", "p95_latency_ms", "cache_hit_ratio"):
        assert operational_value(source, None, None) is None


async def test_operational_rule_reads_the_real_monitor() -> None:
    catcher = AlertCatcher()
    rules = [
        {"name": "slow", "source": "p95_latency_ms", "operator": ">=", "threshold": 0, "severity": "critical"},
        {"name": "cache", "source": "cache_hit_ratio", "operator": "<", "threshold": 0.5},
    ]
    async with sqlite_infrastructure(catcher, analytics={"enabled": False, "alerts": rules}) as infra:
        await infra.kpis.evaluate_rules()
        assert catcher.alerts == []  # no operation yet: no data
        await infra.repository("post").count()
        await infra.kpis.evaluate_rules()
        assert [a["name"] for a in catcher.alerts] == ["slow"]
        assert infra.kpis.status()["rules"]["cache"]["status"] == "no_data"  # the cache is off
        assert catcher.alerts[0]["source"] == "monitoring"


async def test_scheduler_evaluates_kpis_and_keeps_history_in_a_file(tmp_path: Path) -> None:
    clock = ManualClock()
    settings = kpi_settings(enabled=True, evaluate_every=60, history_file=str(tmp_path / "kpis.json"))
    async with sqlite_infrastructure(clock=clock, **settings) as infra:
        scheduler = infra.kpis.scheduler
        await scheduler.idle()  # the first evaluation runs at start (once the runtime is current)
        history = infra.kpis.kpi_history()["posts"]
        for _ in range(2):
            await clock.advance(59)
            await scheduler.idle()
            assert len(infra.kpis.kpi_history()["posts"]) == len(history)  # not due yet
            await clock.advance(1)
            await scheduler.idle()
            history = infra.kpis.kpi_history()["posts"]
        assert [t for t, _ in history][-3:] == [clock.time() - 120, clock.time() - 60, clock.time()]
        # a reload keeps the history (same KPI definition)
        await infra.configure({"analytics": {"evaluate_every": 3600}})
        assert len(infra.kpis.kpi_history()["posts"]) >= 3
    saved = json.loads((tmp_path / "kpis.json").read_text())
    assert len(saved["kpis"]["posts"]) >= 3
    settings["analytics"]["enabled"] = False
    async with sqlite_infrastructure(**settings) as infra:
        assert len(infra.kpis.kpi_history()["posts"]) >= 3  # loaded from the file


async def test_dashboard_shows_kpis_and_alerts() -> None:
    async with sqlite_infrastructure(
        **kpi_settings(alerts=[{"name": "always", "kpi": "posts", "operator": ">=", "threshold": 0}])
    ) as infra:
        await infra.kpis.evaluate_kpi("posts", now=NOW)
        token = "dashboard-token-0123456789"
        app = create_app(infra, authenticate=BearerAuth(token))
        headers = {"Authorization": f"Bearer {token}"}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost", headers=headers) as http:
            document = (await http.get("/dashboard/api/snapshot")).json()
    assert document["kpis"][0]["name"] == "posts" and document["kpis"][0]["status"] == "critical"
    assert {a["name"] for a in document["alerts"]} == {"always"}


@pytest.mark.parametrize(
    ("analytics", "match"),
    [
        ({"alerts": [{"name": "a", "kpi": "nope", "threshold": 1}]}, "unknown KPI 'nope'"),
        ({"alerts": [{"name": "a", "source": "kpi", "threshold": 1}]}, "needs kpi"),
        ({"kpis": [{"name": "k", "model": "Pots"}]}, "unknown model 'Pots'"),
        (
            {"kpis": [{"name": "k", "model": "Post"}], "reports": [{"name": "r", "schedule": 60, "sinks": ["x"]}]},
            "unknown sink 'x'",
        ),
        (
            {"kpis": [{"name": "k", "model": "Post", "schedule": "every tuesday"}]},
            "neither a number of seconds nor a cron",
        ),
        ({"kpis": [{"name": "k", "model": "Post"}, {"name": "k", "model": "Post"}]}, "name 'k' is used twice"),
    ],
)
async def test_invalid_analytics_settings_fail_at_start(analytics: dict[str, Any], match: str) -> None:
    with pytest.raises(ConfigurationError, match=match):
        async with sqlite_infrastructure(analytics=analytics):
            pass

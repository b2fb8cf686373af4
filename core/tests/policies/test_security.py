"""Security events: denials, bulk reads, unusual rates, off-hours writes; alerts and counters."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from prisma_infra.config.model import SecurityConfig
from prisma_infra.context import acting_as
from prisma_infra.errors import PolicyDeniedError
from prisma_infra.operation import Action, Operation, OperationContext
from prisma_infra.security import SECURITY, SecurityMonitor

from core.tests.policies.policy_doubles import Alerts


async def test_denial_and_bulk_read_raise_alerts_and_count(build: Any, alerts: Alerts) -> None:
    infra = await build(alerts, security={"bulk_read_rows": 2})
    infra.define_policy("Post", "posts").allow("read", name="readers")
    with acting_as({"id": 2, "roles": ["AUTHOR"]}):
        assert len(await infra.call("Post", "findMany", {})) == 3
        with pytest.raises(PolicyDeniedError):
            await infra.call("Post", "deleteMany", {})
    names = [a["name"] for a in alerts.alerts]
    assert names == ["security.bulk_read", "security.policy_denied"]
    bulk, denied = alerts.alerts
    assert bulk["source"] == "security" and bulk["rows"] == 3 and bulk["limit"] == 2 and bulk["actor"] == "2"
    assert denied["policy"] == "posts" and denied["model"] == "Post" and denied["severity"] == "warning"
    stats = infra.security.stats()
    assert stats["events"]["bulk_read"] == 1 and stats["events"]["policy_denied"] == 1
    assert infra.runtime.services[SECURITY] is infra.security
    assert [e.name for e in infra.security.recent()] == ["bulk_read", "policy_denied"]


def _op(action: Action = Action.FIND_MANY, actor: Any = None) -> Operation:
    return Operation(model="Post", action=action, context=OperationContext(actor=actor))


class Clock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def test_unusual_rate_uses_a_sliding_window_per_actor_with_cooldown() -> None:
    sent: list[dict[str, Any]] = []

    async def alert(a: Any) -> None:
        sent.append(dict(a))

    clock = Clock()
    monitor = SecurityMonitor(
        SecurityConfig(rate_threshold=3, rate_window=10, alert_cooldown=60), alert=alert, monotonic=clock
    )
    for _ in range(3):
        await monitor.started(_op(actor={"id": 1}))
    await monitor.started(_op(actor={"id": 2}))
    assert sent == []
    await monitor.started(_op(actor={"id": 1}))  # the 4th within 10 s
    assert [a["name"] for a in sent] == ["security.unusual_rate"] and sent[0]["severity"] == "critical"
    await monitor.started(_op(actor={"id": 1}))
    assert len(sent) == 1 and monitor.alerts_suppressed == 1 and monitor.counts["unusual_rate"] == 2
    clock.now += 11  # the window slid past the burst
    await monitor.started(_op(actor={"id": 1}))
    assert monitor.counts["unusual_rate"] == 2
    assert monitor.stats()["actors_tracked"] == 2


async def test_writes_outside_business_hours_are_timezone_aware() -> None:
    paris = ZoneInfo("Europe/Paris")
    at = {"now": datetime(2026, 3, 4, 10, 0, tzinfo=paris).timestamp()}  # a Wednesday, 10:00 in Paris
    config = SecurityConfig.model_validate(
        {"business_hours": {"start": "09:00", "end": "17:30", "timezone": "Europe/Paris"}, "alert_cooldown": 0}
    )
    monitor = SecurityMonitor(config, clock=lambda: at["now"])
    await monitor.started(_op(Action.UPDATE))
    assert monitor.counts["off_hours_write"] == 0
    at["now"] = datetime(2026, 3, 4, 8, 30, tzinfo=ZoneInfo("UTC")).timestamp()  # 09:30 Paris: inside
    await monitor.started(_op(Action.UPDATE))
    assert monitor.counts["off_hours_write"] == 0
    at["now"] = datetime(2026, 3, 4, 17, 0, tzinfo=ZoneInfo("UTC")).timestamp()  # 18:00 Paris: outside
    await monitor.started(_op(Action.CREATE))
    await monitor.started(_op(Action.FIND_MANY))  # reads are not write events
    assert monitor.counts["off_hours_write"] == 1
    at["now"] = datetime(2026, 3, 7, 11, 0, tzinfo=paris).timestamp()  # Saturday
    assert not monitor.within_business_hours()


def test_night_shift_crossing_midnight() -> None:
    config = SecurityConfig.model_validate(
        {"business_hours": {"start": "22:00", "end": "06:00", "days": [0, 1, 2, 3, 4, 5, 6]}}
    )
    monitor = SecurityMonitor(config)
    utc = ZoneInfo("UTC")
    assert monitor.within_business_hours(datetime(2026, 3, 4, 23, 0, tzinfo=utc).timestamp())
    assert monitor.within_business_hours(datetime(2026, 3, 4, 5, 0, tzinfo=utc).timestamp())
    assert not monitor.within_business_hours(datetime(2026, 3, 4, 12, 0, tzinfo=utc).timestamp())


async def test_a_failing_alert_observer_never_fails_the_operation() -> None:
    async def broken(alert: Any) -> None:
        raise RuntimeError("down")

    monitor = SecurityMonitor(SecurityConfig(bulk_read_rows=1), alert=broken)
    await monitor.read(_op(), 5)
    assert monitor.stats()["alert_failures"] == 1 and monitor.stats()["events"]["bulk_read"] == 1


async def test_counters_survive_a_restart_of_the_runtime(build: Any) -> None:
    infra = await build(security={"bulk_read_rows": 1})
    await infra.call("Post", "findMany", {})
    first = infra.security
    await infra.close()
    await infra.start()
    assert infra.security is first and first.stats()["events"]["bulk_read"] == 1


async def test_disabled(build: Any) -> None:
    infra = await build(security={"enabled": False, "bulk_read_rows": 1})
    await infra.call("Post", "findMany", {})
    assert infra.security.stats()["total"] == 0

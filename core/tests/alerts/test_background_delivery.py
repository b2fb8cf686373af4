"""A stalled webhook never delays KPI evaluation: alerts are delivered in the background, queues are bounded."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from prisma_infra.alerts import Notification, WebhookSink
from prisma_infra.alerts.delivery import Dispatcher

from core.tests.alerts.alert_servers import RawHTTP, stall_then
from core.tests.analytics.analytics_doubles import START, daily_posts, engine_of, sqlite_infrastructure

NOW = START + timedelta(days=5, hours=1)


@pytest.fixture
def stalled() -> Iterator[RawHTTP]:
    server = RawHTTP(stall_then(204))  # holds every request until released
    yield server
    server.close()


def settings(url: str, queue: int = 100) -> dict[str, Any]:
    return {
        "analytics": {
            "enabled": False,
            "kpis": [
                {"name": "posts", "model": "Post", "window": 3, "thresholds": {"critical": 2, "direction": "below"}}
            ],
            "sinks": [{"name": "hook", "type": "webhook", "url": url, "timeout": 30, "queue": queue}],
        }
    }


async def test_kpi_evaluation_does_not_wait_for_a_stalled_webhook(stalled: RawHTTP) -> None:
    async with sqlite_infrastructure(**settings(stalled.url())) as infra:
        engine_of(infra).add_posts(daily_posts([10, 10, 10, 10, 1, 50]))
        evaluation = asyncio.create_task(infra.kpis.evaluate_kpi("posts", now=NOW))
        # The webhook has the alert and holds it; the evaluation must be over by then or soon after.
        assert await asyncio.to_thread(stalled.received.wait, 10)
        done, _ = await asyncio.wait({evaluation}, timeout=5)
        assert evaluation in done and evaluation.result().status == "critical"
        assert infra.kpis.status()["alerts_pending"] == 1 and infra.kpis.sinks["hook"].sent == 0
        stalled.release.set()
        await infra.kpis.flush_alerts()
        assert infra.kpis.sinks["hook"].sent == 1 and infra.kpis.status()["alerts_pending"] == 0


async def test_a_full_queue_drops_and_counts(stalled: RawHTTP) -> None:
    sink = WebhookSink("hook", stalled.url(), timeout=30, retries=1)
    dispatcher = Dispatcher({"hook": 2})
    alert = Notification(kind="alert", subject="s", text="t", payload={}, severity="critical")
    await dispatcher.submit([sink], alert)
    assert await asyncio.to_thread(stalled.received.wait, 10)  # the first is being delivered (held)
    for _ in range(4):
        await dispatcher.submit([sink], alert)  # two wait in the queue, two are dropped
    assert dispatcher.pending == 3 and sink.dropped == 2 and sink.stats()["dropped"] == 2
    stalled.release.set()
    await dispatcher.drain()
    assert sink.sent == 3 and dispatcher.pending == 0
    await dispatcher.close()

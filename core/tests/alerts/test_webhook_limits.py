"""Webhook deliveries against real misbehaving HTTP servers on 127.0.0.1: one deadline, a size cap, masked errors."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

import pytest
from prisma_infra.alerts import Notification, WebhookSink, deliver

from core.tests.alerts.alert_servers import RawHTTP, answer, drip, flood

ALERT = Notification(
    kind="alert", subject="[critical] errors", text="t", payload={"name": "errors"}, severity="critical"
)


@pytest.fixture
def servers() -> Iterator[list[RawHTTP]]:
    started: list[RawHTTP] = []
    yield started
    for server in started:
        server.close()


async def test_a_dripping_server_cannot_hold_a_delivery_past_its_deadline(servers: list[RawHTTP]) -> None:
    server = RawHTTP(drip(interval=0.05, limit=200))  # a read never waits more than 0.05 s
    servers.append(server)
    sink = WebhookSink("hook", server.url(), timeout=0.5, retries=3, backoff=0.01)
    loop = asyncio.get_running_loop()
    started = loop.time()
    result = await deliver([sink], ALERT)
    took = loop.time() - started
    assert result["hook"] is not None and "within 0.5 s" in result["hook"]
    assert sink.failed == 1 and sink.last_error == result["hook"]
    # Held only for its deadline: 200 bytes (10 s) were on offer, about 10 were taken.
    assert took < 2.0 and server.sent < 60


async def test_the_answer_is_read_up_to_the_cap_only(servers: list[RawHTTP]) -> None:
    server = RawHTTP(flood)  # 200 OK, then an endless body
    servers.append(server)
    sink = WebhookSink("hook", server.url(), timeout=5.0, retries=1, max_response_bytes=32_768)
    assert await deliver([sink], ALERT) == {"hook": None}
    assert sink.sent == 1 and b'"name":"errors"' in server.requests[0]


async def test_tokens_never_reach_logs_or_last_error(servers: list[RawHTTP], caplog: pytest.LogCaptureFixture) -> None:
    server = RawHTTP(answer(500, b"bad token Bearer T0P-SECRET-HDR"))
    servers.append(server)
    url = f"http://bot:hunter2pass@127.0.0.1:{server.port}/services/T000/PATHSECRET1234?token=QUERYSECRET&x=1"
    headers = {"Authorization": "Bearer T0P-SECRET-HDR", "X-Signature": "SIGSECRET99"}
    sink = WebhookSink("hook", url, headers=headers, retries=2, backoff=0.01)
    refused = WebhookSink("down", url.replace(str(server.port), "1"), headers=headers, retries=1)
    with caplog.at_level(logging.ERROR, logger="prisma_infra.alerts"):
        result = await deliver([sink, refused], ALERT)
    assert len(server.requests) == 2 and b"SIGSECRET99" in server.requests[0]  # sent, of course
    shown = " ".join([*(v or "" for v in result.values()), caplog.text, str(sink.stats()), str(refused.stats())])
    assert "500" in (result["hook"] or "") and "127.0.0.1" in shown
    for secret in ("hunter2pass", "PATHSECRET1234", "QUERYSECRET", "T0P-SECRET-HDR", "SIGSECRET99"):
        assert secret not in shown, secret

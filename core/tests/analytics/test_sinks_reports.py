"""Alert sinks against real local servers (HTTP in a thread, SMTP with aiosmtpd), reports, the scheduler."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import socket
import threading
from collections.abc import Iterator
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from prisma_infra.alerts import EmailSink, Job, LogSink, Notification, Schedule, Scheduler, WebhookSink, deliver
from prisma_infra.clock import ManualClock
from prisma_infra.errors import ConfigurationError

from core.tests.analytics.analytics_doubles import START, daily_posts, engine_of, sqlite_infrastructure


class Hook:
    """A local HTTP endpoint: records JSON bodies; answers 503 ``fail`` times first."""

    def __init__(self, fail: int = 0) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.fail = fail
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                if hook.fail > 0:
                    hook.fail -= 1
                    self.send_response(503)
                    self.end_headers()
                    return
                hook.bodies.append(json.loads(body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook() -> Iterator[Hook]:
    server = Hook(fail=2)
    yield server
    server.close()


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


ALERT = Notification(
    kind="alert",
    subject="[critical] errors",
    text="error rate 0.5 > 0.1",
    payload={"name": "errors", "value": 0.5},
    severity="critical",
)


async def test_webhook_retries_transient_failures(hook: Hook) -> None:
    sink = WebhookSink("hook", hook.url, retries=3, backoff=0.01, headers={"x-token": "t"})
    assert await deliver([sink], ALERT) == {"hook": None}
    assert hook.bodies == [{"kind": "alert", "subject": "[critical] errors", "name": "errors", "value": 0.5}]
    assert sink.sent == 1


async def test_webhook_gives_up_and_never_raises(hook: Hook) -> None:
    hook.fail = 10
    sink = WebhookSink("hook", hook.url, retries=2, backoff=0.01)
    result = await deliver([sink], ALERT)
    assert "503" in (result["hook"] or "") and sink.failed == 1 and hook.bodies == []
    closed = WebhookSink("closed", f"http://127.0.0.1:{free_port()}/", retries=2, backoff=0.01, timeout=0.5)
    assert (await deliver([closed], ALERT))["closed"] is not None


async def test_email_sink_delivers_through_smtp(smtp: tuple[Mailbox, int]) -> None:
    box, port = smtp
    sink = EmailSink(  # plain SMTP only when asked for (TLS: core/tests/alerts/test_smtp_tls.py)
        "mail", host="127.0.0.1", port=port, sender="infra@example.com", recipients=["ops@example.com"], security="none"
    )
    assert await deliver([sink], ALERT) == {"mail": None}
    (message,) = box.messages
    assert message["Subject"] == "[critical] errors" and message["To"] == "ops@example.com"
    assert "error rate 0.5 > 0.1" in message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    with pytest.raises(ConfigurationError, match="needs recipients"):
        EmailSink("x", host="h", port=1, sender="s", recipients=[])


async def test_min_severity_filters_alerts() -> None:
    sink = LogSink("log", min_severity="critical")
    info = Notification(kind="alert", subject="s", text="t", payload={}, severity="warning")
    assert await deliver([sink], info) == {}
    report = Notification(kind="report", subject="s", text="t", payload={})
    assert await deliver([sink], report) == {"log": None}  # reports are not filtered by severity


async def test_scheduled_report_to_webhook_and_email(hook: Hook, smtp: tuple[Mailbox, int]) -> None:
    box, port = smtp
    hook.fail = 0
    settings = {
        "analytics": {
            "enabled": False,
            "kpis": [{"name": "posts", "model": "Post"}],
            "sinks": [
                {"name": "hook", "type": "webhook", "url": hook.url},
                {"name": "mail", "type": "email", "port": port, "recipients": ["boss@example.com"], "security": "none"},
            ],
            "reports": [
                {
                    "name": "weekly",
                    "schedule": "0 8 * * MON",
                    "formats": ["json", "csv", "html"],
                    "kpis": ["posts"],
                    "queries": [
                        {
                            "model": "Post",
                            "metrics": ["count", "sum:views"],
                            "group_by": ["status"],
                            "interval": "day",
                            "since": "2024-01-01",
                            "title": "Posts <per> day",
                        }
                    ],
                }
            ],
        }
    }
    async with sqlite_infrastructure(**settings) as infra:
        engine_of(infra).add_posts(daily_posts([2, 1], status="DRAFT"))
        assert await infra.kpis.run_report("weekly") == {"hook": None, "mail": None}
    (body,) = hook.bodies
    assert body["kind"] == "report" and body["report"] == "weekly"
    section = body["sections"][0]
    assert section["title"] == "Posts <per> day" and section["group_by"] == ["status"]
    first = section["groups"][0]["points"][0]
    assert first["bucket"] == START.isoformat() and first["count"] == 2
    (message,) = box.messages
    assert message["Subject"] == "prisma-infra report: weekly"
    names = [part.get_filename() for part in message.iter_attachments()]
    assert names == ["weekly.json", "01-posts-per-day.csv", "kpis.csv", "weekly.html"]
    page = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "Posts &lt;per&gt; day" in page and "<td>DRAFT</td>" in page
    csv_part = next(p for p in message.iter_attachments() if p.get_filename() == "01-posts-per-day.csv")
    assert csv_part.get_content().splitlines()[:2] == [
        "status,bucket,count,sum:views",
        "DRAFT,2024-01-01T00:00:00+00:00,2,0",
    ]


def test_schedules() -> None:
    assert Schedule.parse(30).next_after(100.0) == 130.0
    assert Schedule.parse("2.5").seconds == 2.5
    cron = Schedule.parse("*/5 * * * *")
    assert cron.next_after(START.timestamp() + 60) == START.timestamp() + 300
    assert str(cron) == "cron '*/5 * * * *'"
    for bad in (0, -1, "every day"):
        with pytest.raises(ConfigurationError):
            Schedule.parse(bad)


async def test_scheduler_runs_jobs_without_overlap_and_survives_failures() -> None:
    clock = ManualClock()
    runs: list[str] = []
    release = asyncio.Event()

    async def slow() -> None:
        runs.append("slow")
        await release.wait()

    async def broken() -> None:
        runs.append("broken")
        raise RuntimeError("boom")

    scheduler = Scheduler(
        [Job("slow", Schedule(seconds=20), slow, run_at_start=True), Job("broken", Schedule(seconds=20), broken)],
        clock=clock,
    )
    scheduler.start()
    await scheduler.idle(runs=False)
    assert runs == ["slow"]  # "broken" waits for its first interval
    for _ in range(3):
        await clock.advance(20)
        await scheduler.idle(runs=False)
    assert runs.count("slow") == 1  # still running at each due time: never two at once
    assert runs.count("broken") == 3
    release.set()
    await clock.advance(20)
    await scheduler.idle()
    assert runs.count("slow") == 2 and runs.count("broken") == 4
    await scheduler.stop()
    status = {s["name"]: s for s in scheduler.status()}
    assert status["broken"]["failures"] == 4 and status["broken"]["last_error"] == "RuntimeError: boom"
    assert status["slow"]["runs"] == 2 and status["slow"]["next_run"] == clock.time() + 20
    assert not scheduler.running

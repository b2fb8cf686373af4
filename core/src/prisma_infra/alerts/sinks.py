"""Alert sinks: where alerts and scheduled reports are delivered.

* ``log``: a log record (warning for ``warning``, error for ``critical``).
* ``webhook``: an HTTP POST of a JSON body, retried with exponential backoff
  (tenacity) on connection errors, timeouts, 429 and 5xx answers.
* ``email``: an e-mail through SMTP (``smtplib`` in a worker thread), with
  plain-text and HTML bodies and the report files attached.

A sink that fails never breaks the caller: `deliver` logs the failure and
counts it in ``stats``.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import orjson

from prisma_infra.config.model import AlertSinkConfig
from prisma_infra.errors import ConfigurationError

__all__ = [
    "SEVERITIES",
    "AlertSink",
    "Attachment",
    "EmailSink",
    "LogSink",
    "Notification",
    "WebhookSink",
    "build_sink",
    "deliver",
]

SEVERITIES = {"info": 0, "warning": 1, "critical": 2}
_LEVELS = {"info": logging.INFO, "warning": logging.WARNING, "critical": logging.ERROR}


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mime: str = "application/octet-stream"


@dataclass(frozen=True)
class Notification:
    """What a sink delivers: an alert (``kind="alert"``) or a report (``kind="report"``)."""

    kind: str
    subject: str
    text: str
    payload: Mapping[str, Any]
    """The JSON body of a webhook: the alert, or the report's JSON rendering."""
    severity: str = "info"
    html: str | None = None
    attachments: Sequence[Attachment] = field(default_factory=tuple)


def _json_default(value: Any) -> Any:
    return str(value)


class AlertSink(ABC):
    """Delivers notifications; ``name`` and ``min_severity`` come from its configuration."""

    def __init__(self, name: str, min_severity: str = "info") -> None:
        self.name = name
        self.min_severity = min_severity
        self.sent = 0
        self.failed = 0
        self.last_error: str | None = None

    def accepts(self, notification: Notification) -> bool:
        return notification.kind != "alert" or SEVERITIES.get(notification.severity, 0) >= SEVERITIES[self.min_severity]

    @abstractmethod
    async def send(self, notification: Notification) -> None:
        """Deliver ``notification``; raise on failure (after the sink's own retries)."""

    async def close(self) -> None:
        return None

    def stats(self) -> dict[str, Any]:
        return {"type": type(self).__name__, "sent": self.sent, "failed": self.failed, "last_error": self.last_error}


class LogSink(AlertSink):
    def __init__(self, name: str, *, logger: str = "prisma_infra.alerts", min_severity: str = "info") -> None:
        super().__init__(name, min_severity)
        self.logger = logging.getLogger(logger)

    async def send(self, notification: Notification) -> None:
        level = _LEVELS.get(notification.severity, logging.INFO)
        self.logger.log(
            level, "%s: %s", notification.subject, notification.text, extra={"notification": dict(notification.payload)}
        )


class WebhookSink(AlertSink):
    """POSTs the notification's payload as JSON."""

    def __init__(
        self,
        name: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: float = 5.0,
        retries: int = 3,
        min_severity: str = "info",
        backoff: float = 0.5,
    ) -> None:
        super().__init__(name, min_severity)
        self.url = url
        self.headers = {"content-type": "application/json", "user-agent": "prisma-infra", **(headers or {})}
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff

    async def send(self, notification: Notification) -> None:
        import httpx
        from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential

        body = orjson.dumps(
            {"kind": notification.kind, "subject": notification.subject, **notification.payload},
            default=_json_default,
            option=orjson.OPT_NON_STR_KEYS,
        )

        def transient(exc: BaseException) -> bool:
            if isinstance(exc, httpx.HTTPStatusError):
                return exc.response.status_code == 429 or exc.response.status_code >= 500
            return isinstance(exc, httpx.TransportError)

        async with httpx.AsyncClient(timeout=self.timeout) as client:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(self.retries),
                wait=wait_exponential(multiplier=self.backoff, max=30),
                retry=retry_if_exception(transient),
                reraise=True,
            ):
                with attempt:
                    response = await client.post(self.url, content=body, headers=self.headers)
                    response.raise_for_status()


class EmailSink(AlertSink):
    """Sends an e-mail per notification through SMTP (blocking ``smtplib`` in a worker thread)."""

    def __init__(
        self,
        name: str,
        *,
        host: str,
        port: int,
        sender: str,
        recipients: Sequence[str],
        username: str | None = None,
        password: str | None = None,
        security: str = "none",
        timeout: float = 10.0,
        min_severity: str = "info",
    ) -> None:
        super().__init__(name, min_severity)
        if not recipients:
            raise ConfigurationError(f"analytics.sinks {name!r}: an email sink needs recipients")
        self.host = host
        self.port = port
        self.sender = sender
        self.recipients = list(recipients)
        self.username = username
        self.password = password
        self.security = security
        self.timeout = timeout

    def message(self, notification: Notification) -> EmailMessage:
        message = EmailMessage()
        message["Subject"] = notification.subject
        message["From"] = self.sender
        message["To"] = ", ".join(self.recipients)
        message.set_content(notification.text)
        if notification.html:
            message.add_alternative(notification.html, subtype="html")
        for attachment in notification.attachments:
            maintype, _, subtype = attachment.mime.partition("/")
            message.add_attachment(
                attachment.content, maintype=maintype, subtype=subtype or "octet-stream", filename=attachment.filename
            )
        return message

    def _send_blocking(self, message: EmailMessage) -> None:
        smtp: smtplib.SMTP
        if self.security == "ssl":
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with smtp:
            if self.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(message)

    async def send(self, notification: Notification) -> None:
        await asyncio.to_thread(self._send_blocking, self.message(notification))


def build_sink(config: AlertSinkConfig) -> AlertSink:
    """The sink a ``[[analytics.sinks]]`` entry describes."""
    if config.type == "log":
        return LogSink(config.name, logger=config.logger, min_severity=config.min_severity)
    if config.type == "webhook":
        if not config.url:
            raise ConfigurationError(
                f"analytics.sinks {config.name!r}: a webhook sink needs a url",
                problems=[f"analytics.sinks.{config.name}.url: missing"],
            )
        return WebhookSink(
            config.name,
            config.url,
            headers=config.headers,
            timeout=config.timeout,
            retries=config.retries,
            min_severity=config.min_severity,
        )
    return EmailSink(
        config.name,
        host=config.host,
        port=config.port,
        sender=config.sender,
        recipients=config.recipients,
        username=config.username,
        password=config.password.get_secret_value() if config.password is not None else None,
        security=config.security,
        timeout=config.timeout,
        min_severity=config.min_severity,
    )


async def deliver(sinks: Sequence[AlertSink], notification: Notification) -> dict[str, str | None]:
    """Send ``notification`` to every sink that accepts it, concurrently; sink name → error (``None``: sent)."""

    async def one(sink: AlertSink) -> str | None:
        try:
            await sink.send(notification)
        except Exception as exc:
            sink.failed += 1
            sink.last_error = f"{type(exc).__name__}: {exc}"
            logging.getLogger("prisma_infra.alerts").error(
                "alert sink %r could not deliver %r: %s", sink.name, notification.subject, sink.last_error
            )
            return sink.last_error
        sink.sent += 1
        return None

    chosen = [sink for sink in sinks if sink.accepts(notification)]
    results = await asyncio.gather(*(one(sink) for sink in chosen))
    return dict(zip((s.name for s in chosen), results, strict=True))

"""Alert sinks: where alerts and scheduled reports are delivered.

* ``log``: a log record (warning for ``warning``, error for ``critical``).
* ``webhook``: an HTTP POST of a JSON body, retried with exponential backoff
  (tenacity) on connection errors, timeouts, 429 and 5xx answers. ``timeout`` is one
  deadline for the whole delivery (every attempt, wait and byte read), so a server
  that drips its answer cannot hold it longer; at most ``max_response_bytes`` of the
  answer are read.
* ``email``: an e-mail through SMTP (``smtplib`` in a worker thread), with
  plain-text and HTML bodies and the report files attached; STARTTLS by default
  (``security = "ssl"`` for implicit TLS), plain text only with ``security = "none"``.

A sink that fails never breaks the caller: `deliver` logs the failure and
counts it in ``stats``; what it logs and keeps in ``last_error`` has the sink's
URL, headers and credentials masked.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import smtplib
import socket
import ssl
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import orjson

from prisma_infra.config.masking import MASK, mask_text
from prisma_infra.config.model import AlertSinkConfig
from prisma_infra.errors import ConfigurationError, PrismaInfraError

__all__ = [
    "SEVERITIES",
    "AlertSink",
    "Attachment",
    "EmailSink",
    "LogSink",
    "Notification",
    "SinkDeadlineError",
    "WebhookSink",
    "build_sink",
    "deliver",
    "deliver_one",
]

log = logging.getLogger("prisma_infra.alerts")

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


class SinkDeadlineError(PrismaInfraError):
    """A delivery did not finish within its sink's deadline."""

    def __init__(self, sink: str, seconds: float) -> None:
        super().__init__(f"alert sink {sink!r}: delivery did not finish within {seconds:g} s")
        self.sink = sink


class AlertSink(ABC):
    """Delivers notifications; ``name`` and ``min_severity`` come from its configuration."""

    #: Whether a delivery waits on the network (delivered in the background by `Dispatcher`).
    remote = False
    #: Seconds one delivery may take in all; `deliver` stops it there.
    deadline = 30.0

    def __init__(self, name: str, min_severity: str = "info") -> None:
        self.name = name
        self.min_severity = min_severity
        self.sent = 0
        self.failed = 0
        self.dropped = 0
        self.last_error: str | None = None

    def redact(self, text: str) -> str:
        """``text`` fit for a log line: credentials masked (sinks add their own secrets)."""
        return mask_text(text)

    def accepts(self, notification: Notification) -> bool:
        return notification.kind != "alert" or SEVERITIES.get(notification.severity, 0) >= SEVERITIES[self.min_severity]

    @abstractmethod
    async def send(self, notification: Notification) -> None:
        """Deliver ``notification``; raise on failure (after the sink's own retries)."""

    async def close(self) -> None:
        return None

    def stats(self) -> dict[str, Any]:
        return {
            "type": type(self).__name__,
            "sent": self.sent,
            "failed": self.failed,
            "dropped": self.dropped,
            "last_error": self.last_error,
        }


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

    remote = True

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
        max_response_bytes: int = 65_536,
    ) -> None:
        super().__init__(name, min_severity)
        self.url = url
        self.headers = {"content-type": "application/json", "user-agent": "prisma-infra", **(headers or {})}
        self.timeout = timeout
        self.deadline = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_response_bytes = max_response_bytes
        self._secrets = _url_secrets(url) + [v for k, v in (headers or {}).items() if v and len(v) >= 4]

    def redact(self, text: str) -> str:
        """The URL shown as scheme, host and port only (paths and queries often hold tokens); header values
        and the URL's credentials masked wherever they appear."""
        text = text.replace(self.url, _url_origin(self.url))
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, MASK)
        return mask_text(text)

    async def send(self, notification: Notification) -> None:
        try:
            async with asyncio.timeout(self.deadline):
                await self._post(notification)
        except TimeoutError:
            raise SinkDeadlineError(self.name, self.deadline) from None

    async def _post(self, notification: Notification) -> None:
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

        # httpx's timeouts are per read (a byte a second never trips them): the deadline is asyncio's.
        async with httpx.AsyncClient(timeout=self.deadline, follow_redirects=False) as client:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(self.retries),
                wait=wait_exponential(multiplier=self.backoff, max=30),
                retry=retry_if_exception(transient),
                reraise=True,
            ):
                with attempt:
                    async with client.stream("POST", self.url, content=body, headers=self.headers) as response:
                        read = 0
                        async for chunk in response.aiter_raw():
                            read += len(chunk)
                            if read >= self.max_response_bytes:
                                break  # the answer is not used; a huge one must not cost memory or time
                        response.raise_for_status()


def _url_origin(url: str) -> str:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return MASK
    return f"{parts.scheme}://{host}{port}/…" if host else MASK


def _url_secrets(url: str) -> list[str]:
    """Pieces of a webhook URL that may be credentials: user information, path segments, query values."""
    from urllib.parse import parse_qsl, urlsplit

    try:
        parts = urlsplit(url)
    except ValueError:
        return [url]
    found = [p for p in (parts.username, parts.password) if p]
    found += [segment for segment in parts.path.split("/") if len(segment) >= 8]
    found += [value for _, value in parse_qsl(parts.query) if len(value) >= 4]
    return found


class EmailSink(AlertSink):
    """Sends an e-mail per notification through SMTP (blocking ``smtplib`` in a worker thread).

    ``security``: ``starttls`` (default; refuses a server that does not offer it), ``ssl``
    (implicit TLS), or ``none`` (plain text: credentials and reports readable on the wire;
    only when set explicitly, and logged as a warning). Certificates are verified,
    against ``ca_file`` when given.
    """

    remote = True

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
        security: str = "starttls",
        ca_file: str | None = None,
        timeout: float = 10.0,
        min_severity: str = "info",
    ) -> None:
        super().__init__(name, min_severity)
        if not recipients:
            raise ConfigurationError(f"analytics.sinks {name!r}: an email sink needs recipients")
        if security not in ("starttls", "ssl", "none"):
            raise ConfigurationError(f"analytics.sinks {name!r}: security is starttls, ssl or none, not {security!r}")
        if security == "none":
            log.warning(
                "alert sink %r: security = 'none': e-mails%s go to %s:%s in plain text",
                name,
                " and the SMTP password" if username else "",
                host,
                port,
            )
        self.host = host
        self.port = port
        self.sender = sender
        self.recipients = list(recipients)
        self.username = username
        self.password = password
        self.security = security
        self.ca_file = ca_file
        self.timeout = timeout
        self.deadline = timeout

    def redact(self, text: str) -> str:
        if self.password:
            text = text.replace(self.password, MASK)
        return mask_text(text)

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

    def _context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.ca_file)

    def _send_blocking(self, message: EmailMessage, opened: list[smtplib.SMTP]) -> None:
        smtp: smtplib.SMTP
        if self.security == "ssl":
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=self._context())
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        opened.append(smtp)
        with smtp:
            if self.security == "starttls":
                smtp.starttls(context=self._context())  # SMTPNotSupportedError when the server does not offer it
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(message)

    async def send(self, notification: Notification) -> None:
        opened: list[smtplib.SMTP] = []
        try:
            async with asyncio.timeout(self.deadline):
                await asyncio.to_thread(self._send_blocking, self.message(notification), opened)
        except TimeoutError:
            # smtplib's timeout is per read: shut the socket so the worker thread stops now too.
            for smtp in opened:
                sock = getattr(smtp, "sock", None)
                if sock is not None:
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_RDWR)
            raise SinkDeadlineError(self.name, self.deadline) from None


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
            max_response_bytes=config.max_response_bytes,
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
        ca_file=config.ca_file,
        timeout=config.timeout,
        min_severity=config.min_severity,
    )


async def deliver(sinks: Sequence[AlertSink], notification: Notification) -> dict[str, str | None]:
    """Send ``notification`` to every sink that accepts it, concurrently, each within its deadline;
    sink name → error (``None``: sent). Errors are logged and returned with credentials masked."""
    chosen = [sink for sink in sinks if sink.accepts(notification)]
    results = await asyncio.gather(*(deliver_one(sink, notification) for sink in chosen))
    return dict(zip((s.name for s in chosen), results, strict=True))


async def deliver_one(sink: AlertSink, notification: Notification) -> str | None:
    """One sink's delivery: never raises; the error (masked) or ``None``."""
    try:
        try:
            async with asyncio.timeout(sink.deadline):
                await sink.send(notification)
        except TimeoutError:
            raise SinkDeadlineError(sink.name, sink.deadline) from None
    except Exception as exc:
        sink.failed += 1
        sink.last_error = sink.redact(f"{type(exc).__name__}: {exc}")
        log.error("alert sink %r could not deliver %r: %s", sink.name, notification.subject, sink.last_error)
        return sink.last_error
    sink.sent += 1
    return None

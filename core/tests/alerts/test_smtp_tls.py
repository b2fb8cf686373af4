"""E-mail sinks against a real SMTP server (aiosmtpd) with a certificate made here: STARTTLS by default,
implicit TLS, certificates verified, plain text only when asked for, one deadline per delivery."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import logging
import socket
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from prisma_infra.alerts import EmailSink, Notification, build_sink, deliver
from prisma_infra.config.model import AlertSinkConfig

from core.tests.alerts.alert_servers import RawHTTP, stall_then

ALERT = Notification(kind="alert", subject="[critical] disk", text="disk full", payload={}, severity="critical")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost: (cert.pem, key.pem)."""
    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "prisma-infra test SMTP")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return folder / "cert.pem", folder / "key.pem"


class Mailbox:
    """Keeps each message with whether it came over TLS."""

    def __init__(self) -> None:
        self.received: list[tuple[bytes, bool]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append((envelope.content, session.ssl is not None))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*map(str, certificate))
    return context


@pytest.fixture
def smtp_server(certificate: tuple[Path, Path]) -> Iterator[Any]:
    started: list[Controller] = []

    def start(mode: str) -> tuple[Mailbox, int]:
        box, port = Mailbox(), free_port()
        options: dict[str, Any] = {}
        if mode == "starttls":
            options = {"tls_context": server_context(certificate), "require_starttls": True}
        elif mode == "ssl":
            options = {"server_hostname": "127.0.0.1", "ssl_context": server_context(certificate)}
        controller = Controller(box, hostname="127.0.0.1", port=port, **options)
        if mode == "ssl":  # the controller's own readiness probe speaks plain SMTP: trust it with the cert
            controller.ssl_context = server_context(certificate)
        controller.start()
        started.append(controller)
        return box, port

    yield start
    for controller in started:
        controller.stop()


def sink(port: int, **options: Any) -> EmailSink:
    return EmailSink("mail", host="127.0.0.1", port=port, sender="infra@example.com", recipients=["ops@x"], **options)


async def test_starttls_is_the_default_and_verifies_the_certificate(
    smtp_server: Any, certificate: tuple[Path, Path]
) -> None:
    box, port = smtp_server("starttls")
    assert await deliver([sink(port, ca_file=str(certificate[0]))], ALERT) == {"mail": None}
    ((content, over_tls),) = box.received
    assert over_tls and b"disk full" in content
    untrusted = await deliver([sink(port)], ALERT)  # the system's CAs do not know this certificate
    assert "CERTIFICATE_VERIFY_FAILED" in (untrusted["mail"] or "") and len(box.received) == 1


async def test_a_server_without_starttls_is_refused_unless_plain_is_explicit(
    smtp_server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    box, port = smtp_server("plain")
    refused = await deliver([sink(port)], ALERT)
    assert "STARTTLS" in (refused["mail"] or "") and box.received == []
    with caplog.at_level(logging.WARNING, logger="prisma_infra.alerts"):
        plain = sink(port, security="none")
    assert any("plain text" in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)
    assert await deliver([plain], ALERT) == {"mail": None}
    ((_, over_tls),) = box.received
    assert not over_tls


async def test_implicit_tls(smtp_server: Any, certificate: tuple[Path, Path]) -> None:
    box, port = smtp_server("ssl")
    assert await deliver([sink(port, security="ssl", ca_file=str(certificate[0]))], ALERT) == {"mail": None}
    assert len(box.received) == 1


def test_settings_default_to_starttls() -> None:
    config = AlertSinkConfig.model_validate({"name": "mail", "type": "email", "recipients": ["ops@x"]})
    built = build_sink(config)
    assert config.security == "starttls" and isinstance(built, EmailSink) and built.security == "starttls"


async def test_a_silent_server_cannot_hold_a_delivery_past_its_deadline() -> None:
    server = RawHTTP(stall_then(200))  # accepts, never greets
    try:
        loop = asyncio.get_running_loop()
        started = loop.time()
        result = await deliver([sink(server.port, timeout=0.5)], ALERT)
        took = loop.time() - started
    finally:
        server.close()
    assert "within 0.5 s" in (result["mail"] or "") and took < 2.0

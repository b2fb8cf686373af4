"""`NatsAnchorStore` (``audit.anchor.store = "nats"``): anchors as JetStream messages, the latest per subject.

An anchor goes to ``<location>.<chain>.<sink>`` (``location`` defaults to
``audit.anchors``) in the stream ``audit.anchor.stream`` (default ``AUDIT_ANCHORS``,
created when missing, keeping the last 16 anchors of each subject on file storage);
the latest of each (chain, sink) is its subject's last message. ``audit.anchor.url``
names the server (default ``nats://127.0.0.1:4222``).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from prisma_infra_sdk import Anchor, ConfigurationError, PrismaInfraError

from prisma_infra_nats.sink import _import_nats, _quiet

if TYPE_CHECKING:
    from nats.aio.client import Client
    from nats.js.client import JetStreamContext
    from prisma_infra_sdk import AnchorConfig

__all__ = ["NatsAnchorStore"]

_HISTORY = 16


def _token(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name) or "_"


class NatsAnchorStore:
    """Anchors on JetStream subjects (see the module documentation)."""

    def __init__(self, config: AnchorConfig) -> None:
        self.servers = config.url.get_secret_value() if config.url is not None else "nats://127.0.0.1:4222"
        self.prefix = config.where
        self.stream = config.stream
        self.timeout = config.timeout
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None

    def subject_for(self, chain: str, sink: str) -> str:
        return f"{self.prefix}.{_token(chain)}.{_token(sink)}"

    @property
    def js(self) -> JetStreamContext:
        if self._js is None:
            raise PrismaInfraError("the NATS anchor store is not started")
        return self._js

    async def start(self) -> None:
        if self._nc is not None and self._nc.is_connected:
            return
        nats = _import_nats()
        nc: Client = await asyncio.wait_for(
            nats.connect(self.servers, connect_timeout=max(1, round(self.timeout)), allow_reconnect=True,
                         name="prisma-infra-audit-anchor", error_cb=_quiet),
            self.timeout * 2 + 1,
        )
        self._nc, self._js = nc, nc.jetstream(timeout=self.timeout)
        await self._ensure_stream()

    async def _ensure_stream(self) -> None:
        from nats.js.api import StorageType, StreamConfig
        from nats.js.errors import NotFoundError

        subjects = [f"{self.prefix}.>"]
        try:
            info = await self.js.stream_info(self.stream)
        except NotFoundError:
            await self.js.add_stream(StreamConfig(
                name=self.stream, subjects=subjects, max_msgs_per_subject=_HISTORY, storage=StorageType.FILE,
                description="prisma-infra audit anchors",
            ))
            return
        if subjects[0] not in (info.config.subjects or []):
            raise ConfigurationError(
                f"audit.anchor.stream: JetStream stream {self.stream!r} does not capture {subjects[0]!r} "
                f"(its subjects: {info.config.subjects})"
            )

    async def publish(self, anchor: Anchor) -> None:
        await self.js.publish(self.subject_for(anchor.chain, anchor.sink), anchor.to_json(), stream=self.stream,
                              timeout=self.timeout)

    async def latest(self) -> list[Anchor]:
        info = await self.js.stream_info(self.stream, subjects_filter=f"{self.prefix}.>")
        found: list[Anchor] = []
        for subject in sorted(info.state.subjects or {}):
            message = await self.js.get_last_msg(self.stream, subject)
            anchor = Anchor.from_json(message.data or b"")
            if anchor is not None:
                found.append(anchor)
        return found

    async def close(self) -> None:
        nc, self._nc, self._js = self._nc, None, None
        if nc is not None and not nc.is_closed:
            await nc.close()

"""`NatsSink` (``"nats"``): audit events published to a NATS JetStream stream, one message each.

Options (``audit.sink_options.nats``):

* ``servers`` — URL or list of URLs (default ``nats://127.0.0.1:4222``);
* ``stream`` — stream name (default ``AUDIT``), created on start when missing;
* ``subject`` — subject prefix (default ``audit``): an event goes to ``<subject>.<chain>``;
* ``duplicate_window`` — seconds JetStream remembers message ids (default 3600): a
  replayed event published again within it is dropped by the server;
* ``max_age`` — seconds events are kept (default 0: forever); ``storage`` — ``file`` (default) or ``memory``;
* ``ack_timeout`` (default 2.0) and ``connect_timeout`` (default 2.0) seconds;
* ``user``/``password``/``token`` — credentials, when the server needs them.

Every event is published with ``Nats-Msg-Id`` = its id and waits for the
server's acknowledgement, in order, one after the other: an event is never
stored after a later one. A failure closes the connection and raises; the
kernel then buffers the events durably and replays them (in order) through a
fresh connection. `last_event` reads the stream's last message of the chain
(chain continuity across restarts).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import orjson
from prisma_infra_sdk import AuditSink, ConfigurationError

if TYPE_CHECKING:
    from nats.aio.client import Client
    from nats.js.client import JetStreamContext

__all__ = ["NatsSink"]


log = logging.getLogger("prisma_infra.audit.nats")


async def _quiet(exc: Exception) -> None:
    """nats-py logs every connection error with a traceback; one debug line is enough (the kernel reports)."""
    log.debug("nats: %s", exc)


def _import_nats() -> Any:
    try:
        import nats
    except ImportError as exc:  # pragma: no cover - a dependency of this dist
        raise ConfigurationError("The nats audit sink needs nats-py: pip install prisma-infra-nats") from exc
    return nats


class NatsSink(AuditSink):
    """Publishes audit events to JetStream (see the module documentation)."""

    name: ClassVar[str] = "nats"

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        opts = self.options
        servers = opts.get("servers", "nats://127.0.0.1:4222")
        self.servers: list[str] = [servers] if isinstance(servers, str) else [str(s) for s in servers]
        self.stream = str(opts.get("stream", "AUDIT"))
        self.subject = str(opts.get("subject", "audit"))
        self.duplicate_window = float(opts.get("duplicate_window", 3600.0))
        self.max_age = float(opts.get("max_age", 0.0))
        self.storage = str(opts.get("storage", "file"))
        if self.storage not in ("file", "memory"):
            raise ConfigurationError(f"audit.sink_options.nats.storage must be file or memory, not {self.storage!r}")
        self.ack_timeout = float(opts.get("ack_timeout", 2.0))
        self.connect_timeout = float(opts.get("connect_timeout", 2.0))
        self._auth = {k: opts[k] for k in ("user", "password", "token") if opts.get(k)}
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None
        self._stream_ready = False

    def subject_for(self, chain: str) -> str:
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in chain) or "default"
        return f"{self.subject}.{safe}"

    # -- connection -------------------------------------------------------------------------

    async def _connect(self) -> JetStreamContext:
        if self._js is not None and self._nc is not None and self._nc.is_connected:
            return self._js
        await self._drop()
        nats = _import_nats()
        # No reconnection inside the client: a broken connection fails the write, the kernel buffers the
        # events and replays them through a fresh connection. (max_reconnect_attempts=0 would retry the
        # first connection forever; 1 tries each server once.)
        nc: Client = await asyncio.wait_for(
            nats.connect(
                self.servers,
                connect_timeout=max(1, round(self.connect_timeout)),
                allow_reconnect=False,
                max_reconnect_attempts=1,
                reconnect_time_wait=0,
                name="prisma-infra-audit",
                error_cb=_quiet,
                **self._auth,
            ),
            timeout=self.connect_timeout * (len(self.servers) + 1) + 1,
        )
        self._nc = nc
        self._js = nc.jetstream(timeout=self.ack_timeout)
        if not self._stream_ready:
            await self._ensure_stream(self._js)
            self._stream_ready = True
        return self._js

    async def _ensure_stream(self, js: JetStreamContext) -> None:
        from nats.js.api import StorageType, StreamConfig
        from nats.js.errors import NotFoundError

        subjects = [f"{self.subject}.>"]
        try:
            info = await js.stream_info(self.stream)
        except NotFoundError:
            await js.add_stream(
                StreamConfig(
                    name=self.stream,
                    subjects=subjects,
                    duplicate_window=self.duplicate_window,
                    max_age=self.max_age or None,
                    storage=StorageType.FILE if self.storage == "file" else StorageType.MEMORY,
                    description="prisma-infra audit trail",
                )
            )
            return
        config = info.config
        if subjects[0] not in (config.subjects or []):
            raise ConfigurationError(
                f"JetStream stream {self.stream!r} exists but does not capture {subjects[0]!r} "
                f"(its subjects: {config.subjects}); choose another audit.sink_options.nats.stream or subject"
            )

    async def _drop(self) -> None:
        nc, self._nc, self._js = self._nc, None, None
        if nc is not None and not nc.is_closed:
            with contextlib.suppress(Exception):
                await nc.close()

    # -- AuditSink --------------------------------------------------------------------------

    async def start(self) -> None:
        await self._connect()

    async def close(self) -> None:
        await self._drop()

    async def write(self, events: Sequence[Mapping[str, Any]]) -> None:
        js = await self._connect()
        try:
            for event in events:
                await js.publish(
                    self.subject_for(str(event.get("chain") or "default")),
                    orjson.dumps(event),
                    timeout=self.ack_timeout,
                    stream=self.stream,
                    headers={"Nats-Msg-Id": str(event["id"])},
                )
        except BaseException:
            await self._drop()
            raise

    async def last_event(self, chain: str) -> Mapping[str, Any] | None:
        from nats.js.errors import NotFoundError

        js = await self._connect()
        try:
            message = await js.get_last_msg(self.stream, self.subject_for(chain))
        except NotFoundError:
            return None
        if not message.data:
            return None
        found: dict[str, Any] = orjson.loads(message.data)
        return found

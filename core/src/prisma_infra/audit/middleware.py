"""`AuditMiddleware`: the pipeline step that records every write (reads pass straight through)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from prisma_infra.cache.sql import raw_writes
from prisma_infra.errors import ConfigurationError, closest_match
from prisma_infra.operation import WRITE_ACTIONS, Action, Operation
from prisma_infra.pipeline import Handler, Middleware
from prisma_infra.ports.transactions import BATCH_GUARDS, TRANSACTION_OBSERVERS
from prisma_infra.registry import install_hint

if TYPE_CHECKING:
    from prisma_infra.audit.anchor import AnchorPublisher
    from prisma_infra.audit.manager import AuditManager
    from prisma_infra.config.model import AnchorConfig, AuditConfig
    from prisma_infra.kernel import Kernel
    from prisma_infra.providers.audit import AuditSink
    from prisma_infra.runtime import Runtime

__all__ = ["AuditMiddleware"]


class AuditMiddleware(Middleware):
    """Builds the runtime's `AuditManager` (sinks, writer, capture) and records writes through it.

    It sits inside validation and access policies and outside the cache
    (``order = 250``): it sees the arguments the engine will really receive
    (policy row filters included), and reads before-images from the engine,
    never from the cache. Audit is on when ``audit.enabled`` and ``audit.sinks``
    names at least one sink.
    """

    name = "audit"
    order = 250

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        self.manager: AuditManager | None = None
        #: Set by `start`: until then `wrap` cannot tell whether there will be sinks.
        self.started = False

    def wrap(self, call: Handler) -> Handler:
        if self.started and self.manager is None:  # no audit sink: nothing to do
            return call
        writes = WRITE_ACTIONS
        raw_query = Action.QUERY_RAW

        async def handler(operation: Operation) -> Any:
            manager = self.manager
            if manager is None:
                return await call(operation)
            action = operation.action
            if action is raw_query:
                # A queryRaw that writes (UPDATE ... RETURNING, a CTE with a write) is audited like executeRaw.
                if not raw_writes(operation, self.kernel.schema.provider):
                    return await call(operation)
                if operation.model is None or manager.audits(operation):
                    return await manager.capture(operation, call)
                return await call(operation)
            if action not in writes or not manager.audits(operation):
                return await call(operation)
            return await manager.capture(operation, call)

        return handler

    async def start(self, runtime: Runtime) -> None:
        from prisma_infra.audit.capture import AuditCapture
        from prisma_infra.audit.database_sink import DatabaseSink
        from prisma_infra.audit.manager import AuditManager
        from prisma_infra.audit.masking import PiiSeam
        from prisma_infra.audit.outbox import Outbox
        from prisma_infra.audit.relay import OutboxRelay
        from prisma_infra.audit.service import AUDIT, audit_writers
        from prisma_infra.audit.writer import AuditWriter

        self.started = True
        config = runtime.config.audit
        if not config.enabled or not config.sinks:
            return
        base_dir = Path(runtime.config.base_dir)
        registered = runtime.registry["audit_sinks"]
        sinks: dict[str, AuditSink] = {}
        skip: set[str] = set()
        for name in config.sinks:
            registration = registered.get(name)
            if registration is None:
                match = closest_match(name, registered)
                hint = f" Did you mean {match!r}?" if match else ""
                extra = install_hint("audit_sinks", name)
                raise ConfigurationError(
                    f"audit.sinks: {name!r} is not registered by any plugin "
                    f"(available: {', '.join(sorted(registered)) or 'none'}).{hint}{extra}",
                    problems=[f"audit.sinks: unknown sink {name!r}"],
                )
            options = {"base_dir": str(base_dir), **config.sink_options.get(name, {})}
            sink = registration.factory(options)
            bind = getattr(sink, "bind_engine", None)
            if callable(bind):
                bind(runtime.engine)
            if isinstance(sink, DatabaseSink):
                skip.add(sink.table)
            sinks[name] = sink
        buffer_dir = _resolve(config.buffer_dir, base_dir)
        hasher = AuditManager.hasher_for(config)
        # One writer per chain for the infrastructure's life: see AuditWriter.acquire.
        writers = audit_writers(self.kernel.stash)
        key = (config.chain, buffer_dir)
        writer = writers.get(key)
        if writer is not None and not writer.closed and writer.hasher == hasher:
            writer.sink_timeout, writer.retry_max_wait = config.sink_timeout, config.retry_max_wait
            await writer.set_sinks(sinks)
            if (writer.anchor.settings if writer.anchor is not None else None) != _anchor_settings(config):
                await writer.set_anchor(_anchor_publisher(config, base_dir, runtime))
        else:
            writer = AuditWriter(
                sinks,
                buffer_dir=buffer_dir,
                chain=config.chain,
                hasher=hasher,
                sink_timeout=config.sink_timeout,
                retry_max_wait=config.retry_max_wait,
                anchor=_anchor_publisher(config, base_dir, runtime),
            )
            await writer.start()
            writers[key] = writer
        writer.acquire()
        seam = PiiSeam(self.kernel)
        capture = AuditCapture(
            self.kernel.schema,
            runtime.engine,
            seam,
            read_batch_size=config.read_batch_size,
            before_images=config.before_images,
        )
        relay = None
        if config.outbox:
            relay = OutboxRelay(Outbox(runtime.engine, writer.chain), writer)
            await relay.outbox.start()
            await relay.recover_once()  # before the first write: rows a crash left go first
        manager = AuditManager(self.kernel, config, writer, capture, seam, skip_models=frozenset(skip), outbox=relay)
        runtime.services[AUDIT] = manager
        runtime.services.add(TRANSACTION_OBSERVERS, manager)
        runtime.services.add(BATCH_GUARDS, manager.batch_needs_transaction)
        self.manager = manager

    async def close(self) -> None:
        manager, self.manager = self.manager, None
        if manager is not None:
            await manager.close()


def _anchor_settings(config: AuditConfig) -> AnchorConfig | None:
    return config.anchor if config.anchor.store is not None else None


def _anchor_publisher(config: AuditConfig, base_dir: Path, runtime: Runtime) -> AnchorPublisher | None:
    """The writer's anchor publisher for ``audit.anchor`` (``None`` when it is off)."""
    from prisma_infra.audit.anchor import AnchorPublisher
    from prisma_infra.audit.anchor_stores import build_anchor_store

    settings = _anchor_settings(config)
    if settings is None:
        return None
    return AnchorPublisher(
        build_anchor_store(settings, base_dir, runtime.engine),
        every_events=settings.every_events,
        every_seconds=settings.every_seconds,
        timeout=settings.timeout,
        settings=settings,
    )


def _resolve(path: str, base_dir: Path) -> Path:
    resolved = Path(path).expanduser()
    return resolved if resolved.is_absolute() else base_dir / resolved

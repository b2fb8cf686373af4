"""`PrismaEngine`: prisma-infra's data engine backed by Prisma 7 in a Node.js bridge."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import orjson
from prisma_infra_sdk import (
    Engine,
    EngineUnavailableError,
    PrismaInfraError,
    Schema,
    TransactionError,
    UniqueConstraintError,
)

from prisma_infra_prisma.arguments import prepare_args
from prisma_infra_prisma.bridge import Bridge
from prisma_infra_prisma.datasource import read_schema_files, resolve_database
from prisma_infra_prisma.errors import fields_for_index, to_exception
from prisma_infra_prisma.generate import GeneratedClient, ensure_client
from prisma_infra_prisma.options import EngineOptions, parse_options
from prisma_infra_prisma.placement import colocate
from prisma_infra_prisma.preview import mark_views
from prisma_infra_prisma.toolchain import Toolchain, ensure_toolchain, shipped_js
from prisma_infra_prisma.typed import decode_result

if TYPE_CHECKING:
    from prisma_infra_sdk import DatabaseConfig, Operation

__all__ = ["PrismaEngine"]

log = logging.getLogger("prisma_infra.engine")


class PrismaEngine(Engine):
    """Runs operations through the official Prisma 7 client in a supervised Node.js process.

    Engine-specific ``database.options``:

    * ``install`` (bool, default true): install Prisma's npm packages on first use;
      false makes a missing install an error (run ``prisma-infra prisma install``).
    * ``log_queries`` (bool): log every SQL statement at DEBUG on ``prisma_infra.engine.bridge``.
    * ``adapter`` (dict): extra options for the driver adapter's pool.
    * ``start_timeout`` (float, seconds, default 60): how long the bridge may take to start.
    * ``colocate`` (bool): the bridge's JavaScript thread on the event loop thread's CPUs.
    * ``busy_poll`` (float, µs, default 0 = off): how long each side polls the pipe instead of sleeping.

    They are checked when the engine is made (`prisma_infra_prisma.options.EngineOptions`).
    """

    name: ClassVar[str] = "prisma"

    def __init__(self, config: DatabaseConfig, *, base_dir: str | Path | None = None) -> None:
        self._config = config
        # The same resolution as `db push` and `migrate` (settings, schema, prisma.config.ts, .env).
        resolved = resolve_database(config, Path(base_dir) if base_dir is not None else None)
        schema_path = Path(config.schema_path)
        if not schema_path.is_absolute():
            schema_path = Path(base_dir or ".") / schema_path
        self._schema_path = schema_path.resolve()
        self._provider: str = resolved.provider
        self._url = resolved.url
        self.url_source = resolved.url_source
        """Where the connection URL came from (`ResolvedDatabase.url_source`)."""
        self._options = parse_options(config.options)
        self._timeout = config.operation_timeout
        self._semaphore = asyncio.Semaphore(config.max_in_flight)
        self._bridge: Bridge | None = None
        self._start_lock = asyncio.Lock()
        self._closed = False
        self._datamodel: Mapping[str, Any] | None = None
        self._schema: Schema | None = None
        self._toolchain: Toolchain | None = None
        self._client: GeneratedClient | None = None

    @classmethod
    def check_options(cls, options: Mapping[str, Any]) -> None:
        parse_options(options)

    @classmethod
    def setting_sources(cls, database: DatabaseConfig, base_dir: Path) -> dict[str, tuple[Any, str]]:
        """``database.url`` as the engine will find it, and where from (``config show``)."""
        if database.url is not None:
            return {}
        try:
            resolved = resolve_database(database, base_dir)
        except PrismaInfraError as exc:
            return {"database.url": (None, f"not found by the prisma engine: {exc.message}")}
        return {"database.url": (resolved.url, resolved.url_source)}

    @property
    def options(self) -> EngineOptions:
        """``database.options``, validated."""
        return self._options

    @property
    def provider(self) -> str:
        return self._provider

    @property
    def pid(self) -> int | None:
        """The bridge process id, while it runs."""
        return self._bridge.pid if self._bridge is not None and self._bridge.alive else None

    # -- lifecycle ---------------------------------------------------------------------------

    def prepare(self) -> GeneratedClient:
        """Install the toolchain and generate the client (blocking; done once per schema)."""
        if self._client is None:
            self._toolchain = ensure_toolchain(install=self._options.install)
            self._client = ensure_client(self._schema_path, self._toolchain)
        return self._client

    async def start(self) -> None:
        await self._ensure()

    async def _ensure(self) -> Bridge:
        bridge = self._bridge
        if bridge is not None and bridge.alive:
            return bridge
        async with self._start_lock:
            if self._closed:
                raise EngineUnavailableError("the Prisma engine is closed")
            bridge = self._bridge
            if bridge is not None and bridge.alive:
                return bridge
            if bridge is not None:
                log.warning("restarting the Prisma bridge")
                await bridge.close(timeout=0.5)
            client = await asyncio.to_thread(self.prepare)
            assert self._toolchain is not None
            settings = {
                "provider": self._provider,
                "url": self._url,
                "poolSize": self._config.pool_size,
                "connectTimeoutMs": round(self._config.connect_timeout * 1000),
                "transactionTimeoutMs": round(self._config.transaction_timeout * 1000),
                "transactionMaxWaitMs": round(self._config.transaction_max_wait * 1000),
                "logQueries": self._options.log_queries,
                "adapterOptions": self._options.adapter,
                "busyPollUs": self._options.busy_poll,
            }
            env = self._toolchain.env({"PRISMA_INFRA_BRIDGE_CONFIG": orjson.dumps(settings).decode()})
            bridge = Bridge(
                [str(self._toolchain.node), str(shipped_js("bridge.cjs")), str(client.client), str(client.schema)],
                env=env,
                cwd=str(self._toolchain.root),
                errors=to_exception,
                start_timeout=self._options.start_timeout,
                busy_poll=self._options.busy_poll / 1e6,
            )
            started = time.perf_counter()
            await bridge.start()
            log.info(
                "Prisma bridge started (pid %s, node %s, %s) in %.0f ms",
                bridge.pid,
                bridge.info.get("node"),
                self._provider,
                (time.perf_counter() - started) * 1000,
            )
            self._bridge = bridge
            if self._options.colocate and bridge.pid is not None:
                colocate(bridge.pid)
            return bridge

    async def close(self) -> None:
        self._closed = True
        bridge, self._bridge = self._bridge, None
        if bridge is not None:
            await bridge.close()

    # -- operations --------------------------------------------------------------------------

    async def _call(
        self,
        model: str | None,
        action: str,
        args: Any,
        *,
        tx_id: str | None = None,
        timeout: float | None = None,
    ) -> Any:
        bridge = self._bridge
        if bridge is None or not bridge.alive:
            bridge = await self._ensure()
        async with self._semaphore:
            if not bridge.alive:  # died while we waited for a slot
                bridge = await self._ensure()
            return await bridge.request(
                model, action, args, tx_id=tx_id, timeout=self._timeout if timeout is None else timeout
            )

    async def execute(self, operation: Operation) -> Any:
        # The hot path: `_call` inlined and the semaphore taken without ``async with`` (coroutine
        # frames fewer per operation; ~5k of the ~120k instructions of the Python side, measured
        # with plugins/prisma/bench/python_side.py --valgrind).
        context = operation.context
        timeout = self._timeout
        deadline = context.deadline
        if deadline is not None:
            timeout = min(timeout, max(deadline - time.monotonic(), 0.001))
        model = operation.model
        action = operation.action.value
        schema = None
        if model is not None:  # LIKE wildcards in filter values escaped; raw SQL as it is
            schema = self._schema or await self._read_schema()
        args = prepare_args(schema, model, operation.action, operation.args)
        bridge = self._bridge
        if bridge is None or not bridge.alive:
            bridge = await self._ensure()
        semaphore = self._semaphore
        try:
            await semaphore.acquire()
            try:
                if not bridge.alive:  # died while we waited for a slot
                    bridge = await self._ensure()
                result = await bridge.request(model, action, args, tx_id=context.transaction, timeout=timeout)
            finally:
                semaphore.release()
        except UniqueConstraintError as exc:
            await self._resolve_index(exc)  # outside the slot: it may need one itself
            raise
        return result if schema is None else decode_result(schema, model, action, result)

    async def _read_schema(self) -> Schema:
        """The schema `prepare_args` walks arguments with (read once, from the datamodel served)."""
        if self._schema is None:
            self._schema = Schema.from_datamodel(await self.datamodel(), provider=self._provider)
        return self._schema

    async def _resolve_index(self, exc: UniqueConstraintError) -> None:
        """Fill in the fields of a unique error that names only an index (PostgreSQL, MariaDB)."""
        if exc.fields or not exc.constraint:
            return
        try:
            model, fields = fields_for_index(exc.constraint, await self.datamodel())
        except PrismaInfraError:
            return
        if fields:
            exc.fields = fields
            exc.model = exc.model or model
            exc.message = f"Unique constraint failed on {exc.model} ({', '.join(fields)})"
            exc.args = (exc.message,)

    async def execute_batch(self, operations: Sequence[Operation]) -> list[Any]:
        if not operations:
            return []
        tx_id = operations[0].context.transaction
        schema = self._schema or await self._read_schema()
        ops = [
            {"model": op.model, "action": op.action.value, "args": prepare_args(schema, op.model, op.action, op.args)}
            for op in operations
        ]
        try:
            result = await self._call(None, "$batch", {"operations": ops}, tx_id=tx_id, timeout=self._timeout)
        except UniqueConstraintError as exc:
            await self._resolve_index(exc)
            raise
        return [
            decode_result(schema, op.model, op.action.value, item) for op, item in zip(operations, result, strict=True)
        ]

    async def begin(
        self,
        *,
        timeout: float = 5.0,
        max_wait: float = 2.0,
        isolation_level: str | None = None,
    ) -> str:
        args: dict[str, Any] = {"timeout": timeout, "maxWait": max_wait}
        if isolation_level:
            args["isolationLevel"] = isolation_level
        try:
            tx_id = await self._call(None, "$begin", args, timeout=max_wait + self._timeout)
        except TransactionError:
            raise
        except PrismaInfraError as exc:
            if isinstance(exc, EngineUnavailableError):
                raise
            raise TransactionError(f"could not begin a transaction: {exc.message}", detail=exc.detail) from exc
        return str(tx_id)

    async def commit(self, transaction_id: str) -> None:
        await self._call(None, "$commit", None, tx_id=transaction_id)

    async def rollback(self, transaction_id: str) -> None:
        bridge = self._bridge
        if bridge is None or not bridge.alive:
            return  # the transaction died with its process: nothing to roll back
        await self._call(None, "$rollback", None, tx_id=transaction_id)

    async def ping(self) -> None:
        try:
            await self._call(None, "$ping", None, timeout=self._config.connect_timeout)
        except EngineUnavailableError:
            raise
        except PrismaInfraError as exc:
            raise EngineUnavailableError(f"the database cannot be reached: {exc.message}", detail=exc.detail) from exc

    async def datamodel(self) -> Mapping[str, Any]:
        if self._datamodel is None:
            datamodel = await self._call(None, "$datamodel", None)
            self._datamodel = mark_views(datamodel, [text for _, text in read_schema_files(self._schema_path)])
        return self._datamodel

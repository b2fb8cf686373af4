"""`AuditManager`: ``infra.audit`` — capture orchestration, per-transaction buffers, queries, export, verify.

Events of a write inside a transaction wait in memory under the transaction's
id and go to the writer when it commits (`on_commit`); a rollback drops them
(`discard`). A single write outside any transaction runs inside a transaction
the manager opens around it, so its before-image is read in the same
transaction, and its events are emitted once that transaction commits.

With ``audit.outbox`` on (an `OutboxRelay`), every write outside an engine batch
runs in a transaction — the caller's or one opened for it — and its events are
saved in the outbox in that transaction; once the writer stored them the relay
deletes the rows (`prisma_infra.audit.relay`).
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import logging
from collections import OrderedDict
from collections.abc import AsyncGenerator, Mapping, Sequence
from contextlib import aclosing
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import orjson

from prisma_infra.audit.anchor import Anchor, verify_anchored
from prisma_infra.audit.capture import AuditCapture
from prisma_infra.audit.chain import Hasher, VerifyResult
from prisma_infra.audit.events import EVENT_FIELDS, Event, actor_id, json_safe, make_event, parse_time, record_key
from prisma_infra.audit.types import AuditFilter, QueryableSink
from prisma_infra.audit.writer import AuditError, AuditWriter, SinkStatus
from prisma_infra.errors import ConfigurationError, PrismaInfraError
from prisma_infra.operation import WRITE_ACTIONS, Action, Operation
from prisma_infra.pipeline import Handler

if TYPE_CHECKING:
    from prisma_infra.audit.masking import PiiSeam
    from prisma_infra.audit.relay import OutboxRelay
    from prisma_infra.config.model import AuditConfig
    from prisma_infra.kernel import Kernel

__all__ = ["AuditManager"]

log = logging.getLogger("prisma_infra.audit")

_MAX_OPEN_TRANSACTIONS = 10_000
_SCOPED_BATCH = 500  # events checked against the policies per round trip
TimeBound = str | dt.datetime | dt.date | None


class AuditManager:
    """The audit trail of one runtime. Reach it as ``infra.audit``."""

    def __init__(
        self,
        kernel: Kernel,
        config: AuditConfig,
        writer: AuditWriter,
        capture: AuditCapture,
        seam: PiiSeam,
        *,
        skip_models: frozenset[str] = frozenset(),
        outbox: OutboxRelay | None = None,
    ) -> None:
        self._infra = kernel
        self.config = config
        self.writer = writer
        self.capture_ = capture
        self.seam = seam
        self._skip = skip_models
        self.outbox = outbox
        self._pending: OrderedDict[str, list[Event]] = OrderedDict()
        self._audited: dict[str, bool] = {}

    # -- capture ----------------------------------------------------------------------------

    def audits(self, operation: Operation) -> bool:
        """Whether ``operation`` (a write) produces events: raw writes always, models unless disabled."""
        model = operation.model
        if model is None:
            return operation.action is Action.EXECUTE_RAW
        # A model left out of the trail may still write, through nested writes or onDelete, rows of audited ones.
        capture = self.capture_
        return self._audits_model(model) or capture.has_nested(operation) or capture.cascades(operation)

    def batch_needs_transaction(self, operations: Sequence[Operation]) -> bool:
        """Whether ``infra.batch(operations)`` must run as an interactive transaction to be captured in it.

        A nested write's reads after it, a delete's cascaded rows, and the outbox's rows belong in the
        batch's transaction, which one engine batch call gives no access to.
        """
        capture = self.capture_
        for op in operations:
            if op.action not in WRITE_ACTIONS or not self.audits(op):
                continue
            if self.outbox is not None or capture.has_nested(op) or capture.cascades(op):
                return True
        return False

    def _audits_model(self, model: str) -> bool:
        found = self._audited.get(model)
        if found is None:
            setting = self._infra.config.model_settings(model).audit
            found = self._audited[model] = model not in self._skip and setting is not False
        return found

    def _kept(self, operation: Operation, events: list[Event]) -> list[Event]:
        """The events of audited models (a nested write's rows may belong to a model left out)."""
        if operation.model is None or operation.action.is_raw:
            return events
        return [e for e in events if self._audits_model(e["model"])]

    async def capture(self, operation: Operation, call: Handler) -> Any:
        """Run a write and record its events (see the module documentation)."""
        from prisma_infra.data.transaction import Transaction, in_batch

        tx_id = operation.context.transaction
        outbox = self.outbox
        own = tx_id is None and (outbox is not None or self.capture_.needs_transaction(operation)) and not in_batch()
        if not own:
            result, events = await self.capture_.run(operation, call)
            events = self._kept(operation, events)
            if tx_id is None:
                await self.emit(events)  # an engine batch (committed already) or a write without a transaction
            else:
                if outbox is not None:
                    await outbox.put(events, operation.context)
                self._hold(tx_id, events)
            return result
        database = self._infra.config.database
        tx = Transaction(self._infra, timeout=database.transaction_timeout, max_wait=database.transaction_max_wait)
        async with tx:
            inside = operation.with_context(transaction=tx.id)
            result, events = await self.capture_.run(inside, call)
            events = self._kept(operation, events)
            if outbox is not None:
                await outbox.put(events, inside.context)
        await self._relay(events)
        return result

    async def _relay(self, events: list[Event]) -> None:
        """Emit a committed write's events, then let the outbox drop its rows."""
        await self.emit(events)
        if self.outbox is not None and events:
            self.outbox.acknowledge(events)

    def _hold(self, tx_id: str, events: list[Event]) -> None:
        pending = self._pending.get(tx_id)
        if pending is None:
            if len(self._pending) >= _MAX_OPEN_TRANSACTIONS:
                dropped, lost = self._pending.popitem(last=False)
                log.error("audit: %d events of transaction %s dropped: too many open transactions", len(lost), dropped)
            pending = self._pending[tx_id] = []
        pending.extend(events)

    async def on_commit(self, transaction_id: str) -> None:
        """The transaction committed: emit its events (a transaction observer)."""
        events = self._pending.pop(transaction_id, None)
        if events:
            await self._relay(events)

    def discard(self, transaction_id: str) -> None:
        """The transaction rolled back: forget its events (a transaction observer)."""
        self._pending.pop(transaction_id, None)

    async def transaction_ended(self, transaction_id: str, *, committed: bool) -> None:
        """For code that drives ``engine.begin/commit`` itself: report how a transaction ended."""
        if committed:
            await self.on_commit(transaction_id)
        else:
            self.discard(transaction_id)

    async def emit(self, events: Sequence[Event]) -> None:
        """Chain and store ``events`` (durable when this returns)."""
        if not events:
            return
        try:
            await self.writer.submit(list(events))
        except AuditError as exc:
            await self._infra.raise_alert(
                {"name": "audit_not_stored", "severity": "critical", "message": str(exc), "source": "audit"}
            )
            raise

    async def record(
        self,
        action: str,
        *,
        model: str | None = None,
        record_id: Mapping[str, Any] | Any = None,
        details: Mapping[str, Any] | None = None,
        actor: Any = None,
    ) -> Event:
        """Add an application event to the trail (``action`` is free text: ``"login"``, ``"export"``...)."""
        from prisma_infra.context import current_context

        ambient = current_context()
        canonical = self._infra.schema.model(model).name if model is not None else None
        rid: Mapping[str, Any] | None
        if record_id is None or isinstance(record_id, Mapping):
            rid = record_id
        elif canonical is not None:
            keys = self.capture_.model(canonical).key_fields
            rid = {keys[0]: json_safe(record_id)} if len(keys) == 1 else None
        else:
            rid = {"id": json_safe(record_id)}
        event = make_event(
            model=canonical,
            action=action,
            actor=actor if actor is not None else ambient.actor,
            tenant=ambient.tenant,
            request_id=ambient.request_id,
            record_id=rid,
            details=details,
        )
        await self.emit([event])
        return event

    async def flush(self) -> None:
        """Wait until every event emitted so far is stored in each sink or its durable buffer."""
        await self.writer.flush()

    async def drain(self, timeout: float | None = None) -> bool:
        """Wait until every sink's durable buffer is replayed; False on timeout."""
        return await self.writer.drain(timeout)

    def status(self) -> list[SinkStatus]:
        """Per sink: ``ok`` or ``buffering``, events buffered, stored, failures, last error."""
        return self.writer.status()

    async def close(self) -> None:
        if self._pending:
            log.warning("audit: %d transactions still open at shutdown; their events are dropped", len(self._pending))
        if self.outbox is not None:
            await self.outbox.close()
        await self.writer.release()

    # -- reading ----------------------------------------------------------------------------

    def _source(self, sink: str | None) -> tuple[str, QueryableSink]:
        sinks = self.writer.sinks
        if sink is not None:
            found = sinks.get(sink)
            if found is None:
                raise ConfigurationError(f"audit sink {sink!r} is not configured (audit.sinks: {', '.join(sinks)})")
            if not isinstance(found, QueryableSink):
                raise ConfigurationError(f"audit sink {sink!r} cannot be queried (use 'file' or 'database')")
            return sink, found
        for name, candidate in sinks.items():
            if isinstance(candidate, QueryableSink):
                return name, candidate
        raise PrismaInfraError("No configured audit sink can be queried: add 'file' or 'database' to audit.sinks")

    def _filter(
        self,
        *,
        model: str | None = None,
        record_id: Any = None,
        actor: Any = None,
        action: str | None = None,
        since: TimeBound = None,
        until: TimeBound = None,
        chain: str | None = None,
    ) -> AuditFilter:
        canonical = self._infra.schema.model(model).name if model is not None else None
        key = None
        if record_id is not None:
            if isinstance(record_id, Mapping):
                key = record_key({k: json_safe(v) for k, v in record_id.items()})
            else:
                key = record_key({"id": json_safe(record_id)})
        return AuditFilter(
            model=canonical,
            record_key=key,
            actor=actor_id(actor) if actor is not None else None,
            action=action,
            since=parse_time(since),
            until=parse_time(until),
            chain=chain,
        )

    async def stream(
        self,
        *,
        model: str | None = None,
        record_id: Any = None,
        actor: Any = None,
        action: str | None = None,
        since: TimeBound = None,
        until: TimeBound = None,
        sink: str | None = None,
    ) -> AsyncGenerator[dict[str, Any], None]:
        """Matching events in trail order, streamed (``since`` inclusive, ``until`` exclusive).

        Every read of the trail (`stream`, `query`, `history`, `export`) goes through here, so
        the model's access policies always apply (`prisma_infra.audit.scoping`): events of
        records the ambient actor may not read are left out, fields it may not read are masked
        or removed. Events are checked in batches, so a scoped stream yields in bursts.
        """
        from prisma_infra.audit.scoping import AuditScope

        await self.flush()
        _, source = self._source(sink)
        criteria = self._filter(model=model, record_id=record_id, actor=actor, action=action, since=since, until=until)
        scope = AuditScope.current(self._infra, self.seam)
        if scope is None:
            async for event in source.read(criteria):
                yield event
            return
        batch: list[dict[str, Any]] = []
        async for event in source.read(criteria):
            batch.append(event)
            if len(batch) >= _SCOPED_BATCH:
                for shown in await scope.apply(batch):
                    yield shown
                batch = []
        for shown in await scope.apply(batch):
            yield shown

    async def query(
        self,
        *,
        model: str | None = None,
        record_id: Any = None,
        actor: Any = None,
        action: str | None = None,
        since: TimeBound = None,
        until: TimeBound = None,
        limit: int | None = None,
        sink: str | None = None,
    ) -> list[dict[str, Any]]:
        """Matching events in trail order (at most ``limit``), as the ambient actor may see them (see `stream`)."""
        found: list[dict[str, Any]] = []
        if limit is not None and limit <= 0:
            return found
        events = self.stream(
            model=model, record_id=record_id, actor=actor, action=action, since=since, until=until, sink=sink
        )
        async with aclosing(events):  # stopping at ``limit`` closes the sink's reader now, not at collection
            async for event in events:
                found.append(event)
                if limit is not None and len(found) >= limit:
                    break
        return found

    async def history(self, model: str, record_id: Any, *, sink: str | None = None) -> list[dict[str, Any]]:
        """Every event of one record, oldest first: ``await infra.audit.history("User", 5)``.

        Scoped by the model's access policies like `stream`.
        """
        return await self.query(model=model, record_id=record_id, sink=sink)

    async def export(
        self,
        path: str | Path,
        *,
        format: str = "jsonl",
        since: TimeBound = None,
        until: TimeBound = None,
        model: str | None = None,
        actor: Any = None,
        action: str | None = None,
        sink: str | None = None,
    ) -> int:
        """Write matching events to ``path`` as JSON lines (``jsonl``) or CSV; returns how many.

        The events are those `stream` gives the ambient actor: scoped by the access policies.
        """
        if format not in ("jsonl", "csv"):
            raise ConfigurationError(f"export format must be 'jsonl' or 'csv', not {format!r}")
        fh = await asyncio.to_thread(_open_export, Path(path))
        count = 0
        try:
            writer = csv.writer(fh) if format == "csv" else None
            rows: list[dict[str, Any]] = []

            def write(chunk: list[dict[str, Any]]) -> None:
                if writer is None:
                    fh.writelines(orjson.dumps(e).decode() + "\n" for e in chunk)
                else:
                    writer.writerows([_cell(e.get(name)) for name in EVENT_FIELDS] for e in chunk)

            if writer is not None:
                writer.writerow(EVENT_FIELDS)
            async for event in self.stream(
                model=model, actor=actor, action=action, since=since, until=until, sink=sink
            ):
                rows.append(event)
                count += 1
                if len(rows) >= 1000:
                    await asyncio.to_thread(write, rows)
                    rows = []
            await asyncio.to_thread(write, rows)
        finally:
            await asyncio.to_thread(fh.close)
        return count

    async def verify(
        self, *, sink: str | None = None, allow_truncated_start: bool = False, anchors: Sequence[Anchor] | None = None
    ) -> VerifyResult:
        """Check the hash chain of a queryable sink, and its tail against the latest anchors (``audit.anchor``).

        The result names the first bad event, or asks for the key (``needs_key``) when the
        trail is keyed and ``audit.hash_key`` is not set. ``anchors`` replaces the stored ones.
        """
        await self.flush()
        name, source = self._source(sink)
        heads: dict[str, tuple[int, str]] = {}
        recorded = self.writer.recorded_head()
        if recorded is not None and not self.writer.is_buffering(name):
            heads[self.writer.chain] = recorded
        if anchors is None:
            anchors = await self.writer.anchors()
        return await verify_anchored(
            source.read(None),
            self.writer.hasher,
            anchors,
            sink=name,
            expected_heads=heads,
            allow_truncated_start=allow_truncated_start,
        )

    @staticmethod
    def hasher_for(config: AuditConfig) -> Hasher:
        key = config.hash_key.get_secret_value() if config.hash_key is not None else None
        return Hasher(key)


def _open_export(path: Path) -> TextIO:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.open("w", encoding="utf-8", newline="")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()

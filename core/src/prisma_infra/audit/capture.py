"""`AuditCapture`: runs one write and builds its audit events (before/after images, diff, ids).

Before-images are read with the engine directly (never through the cache) in
the write's own transaction: the caller opens one around a single write that
is not in a transaction yet (see `AuditManager.capture`). ``updateMany`` and
``deleteMany`` read the matching rows first, ``read_batch_size`` at a time in
key order; ``updateMany`` reads the after-images by key once written.
``createMany`` runs as ``createManyAndReturn`` where the provider can return
rows (PostgreSQL, SQLite) and still answers ``{"count": n}``; elsewhere the
after-images are the data given. A ``create``/``update``/``upsert`` with nested
writes gives one event per row it touches (`prisma_infra.audit.nested`). Rows a
delete changes through ``onDelete`` (``Cascade``, ``SetNull``...) are read before
it and get events of their own (`prisma_infra.audit.cascade`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from prisma_infra.audit.cascade import Cascade, Referencing, referencing
from prisma_infra.audit.events import Event, image, json_safe, key_of, make_event
from prisma_infra.audit.nested import has_nested, run_nested
from prisma_infra.cache.sql import TableMap, analyze, mask_sql, raw_sql
from prisma_infra.data.keyset import rows_after
from prisma_infra.data.model_info import key_orders
from prisma_infra.data.prisma_args import and_where, keys_where
from prisma_infra.operation import Action, Operation
from prisma_infra.pipeline import Handler

if TYPE_CHECKING:
    from prisma_infra.audit.masking import PiiSeam
    from prisma_infra.providers.engine import Engine
    from prisma_infra.schema import Model, Schema

__all__ = ["AuditCapture", "ModelAudit"]

#: Writes whose before-image is read first.
BEFORE_ACTIONS = frozenset({Action.UPDATE, Action.UPSERT, Action.DELETE, Action.UPDATE_MANY, Action.DELETE_MANY})
_DELETES = frozenset({Action.DELETE, Action.DELETE_MANY})
_UPDATES = frozenset({Action.UPDATE, Action.UPDATE_MANY, Action.UPSERT})
_RETURNING_PROVIDERS = frozenset({"postgresql", "sqlite"})
_RAW_SQL_KEPT = 2000


@dataclass(frozen=True, slots=True)
class ModelAudit:
    """What capture needs to know about one model, computed once."""

    name: str
    key_fields: tuple[str, ...]
    key_name: str
    scalars: tuple[str, ...]
    key_orders: Mapping[str, tuple[Any, ...]]
    """Enum and Boolean key fields' values in order (`prisma_infra.data.keyset`)."""

    @classmethod
    def build(cls, model: Model, schema: Schema) -> ModelAudit:
        if model.primary_key is not None:
            keys, key_name = tuple(model.primary_key.fields), model.primary_key.key
        elif model.unique_constraints:
            keys, key_name = tuple(model.unique_constraints[0].fields), model.unique_constraints[0].key
        else:
            keys, key_name = (), ""
        scalars = tuple(f.name for f in model.fields if f.kind != "object")
        return cls(model.name, keys, key_name, scalars, key_orders(schema, model, keys))

    def where_unique(self, key: Mapping[str, Any]) -> dict[str, Any]:
        if len(self.key_fields) == 1:
            return {self.key_fields[0]: key[self.key_fields[0]]}
        return {self.key_name: {f: key[f] for f in self.key_fields}}


def _plain(value: Any) -> bool:
    """A data value written as is (not ``{"increment": 1}``, ``{"set": ...}`` or a nested write)."""
    return not isinstance(value, Mapping)


class AuditCapture:
    """Builds the events of writes for one runtime."""

    def __init__(
        self,
        schema: Schema,
        engine: Engine,
        seam: PiiSeam,
        *,
        read_batch_size: int = 1000,
        before_images: bool = True,
    ) -> None:
        self.schema = schema
        self.before_images = before_images
        self.engine = engine
        self.seam = seam
        self.read_batch_size = read_batch_size
        self._models: dict[str, ModelAudit] = {}
        self._referencing: dict[tuple[str, str], tuple[Referencing, ...]] = {}
        self._tables = TableMap(schema)
        try:
            provider = engine.provider
        except Exception:
            provider = schema.provider or ""
        self.returning = provider in _RETURNING_PROVIDERS

    def needs_transaction(self, op: Operation) -> bool:
        """Whether ``op`` reads rows before it writes (so must run in a transaction with its reads)."""
        if self.before_images and op.action in BEFORE_ACTIONS:
            return True
        return self.has_nested(op) or self.cascades(op)

    def has_nested(self, op: Operation) -> bool:
        """Whether ``op`` writes related rows through nested writes."""
        return op.model is not None and has_nested(op, self.schema.model(op.model), self.schema)

    def cascades(self, op: Operation) -> bool:
        """Whether ``op`` changes other rows through ``onDelete`` or ``onUpdate`` (`prisma_infra.audit.cascade`)."""
        if op.model is None:
            return False
        if op.action in _DELETES:
            return bool(self.referencing(op.model))
        return op.action in _UPDATES and bool(self.rekeyed(op))

    def rekeyed(self, op: Operation) -> set[str]:
        """The fields other rows reference that an update writes (its ``onUpdate`` carries them there)."""
        data = op.args.get("update" if op.action is Action.UPSERT else "data")
        if op.model is None or not isinstance(data, Mapping):
            return set()
        return {f for ref in self.referencing(op.model, "on_update") for f in ref.references if f in data}

    def referencing(self, model: str, trigger: str = "on_delete") -> tuple[Referencing, ...]:
        found = self._referencing.get((model, trigger))
        if found is None:
            name = self.schema.model(model).name
            found = self._referencing[(model, trigger)] = referencing(self.schema, name, trigger)
        return found

    def model(self, name: str) -> ModelAudit:
        found = self._models.get(name)
        if found is None:
            found = self._models[name] = ModelAudit.build(self.schema.model(name), self.schema)
        return found

    # -- reading ------------------------------------------------------------------------------

    async def _read(self, op: Operation, model: str, action: Action, args: dict[str, Any]) -> Any:
        # Straight to the engine, in the write's transaction: fresh rows, never a cached answer.
        return await self.engine.execute(Operation(model, action, args, op.context))

    async def _read_unique(self, op: Operation, info: ModelAudit, where: Mapping[str, Any]) -> dict[str, Any] | None:
        found = await self._read(op, info.name, Action.FIND_UNIQUE, {"where": dict(where)})
        return dict(found) if found is not None else None

    async def _read_matching(
        self, op: Operation, info: ModelAudit, where: Mapping[str, Any] | None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """Every row matching ``where`` in key order, read in batches (at most ``limit``)."""
        keys = info.key_fields
        rows: list[dict[str, Any]] = []
        last: Any = None
        args: dict[str, Any] = {"where": where} if where else {}

        def read(action: Action, query: dict[str, Any]) -> Any:
            return self._read(op, info.name, action, query)

        while limit is None or len(rows) < limit:
            take = self.read_batch_size if limit is None else min(self.read_batch_size, limit - len(rows))
            if keys:
                batch = await rows_after(read, args, keys, info.key_orders, last, take, info.name)
            else:
                batch = await read(Action.FIND_MANY, {**args, "take": take})
            rows.extend(dict(r) for r in batch)
            if len(batch) < take or not keys:
                break
            last = tuple(batch[-1][f] for f in keys) if len(keys) > 1 else batch[-1][keys[0]]
        return rows

    async def _read_keys(self, op: Operation, info: ModelAudit, keys: Sequence[Any]) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        size = self.read_batch_size
        for i in range(0, len(keys), size):
            chunk = keys[i : i + size]
            where = keys_where(info.key_fields, chunk)
            rows.extend(await self._read(op, info.name, Action.FIND_MANY, {"where": where}))
        return rows

    # -- events -------------------------------------------------------------------------------

    def event(
        self,
        op: Operation,
        info: ModelAudit,
        before: Mapping[str, Any] | None,
        after: Mapping[str, Any] | None,
        *,
        action: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> Event:
        raw_before = image(before, info.scalars)
        raw_after = image(after, info.scalars)
        masked_before = self.seam.mask(info.name, raw_before, "audit")
        masked_after = self.seam.mask(info.name, raw_after, "audit")
        changes = None
        if raw_before is not None or raw_after is not None:
            old, new = raw_before or {}, raw_after or {}
            changed = [f for f in dict.fromkeys([*old, *new]) if old.get(f) != new.get(f)]
            changes = {f: {"from": (masked_before or {}).get(f), "to": (masked_after or {}).get(f)} for f in changed}
        record_id = key_of(after, info.key_fields) or key_of(before, info.key_fields)
        ctx = op.context
        return make_event(
            model=info.name,
            action=action or op.action.value,
            actor=ctx.actor,
            tenant=ctx.tenant,
            request_id=ctx.request_id,
            transaction=ctx.transaction,
            operation_id=op.id,
            record_id=record_id,
            before=masked_before,
            after=masked_after,
            changes=changes,
            details=details,
        )

    # -- running ------------------------------------------------------------------------------

    async def run(self, op: Operation, call: Handler) -> tuple[Any, list[Event]]:
        """Run ``op`` through ``call`` and return its result and events (``op`` carries its transaction)."""
        action = op.action
        if action.is_raw or op.model is None:
            result = await call(op)
            return result, self._raw_events(op, result)
        info = self.model(op.model)
        if self.has_nested(op):
            return await run_nested(self, op, call, info)
        if action is Action.CREATE:
            result = await call(op)
            after = self._merged(op.args.get("data"), result, info) if self._partial(op) else result
            return result, [self.event(op, info, None, after)]
        if action in (Action.CREATE_MANY, Action.CREATE_MANY_AND_RETURN):
            return await self._create_many(op, call, info)
        if action in (Action.UPDATE, Action.UPSERT, Action.DELETE):
            return await self._single(op, call, info)
        if action in (Action.UPDATE_MANY, Action.DELETE_MANY):
            return await self._many(op, call, info)
        return await call(op), []

    @staticmethod
    def _partial(op: Operation) -> bool:
        return bool(op.args.get("select") or op.args.get("omit"))

    @staticmethod
    def _merged(data: Any, result: Any, info: ModelAudit) -> dict[str, Any]:
        merged = {k: v for k, v in (data or {}).items() if k in info.scalars and _plain(v)}
        merged.update(result or {})
        return merged

    async def _create_many(self, op: Operation, call: Handler, info: ModelAudit) -> tuple[Any, list[Event]]:
        if op.action is Action.CREATE_MANY_AND_RETURN:
            rows = await call(op)
            partial = self._partial(op)
            return rows, [self.event(op, info, None, r if not partial else self._merged({}, r, info)) for r in rows]
        data = op.args.get("data")
        records = [data] if isinstance(data, Mapping) else list(data or [])
        if self.returning and not op.args.get("select"):
            returning = Operation(op.model, Action.CREATE_MANY_AND_RETURN, op.args, op.context, op.id, op.state)
            rows = await call(returning)
            return {"count": len(rows)}, [self.event(op, info, None, r) for r in rows]
        result = await call(op)
        # No RETURNING (MySQL): the after-images are the records given; skipDuplicates may have dropped some.
        details = {"count_written": json_safe(result.get("count") if isinstance(result, Mapping) else result)}
        return result, [self.event(op, info, None, r, details=details) for r in records]

    async def _single(self, op: Operation, call: Handler, info: ModelAudit) -> tuple[Any, list[Event]]:
        where = op.args.get("where") or {}
        cascade = Cascade(self, op) if self.cascades(op) else None
        before = await self._read_unique(op, info, where) if self.before_images or cascade else None
        if cascade is not None and before is not None:
            await cascade.read(info.name, [before], self.rekeyed(op))
        result = await call(op)
        if op.action is Action.DELETE:
            events = [self.event(op, info, before if before is not None else result, None)]
            if cascade is not None and before is not None:
                events += await cascade.events([cascade.ident(info.name, before)])
            return result, events
        after: Any = result
        if self._partial(op):
            key = self._raw_key(op, info, result, before)
            if key is not None:
                after = await self._read_unique(op, info, info.where_unique(key))
        details = {"created": before is None} if op.action is Action.UPSERT and self.before_images else None
        events = [self.event(op, info, before if self.before_images else None, after, details=details)]
        if cascade is not None and before is not None:
            here = cascade.ident(info.name, before)
            events += await cascade.events([here], updated={here: after} if isinstance(after, Mapping) else {})
        return result, events

    @staticmethod
    def _raw_key(
        op: Operation, info: ModelAudit, result: Any, before: Mapping[str, Any] | None
    ) -> dict[str, Any] | None:
        """The written record's key as the database wants it: from the result, the data, or the before-image."""
        fields = info.key_fields
        if not fields:
            return None
        if isinstance(result, Mapping) and all(f in result for f in fields):
            return {f: result[f] for f in fields}
        upserted = "update" if before is not None else "create"
        source = "data" if op.action in (Action.UPDATE, Action.CREATE) else upserted
        data = op.args.get(source) or {}
        key: dict[str, Any] = {}
        for f in fields:
            if f in data and _plain(data[f]):
                key[f] = data[f]
            elif before is not None and f in before:
                key[f] = before[f]
            else:
                return None
        return key

    async def _many(self, op: Operation, call: Handler, info: ModelAudit) -> tuple[Any, list[Event]]:
        where = op.args.get("where")
        limit = op.args.get("limit")
        cascade = Cascade(self, op) if self.cascades(op) else None
        if not self.before_images and cascade is None:  # a cascade needs the rows
            # Without before-images the rows are unknown: one event for the statement.
            result = await call(op)
            count = result.get("count") if isinstance(result, Mapping) else result
            fields = sorted(where) if isinstance(where, Mapping) else []
            return result, [self.event(op, info, None, None, details={"count": json_safe(count), "filter": fields})]
        befores = await self._read_matching(op, info, where, limit if isinstance(limit, int) else None)
        keys = info.key_fields
        run = op
        if isinstance(limit, int) and keys:
            # Which rows a limited write picks is up to the database: pin it to the rows read.
            pinned = [tuple(r[f] for f in keys) if len(keys) > 1 else r[keys[0]] for r in befores]
            args = {k: v for k, v in op.args.items() if k != "limit"}
            args["where"] = and_where(where, keys_where(keys, pinned)) or {}
            run = Operation(op.model, op.action, args, op.context, op.id, op.state)
        if cascade is not None:
            await cascade.read(info.name, befores, self.rekeyed(op))
        result = await call(run)
        if op.action is Action.DELETE_MANY:
            events = [self.event(op, info, b, None) for b in befores]
            if cascade is not None:
                own = [cascade.ident(info.name, b) for b in befores]
                events += await cascade.events(own, skip=own)
            return result, events
        if not keys:
            return result, [
                self.event(op, info, b, None, details={"after": "unknown: the model has no key"}) for b in befores
            ]
        pinned_keys = [tuple(b[f] for f in keys) if len(keys) > 1 else b[keys[0]] for b in befores]
        afters = {
            (tuple(r[f] for f in keys) if len(keys) > 1 else r[keys[0]]): r
            for r in await self._read_keys(op, info, pinned_keys)
        }
        kept = befores if self.before_images else [None] * len(befores)
        events = [self.event(op, info, b, afters.get(k)) for b, k in zip(kept, pinned_keys, strict=True)]
        if cascade is not None:
            own = [cascade.ident(info.name, b) for b in befores]
            updated = {i: afters[k] for i, k in zip(own, pinned_keys, strict=True) if k in afters}
            events += await cascade.events(own, skip=own, updated=updated)
        return result, events

    def _raw_events(self, op: Operation, result: Any) -> list[Event]:
        """One event per model declared in ``args["models"]`` (else one without a model).

        The SQL is kept with its literals masked and the parameters counted, never their values;
        rows a ``queryRaw ... RETURNING`` gave back are counted, not stored. ``written`` names the
        models the SQL writes as the kernel reads it (``None``: unknown, it may write any).
        """
        declared = op.args.get("models") or ()
        if isinstance(declared, str):
            declared = (declared,)
        models: list[str | None] = [self.schema.model(m).name for m in declared] or [None]
        sql = raw_sql(op.args)
        provider = self.schema.provider
        written = self._tables.written(analyze(sql, provider)) if sql is not None else None
        details = {
            "sql": mask_sql(sql, provider, limit=_RAW_SQL_KEPT) if sql is not None else None,
            "params": len(op.args.get("params") or ()),
            "affected": len(result) if isinstance(result, list) else result if isinstance(result, int) else None,
            "written": sorted(written) if written is not None else None,
        }
        ctx = op.context
        return [
            make_event(
                model=m,
                action=op.action.value,
                actor=ctx.actor,
                tenant=ctx.tenant,
                request_id=ctx.request_id,
                transaction=ctx.transaction,
                operation_id=op.id,
                details=details,
            )
            for m in models
        ]

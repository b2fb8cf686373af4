"""`PolicyMiddleware`: enforces access policies on every operation, before validation and cache.

- reads: the row filter is AND-ed into ``where`` (``findUnique`` runs as
  ``findFirst`` with the same where, compound keys expanded — see below); a
  record outside the filter is simply not found (``None``/``[]``/``0``);
  to-many ``include``/``select`` get the related model's filter, included
  to-one records the actor may not read become ``None``;
- create: every data row is checked in memory against the create filter;
- update/delete (and the ``Many`` forms): the filter joins ``where``, so a row
  outside it is "not found" (`RecordNotFoundError` for ``update``/``delete``);
- upsert: the update filter joins ``where`` and the create data is checked;
- fields: forbidden writes raise `FieldWriteDeniedError`; results are masked
  (nested records too, and ``groupBy``/``aggregate`` values).

Why ``findFirst``: Prisma 5+ accepts non-unique filters in a ``findUnique``
where (``extendedWhereUnique`` is GA), but batches concurrent ``findUnique``
calls through its dataloader, where extended wheres have returned wrong
results (prisma/prisma#23343). ``findFirst`` with the same where returns the
same single record (the unique key still selects at most one) and is not
batched.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from prisma_infra.operation import READ_ACTIONS, Action, Operation, OperationContext
from prisma_infra.pipeline import Handler, Middleware
from prisma_infra.policies.engine import PolicyEngine, policies_bypassed
from prisma_infra.policies.evaluator import MissingRelationError
from prisma_infra.policies.masking import pii_masker
from prisma_infra.policies.reads import ReadScope as _Scope
from prisma_infra.policies.reads import scope_read, scope_result, scope_selection, scope_where, scoped_context
from prisma_infra.policies.registry import PolicyRegistry
from prisma_infra.policies.rules import AccessDeniedError, Plan
from prisma_infra.policies.where import include_for, merge_where, relations_needed

if TYPE_CHECKING:
    from prisma_infra.infrastructure import Infrastructure
    from prisma_infra.runtime import Runtime
    from prisma_infra.schema import Model

__all__ = ["PolicyMiddleware", "policy_registry"]

_READS = READ_ACTIONS - {Action.QUERY_RAW}  # raw SQL is gated by policies.raw_roles instead
_CREATES = frozenset({Action.CREATE, Action.CREATE_MANY, Action.CREATE_MANY_AND_RETURN})
_FILTERED_WRITES = frozenset({Action.UPDATE, Action.UPDATE_MANY, Action.DELETE, Action.DELETE_MANY})
_NESTED_FK_OPS = frozenset({"connect", "disconnect"})


def policy_registry(infrastructure: Infrastructure) -> PolicyRegistry:
    """The infrastructure's code-defined policies (kept across reloads)."""
    registry: PolicyRegistry | None = infrastructure.__dict__.get("_policy_registry")
    if registry is None:
        registry = PolicyRegistry()
        infrastructure.__dict__["_policy_registry"] = registry
    return registry


class PolicyMiddleware(Middleware):
    """Access policies (see the module docstring). Publishes the engine as ``runtime.extras["policies"]``."""

    name = "policies"
    order = 20

    def __init__(self, infrastructure: Infrastructure) -> None:
        self.infrastructure = infrastructure
        self.engine: PolicyEngine | None = None
        self.runtime: Runtime | None = None

    async def start(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.engine = PolicyEngine.from_config(
            runtime.config, self.infrastructure.schema, policy_registry(self.infrastructure)
        )
        try:
            import prisma_infra.pii  # noqa: F401  (the PII package provides the masking strategies)
        except ImportError:  # pragma: no cover - the kernel ships it; a trimmed install masks to None
            pass
        else:
            self.engine.masker = pii_masker(self.infrastructure)
        runtime.extras["policies"] = self.engine

    async def close(self) -> None:
        if self.engine is not None:
            self.engine.close()

    def wrap(self, call: Handler) -> Handler:
        async def handler(operation: Operation) -> Any:
            engine = self.engine
            if engine is None or not engine.enabled or policies_bypassed():
                return await call(operation)
            if operation.action.is_raw or operation.model is None:  # raw SQL is gated by action, named model or not
                self._check_raw(engine, operation)
                return await call(operation)
            if not engine.governs(operation.model) and not engine.models:
                return await call(operation)
            return await self._run(engine, operation, call)

        return handler

    # -- the operation -----------------------------------------------------------------------

    def _check_raw(self, engine: PolicyEngine, operation: Operation) -> None:
        if engine.raw_roles is None:
            return
        actor = engine.view(operation.context.actor, operation.context.tenant)
        if not (engine.raw_roles & actor.roles):
            raise AccessDeniedError(
                f"Raw SQL ({operation.action.value}) is allowed only to roles {sorted(engine.raw_roles)} "
                "(policies.raw_roles).",
                policy="policies.raw_roles",
                rule="raw",
                action=operation.action.value,
            )

    async def _run(self, engine: PolicyEngine, operation: Operation, call: Handler) -> Any:
        ctx = operation.context
        actor = engine.view(ctx.actor, ctx.tenant)
        scope = _Scope(engine, actor, operation.action)
        model = engine.schema.model(operation.model or "")
        action = operation.action
        args = dict(operation.args)
        if action in _READS:
            args, action = self._scope_read(scope, model, action, args)
        elif action in _CREATES:
            await self._scope_create(scope, model, action, args, ctx)
        elif action in _FILTERED_WRITES:
            plan = self._plan(scope, model.name, action)
            if action in (Action.UPDATE, Action.UPDATE_MANY):
                self._check_data(scope, model, action, args.get("data") or {})
                await self._check_links(scope, model, args.get("data") or {}, ctx)
            args["where"] = merge_where(scope_where(scope, model, args.get("where")), plan.filter)
        elif action is Action.UPSERT:
            update_plan = self._plan(scope, model.name, Action.UPDATE)
            create_plan = self._plan(scope, model.name, Action.CREATE)
            self._check_data(scope, model, Action.UPDATE, args.get("update") or {})
            self._check_data(scope, model, Action.CREATE, args.get("create") or {})
            for data in (args.get("update") or {}, args.get("create") or {}):
                await self._check_links(scope, model, data, ctx)
            await self._check_create_row(scope, model, create_plan, args.get("create") or {}, ctx)
            args["where"] = merge_where(scope_where(scope, model, args.get("where")), update_plan.filter)
        args = scope_selection(scope, model, args)
        scoped = dataclasses.replace(operation, action=action, args=args, context=scoped_context(ctx, actor))
        result = await call(scoped)
        return scope_result(scope, model, action, result)

    @staticmethod
    def _plan(scope: _Scope, model: str, action: Action) -> Plan:
        plan = scope.engine.plan(scope.actor, model, action)
        if plan.denial is not None:
            raise plan.denial.error(model, action.value)
        return plan

    def _scope_read(
        self, scope: _Scope, model: Model, action: Action, args: dict[str, Any]
    ) -> tuple[dict[str, Any], Action]:
        return scope_read(scope, model, action, args)  # see prisma_infra.policies.reads

    async def _scope_create(
        self, scope: _Scope, model: Model, action: Action, args: dict[str, Any], ctx: OperationContext
    ) -> None:
        plan = self._plan(scope, model.name, action)
        data = args.get("data")
        rows = data if isinstance(data, list | tuple) else [data or {}]
        for row in rows:
            self._check_data(scope, model, action, row)
            await self._check_links(scope, model, row, ctx)
            await self._check_create_row(scope, model, plan, row, ctx)

    def _check_data(self, scope: _Scope, model: Model, action: Action, data: Any) -> None:
        if not isinstance(data, Mapping):
            return
        scope.engine.check_write(scope.actor, model.name, action, _with_foreign_keys(model, data))
        for key, value in data.items():
            field = model.get_field(key)
            if field is None or not field.is_relation or not isinstance(value, Mapping):
                continue
            target = field.type
            if not scope.engine.governs(target):
                continue
            relation = field.relation
            for op in value:
                if op in _NESTED_FK_OPS and relation is not None and relation.holds_foreign_key:
                    continue
                raise AccessDeniedError(
                    f"Nested '{op}' of {target} through {model.name}.{key} is not checked against {target}'s "
                    f"policies: write {target} with its own operation.",
                    policy=None,
                    rule="nested-write",
                    model=model.name,
                    action=op,
                )

    async def _check_links(self, scope: _Scope, model: Model, data: Any, ctx: OperationContext) -> None:
        """Refuse linking (by foreign key or ``connect``) a row of a governed model the actor cannot read.

        The same error whether the row is missing or unreadable, so the refusal reveals nothing.
        """
        if not isinstance(data, Mapping):
            return
        assert self.runtime is not None
        for field in model.relation_fields:
            relation = field.relation
            if relation is None or not relation.holds_foreign_key or not scope.engine.governs(field.type):
                continue
            value = data.get(field.name)
            connect = value.get("connect") if isinstance(value, Mapping) else None
            if isinstance(connect, Mapping):
                keys: Mapping[str, Any] = connect
            else:
                pairs = zip(relation.fields, relation.references, strict=False)
                keys = {ref: data[fk] for fk, ref in pairs if fk in data}
                if not keys or any(v is None or isinstance(v, Mapping) for v in keys.values()):
                    continue
            plan = scope.read_plan(field.type)
            where = keys if plan.filter is None else merge_where(keys, plan.filter)
            found = None
            if plan.denial is None:
                lookup = Operation(
                    model=field.type,
                    action=Action.FIND_FIRST,
                    args={"where": where, "select": {ref: True for ref in relation.references}},
                    context=OperationContext(transaction=ctx.transaction, deadline=ctx.deadline),
                )
                found = await self.runtime.engine.execute(lookup)
            if found is None:
                raise AccessDeniedError(
                    f"{model.name}.{field.name} links a {field.type} that does not exist or that the actor may not "
                    "read.",
                    policy=plan.denial.policy if plan.denial is not None else plan.default_policy,
                    rule="link-unreadable",
                    model=model.name,
                    action="connect",
                )

    async def _check_create_row(
        self, scope: _Scope, model: Model, plan: Plan, data: Any, ctx: OperationContext
    ) -> None:
        if plan.filter is None or not isinstance(data, Mapping):
            return
        record = self._record_from_data(model, data)
        tree = relations_needed(scope.engine.schema, model, plan.filter)
        if tree:
            await self._load_relations(model, record, tree, ctx)
        try:
            decision = plan.decide(record, schema=scope.engine.schema)
        except MissingRelationError as exc:  # pragma: no cover - _load_relations fills every relation
            raise AccessDeniedError(exc.message, policy=plan.default_policy, model=model.name) from exc
        if not decision.allowed:
            raise AccessDeniedError(
                f"create on {model.name} denied: the data is outside what the policies allow. {decision.reason}",
                policy=decision.policy,
                rule=decision.rule,
                model=model.name,
                action="create",
            )

    @staticmethod
    def _record_from_data(model: Model, data: Mapping[str, Any]) -> dict[str, Any]:
        """The row a create would produce, as far as it is known: scalars, connected keys, literal defaults."""
        record: dict[str, Any] = {}
        for key, value in data.items():
            field = model.get_field(key)
            if field is not None and field.is_relation:
                relation = field.relation
                connect = value.get("connect") if isinstance(value, Mapping) else None
                if relation is not None and relation.holds_foreign_key and isinstance(connect, Mapping):
                    for fk, ref in zip(relation.fields, relation.references, strict=False):
                        if ref in connect:
                            record[fk] = connect[ref]
                continue
            record[key] = value
        for field in model.scalar_fields:
            if field.name not in record and field.default is not None and not field.default.is_function:
                record[field.name] = field.default.value
        return record

    async def _load_relations(
        self, model: Model, record: dict[str, Any], tree: Mapping[str, Any], ctx: OperationContext
    ) -> None:
        """Fill the relations a create filter reads: to-one targets by foreign key, to-many as empty."""
        assert self.runtime is not None
        for key, subtree in tree.items():
            field = model.field(key)
            relation = field.relation
            if field.is_list:
                record[key] = []
                continue
            if relation is None or not relation.holds_foreign_key:
                record[key] = None
                continue
            keys = {ref: record.get(fk) for fk, ref in zip(relation.fields, relation.references, strict=False)}
            if any(v is None for v in keys.values()):
                record[key] = None
                continue
            args: dict[str, Any] = {"where": keys}
            if subtree:
                args["include"] = include_for(subtree)
            lookup = Operation(
                model=field.type,
                action=Action.FIND_FIRST,
                args=args,
                context=OperationContext(transaction=ctx.transaction, deadline=ctx.deadline),
            )
            record[key] = await self.runtime.engine.execute(lookup)


def _with_foreign_keys(model: Model, data: Mapping[str, Any]) -> Mapping[str, Any]:
    """``data`` with each relation that holds a foreign key standing for its key fields.

    ``{"tenant": {"connect": ...}}`` writes ``tenantId`` as surely as ``{"tenantId": ...}``
    does, so field rules on the key fields must see it.
    """
    out: dict[str, Any] | None = None
    for key in data:
        field = model.get_field(key)
        relation = field.relation if field is not None and field.is_relation else None
        if relation is None or not relation.holds_foreign_key:
            continue
        if out is None:
            out = dict(data)
        for fk in relation.fields:
            out.setdefault(fk, None)
    return data if out is None else out

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
from prisma_infra.policies.cursors import check_cursors
from prisma_infra.policies.decider import PolicyDecider, policies_bypassed
from prisma_infra.policies.masking import pii_masker
from prisma_infra.policies.reads import ReadScope as _Scope
from prisma_infra.policies.reads import scope_read, scope_result, scope_selection, scope_where, scoped_context
from prisma_infra.policies.rules import AccessDeniedError, AccessPlan
from prisma_infra.policies.service import POLICIES, PolicyReadAccess, policy_registry
from prisma_infra.policies.where import merge_where
from prisma_infra.policies.writes import WriteCheck
from prisma_infra.ports.row_filters import ROW_FILTERS

if TYPE_CHECKING:
    from prisma_infra.kernel import Kernel
    from prisma_infra.runtime import Runtime
    from prisma_infra.schema import Model

__all__ = ["PolicyMiddleware", "policy_registry"]

_READS = READ_ACTIONS - {Action.QUERY_RAW}  # raw SQL is gated by policies.raw_roles instead
_CREATES = frozenset({Action.CREATE, Action.CREATE_MANY, Action.CREATE_MANY_AND_RETURN})
_FILTERED_WRITES = frozenset({Action.UPDATE, Action.UPDATE_MANY, Action.DELETE, Action.DELETE_MANY})


class PolicyMiddleware(Middleware):
    """Access policies (see the module docstring). Publishes the decider under `POLICIES` and its
    read access under `prisma_infra.ports.row_filters.ROW_FILTERS`."""

    name = "policies"
    order = 20

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        self.decider: PolicyDecider | None = None
        self.runtime: Runtime | None = None

    @property
    def engine(self) -> PolicyDecider | None:
        """Deprecated name of `decider`."""
        return self.decider

    async def start(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.decider = PolicyDecider.from_config(runtime.config, self.kernel.schema, policy_registry(self.kernel))
        self.decider.masker = pii_masker(self.kernel)
        runtime.services[POLICIES] = self.decider
        runtime.services[ROW_FILTERS] = PolicyReadAccess(self.decider)

    async def close(self) -> None:
        if self.decider is not None:
            self.decider.close()

    def wrap(self, call: Handler) -> Handler:
        async def handler(operation: Operation) -> Any:
            decider = self.decider
            if decider is None or not decider.enabled or policies_bypassed():
                return await call(operation)
            if operation.action.is_raw or operation.model is None:  # raw SQL is gated by action, named model or not
                self._check_raw(decider, operation)
                return await call(operation)
            if not decider.governs(operation.model) and not decider.models:
                return await call(operation)
            return await self._run(decider, operation, call)

        return handler

    # -- the operation -----------------------------------------------------------------------

    def _check_raw(self, decider: PolicyDecider, operation: Operation) -> None:
        if decider.raw_roles is None:
            return
        actor = decider.view(operation.context.actor, operation.context.tenant)
        if not (decider.raw_roles & actor.roles):
            raise AccessDeniedError(
                f"Raw SQL ({operation.action.value}) is allowed only to roles {sorted(decider.raw_roles)} "
                "(policies.raw_roles).",
                policy="policies.raw_roles",
                rule="raw",
                action=operation.action.value,
            )

    async def _run(self, decider: PolicyDecider, operation: Operation, call: Handler) -> Any:
        ctx = operation.context
        actor = decider.view(ctx.actor, ctx.tenant)
        scope = _Scope(decider, actor, operation.action)
        model = decider.schema.model(operation.model or "")
        action = operation.action
        args = dict(operation.args)
        if action in _READS:
            args, action = self._scope_read(scope, model, action, args)
        elif action in _CREATES:
            await self._scope_create(scope, model, action, args, ctx)
        elif action in _FILTERED_WRITES:
            plan = self._plan(scope, model.name, action)
            where = scope_where(scope, model, args.get("where"))
            if action in (Action.UPDATE, Action.UPDATE_MANY) and "data" in args:
                known = where if isinstance(where, Mapping) else None
                args["data"] = await self._writes(scope, ctx).data(model, action, args["data"], known=known)
            args["where"] = merge_where(where, plan.filter)
        elif action is Action.UPSERT:
            update_plan = self._plan(scope, model.name, Action.UPDATE)
            writes = self._writes(scope, ctx)
            where = scope_where(scope, model, args.get("where"))
            if "update" in args:
                known = where if isinstance(where, Mapping) else None
                args["update"] = await writes.data(model, Action.UPDATE, args["update"], known=known)
            args["create"] = await writes.create(model, Action.CREATE, args.get("create") or {})
            args["where"] = merge_where(where, update_plan.filter)
        args = scope_selection(scope, model, args)
        if scope.cursors:  # cursors on rows the actor may not read find nothing (prisma_infra.policies.cursors)
            assert self.runtime is not None
            await check_cursors(scope, self.runtime.engine.execute, ctx)
        scoped = dataclasses.replace(operation, action=action, args=args, context=scoped_context(ctx, actor))
        result = await call(scoped)
        return scope_result(scope, model, action, result)

    @staticmethod
    def _plan(scope: _Scope, model: str, action: Action) -> AccessPlan:
        plan = scope.decider.plan(scope.actor, model, action)
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
        writes = self._writes(scope, ctx)
        data = args.get("data")
        if isinstance(data, list | tuple):
            args["data"] = [await writes.create(model, action, row) for row in data]
        elif "data" in args:
            args["data"] = await writes.create(model, action, data)
        else:
            writes.plan(model.name, action)  # validation names the missing data; the denial comes first

    def _writes(self, scope: _Scope, ctx: OperationContext) -> WriteCheck:
        assert self.runtime is not None
        return WriteCheck(scope, self.runtime.engine.execute, ctx)

"""Access policies on analytics queries, the same on the Prisma path and on the raw-SQL path.

The caller (the ambient actor) gets the model's read plan: a denial refuses the
query; the row filter is AND-ed into the SQL (the Prisma path runs through the
policies middleware, which adds it there). Fields a field rule masks or hides
for the caller are never grouped, aggregated, bucketed or filtered on: they are
refused by name (`FieldReadDeniedError`), whatever the rule's ``on_query`` — a
metric or group column cannot be dropped without changing the result's shape —
except in the filter, where ``on_query = "drop"`` removes the condition as in
any other read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from prisma_infra.context import current_context
from prisma_infra.errors import PrismaInfraError
from prisma_infra.operation import Action
from prisma_infra.policies.engine import PolicyEngine, policies_bypassed
from prisma_infra.policies.reads import ReadScope, scope_where

if TYPE_CHECKING:
    from prisma_infra.infrastructure import Infrastructure
    from prisma_infra.schema.model import Field, Model

__all__ = ["apply_policies"]


def apply_policies(
    infrastructure: Infrastructure,
    model: Model,
    where: Mapping[str, Any] | None,
    used: Sequence[tuple[Field, str]],
) -> tuple[Mapping[str, Any] | None, Mapping[str, Any] | None]:
    """``(row filter, where)`` for the caller: the filter to AND into raw SQL, the query's own filter as allowed.

    :param used: the fields the query computes on, each with what it does (``"analytics group_by"``, ...).
    :raises AccessDeniedError: the caller may not read the model.
    :raises FieldReadDeniedError: a used field is masked or hidden for the caller.
    """
    try:
        engine = infrastructure.runtime.extras.get("policies")
    except PrismaInfraError:
        return None, where
    if not isinstance(engine, PolicyEngine) or not engine.enabled or policies_bypassed():
        return None, where
    ambient = current_context()
    actor = engine.view(ambient.actor, ambient.tenant)
    plan = engine.plan(actor, model.name, Action.FIND_MANY)
    if plan.denial is not None:
        raise plan.denial.error(model.name, Action.AGGREGATE.value)
    scope = ReadScope(engine, actor, Action.AGGREGATE)
    for field, usage in used:
        scope.keep(model.name, field.name, usage, droppable=False)
    scoped = scope_where(scope, model, where, usage="analytics where") if where else where
    return plan.filter, scoped

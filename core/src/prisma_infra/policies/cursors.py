"""A cursor on a row the actor may not read finds what one on a missing row finds: nothing.

Prisma positions a ``cursor`` on the cursor row's values before any ``where``
applies, so paging after a row the policies hide would reveal where that row
sorts (and that it exists). `scope_args` (`prisma_infra.policies.reads`)
notes every cursor on a model with a row filter, at the top level and in
included to-many relations; `check_cursors` looks each one up with that filter
and, when the actor may not read the row, makes that level's ``where`` false:
the read then returns what Prisma returns for a missing cursor row.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from prisma_infra.operation import Action, Operation, OperationContext
from prisma_infra.policies.evaluator import FALSE_FILTER
from prisma_infra.policies.reads import ReadScope
from prisma_infra.policies.where import expand_unique, merge_where

__all__ = ["check_cursors"]

Execute = Callable[[Operation], Awaitable[Any]]


async def check_cursors(scope: ReadScope, execute: Execute, ctx: OperationContext) -> None:
    """One look-up per noted cursor, on ``execute`` (the engine, below the policies), in ``ctx``'s transaction."""
    for model, cursor, args in scope.cursors:
        keys = model.id_fields or tuple(f.name for f in model.scalar_fields[:1])
        lookup = Operation(
            model=model.name,
            action=Action.FIND_FIRST,
            args={"where": merge_where(expand_unique(model, cursor), scope.related_filter(model.name)),
                  "select": dict.fromkeys(keys, True)},
            context=OperationContext(transaction=ctx.transaction, deadline=ctx.deadline),
        )
        if await execute(lookup) is None:
            args["where"] = dict(FALSE_FILTER)

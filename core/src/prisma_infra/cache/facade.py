"""`ModelCache`: ``infra.cache_for("user")`` (``infra.cache.for_model("user")``)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from prisma_infra.context import current_context
from prisma_infra.operation import Action, CacheOptions, Operation, OperationContext
from prisma_infra.ports.row_filters import ROW_FILTERS, ScopedRead
from prisma_infra.schema.limits import check_input

if TYPE_CHECKING:
    from prisma_infra.cache.manager import CacheManager

__all__ = ["ModelCache"]


class ModelCache:
    """The cache as seen from one model."""

    def __init__(self, manager: CacheManager, model: str) -> None:
        self.manager = manager
        self.model = model

    def _operation(
        self, action: Action | str, args: Mapping[str, Any] | None, tags: tuple[str, ...], key: str | None
    ) -> Operation:
        ambient = current_context()
        context = OperationContext(
            actor=ambient.actor,
            tenant=ambient.tenant,
            request_id=ambient.request_id,
            deadline=time.monotonic() + 30.0,
            cache=CacheOptions(tags=tags, key=key) if tags or key else None,
        )
        operation = Operation(model=self.model, action=Action(action), args=dict(args or {}), context=context)
        # An entry point of its own (no pipeline): the early input check, before policies and the key walk.
        check_input(self.model, operation.action.value, operation.args, provider=self.manager.schema.provider)
        return operation

    async def get(
        self,
        action: Action | str = Action.FIND_MANY,
        args: Mapping[str, Any] | None = None,
        *,
        default: Any = None,
        tags: tuple[str, ...] = (),
        key: str | None = None,
    ) -> Any:
        """The cached result of ``action(args)`` for the ambient actor/tenant, or ``default`` (no engine call).

        ``args`` are the arguments as the caller gave them to the read (validation normally
        leaves them unchanged). The access policies apply as to that read: the entry looked up
        is the one the scoped read filled (row filter in ``where``), a field the actor may not
        read is refused in ``args`` (`FieldReadDeniedError`), and the value comes back masked.
        """
        operation, finish = self._scoped(self._operation(action, args, tags, key))
        found, value = await self.manager.peek(operation)
        return finish(value) if found else default

    async def contains(self, action: Action | str = Action.FIND_MANY, args: Mapping[str, Any] | None = None) -> bool:
        operation, _ = self._scoped(self._operation(action, args, (), None))
        found, _ = await self.manager.peek(operation)
        return found

    def _scoped(self, operation: Operation) -> ScopedRead:
        """``operation`` as the policies middleware sends it on, and the scoping of its result."""
        access = self.manager.services.get(ROW_FILTERS)
        if access is None:  # the policies middleware is disabled: nothing to apply
            return operation, _same
        return access.scope_read(operation)

    async def invalidate(self) -> None:
        """Invalidate every entry that read this model (its own and those that include it), everywhere."""
        await self.manager.invalidate(models=[self.model])

    async def clear(self) -> None:
        """`invalidate`, and free the in-process memory held by this model's own entries."""
        await self.manager.clear_model(self.model)

    def explain(self, action: Action | str = Action.FIND_MANY, args: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return self.manager.explain(self._operation(action, args, (), None))

    def stats(self) -> dict[str, Any]:
        """Hits, misses, stale hits, fills, bytes and hit latency per tier for this model."""
        return self.manager.model_stats(self.model)


def _same(value: Any) -> Any:
    return value

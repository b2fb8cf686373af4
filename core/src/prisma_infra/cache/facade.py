"""`ModelCache`: ``infra.cache_manager.for_model("user")``."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from prisma_infra.context import current_context
from prisma_infra.operation import Action, CacheOptions, Operation, OperationContext

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
        return Operation(model=self.model, action=Action(action), args=dict(args or {}), context=context)

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

        ``args`` must be the arguments as the cache saw them (after validation, which
        normally leaves them unchanged).
        """
        found, value = await self.manager.peek(self._operation(action, args, tags, key))
        return value if found else default

    async def contains(self, action: Action | str = Action.FIND_MANY, args: Mapping[str, Any] | None = None) -> bool:
        found, _ = await self.manager.peek(self._operation(action, args, (), None))
        return found

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

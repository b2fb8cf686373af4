"""`Invalidator`: what a write, ``invalidate`` or ``clear`` makes invalid, in every process.

A write bumps the generation of every model it changed, after it ran (also when
it failed: it may have committed). Inside a transaction the tags are bumped at
once and again when it commits, since entries filled in between read the
pre-commit state; a rollback forgets them.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING, Any

from prisma_infra.cache.keys import ALL_TAG, model_tag, user_tag

if TYPE_CHECKING:
    from prisma_infra.cache.planner import Planner
    from prisma_infra.cache.reads import Handler
    from prisma_infra.cache.stats import Counters
    from prisma_infra.cache.tasks import Background
    from prisma_infra.cache.tiers import Tiers
    from prisma_infra.operation import Operation

__all__ = ["Invalidator"]

_MAX_OPEN_TRANSACTIONS = 10_000


class Invalidator:
    """Writes and explicit invalidation of one runtime's cache; a transaction observer."""

    def __init__(self, planner: Planner, tiers: Tiers, counters: Counters, background: Background) -> None:
        self.planner = planner
        self.tiers = tiers
        self.counters = counters
        self.background = background
        #: Tags written by each open transaction, bumped again on its commit (oldest dropped first).
        self._transactions: OrderedDict[str, set[str]] = OrderedDict()

    async def write(self, operation: Operation, call: Handler) -> Any:
        """Run a write, then invalidate what it changed (also when it failed: it may have committed)."""
        try:
            result = await call(operation)
        except asyncio.CancelledError:
            self.background.spawn(self.invalidate_operation(operation))
            raise
        except Exception:
            await self.invalidate_operation(operation)
            raise
        await self.invalidate_operation(operation)
        return result

    async def invalidate_operation(self, operation: Operation) -> None:
        """Invalidate what a write changed; inside a transaction, again when it commits (`on_commit`)."""
        try:
            models = self.planner.written_models(operation)
        except Exception:
            models = None
        tags = [ALL_TAG] if models is None else [model_tag(m) for m in models]
        tx = operation.context.transaction
        if tx is not None:
            pending = self._transactions.get(tx)
            if pending is None:
                if len(self._transactions) >= _MAX_OPEN_TRANSACTIONS:
                    self._transactions.popitem(last=False)
                pending = self._transactions[tx] = set()
            pending.update(tags)
        await self.bump(tags)

    async def on_commit(self, transaction_id: str) -> None:
        """The transaction committed: invalidate (again) every model its writes changed."""
        tags = self._transactions.pop(transaction_id, None)
        if tags:
            await self.bump(tags)

    def discard(self, transaction_id: str) -> None:
        """The transaction rolled back: forget its writes."""
        self._transactions.pop(transaction_id, None)

    async def invalidate(self, *, tags: Iterable[str] = (), models: Iterable[str] = ()) -> None:
        """Invalidate every entry carrying one of the user ``tags`` or reading one of ``models``, everywhere."""
        schema = self.planner.schema
        bumped = [user_tag(t) for t in tags] + [model_tag(schema.model(m).name) for m in models]
        if bumped:
            await self.bump(bumped)

    async def clear(self) -> None:
        """Invalidate every entry in every process; free the in-process tiers."""
        await self.bump([ALL_TAG])
        for store in self.tiers.local_stores():
            await store.clear()

    async def clear_model(self, model: str) -> None:
        """Invalidate every entry reading ``model``; free the in-process memory of its own entries."""
        name = self.planner.schema.model(model).name
        await self.bump([model_tag(name)])
        for tier in self.tiers.by_name.values():
            if tier.local is not None:
                tier.local.delete_prefix(self.planner.entry_prefix(tier, name))

    async def bump(self, tags: Collection[str]) -> None:
        self.counters.invalidations += 1
        await self.tiers.bump(tags)

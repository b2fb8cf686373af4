"""`CacheManager`: the cache of one runtime, composed of collaborators with one job each.

* `Tiers` (`prisma_infra.cache.tiers`): the stores, their breakers, the generation domains;
* `Planner` (`.planner`): per-model rules, the key, tags and TTLs of a read (`explain`);
* `ReadPath` (`.reads`): nearest tier first, single-flight, fills, stale-while-revalidate;
* `Invalidator` (`.invalidator`): writes, ``invalidate``/``clear``, transaction commits;
* `Warmer` (`.warmer`): the ``cache.warm`` queries;
* `prisma_infra.cache.stats`: the counters and the `stats` report.

Time is read and waited on through one `prisma_infra.clock.Clock` (the kernel's).
``docs/caching.md`` gives the reasoning.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from prisma_infra.cache.facade import ModelCache
from prisma_infra.cache.invalidator import Invalidator
from prisma_infra.cache.planner import Planner
from prisma_infra.cache.reads import Handler, ReadPath
from prisma_infra.cache.stats import Counters, model_report, report
from prisma_infra.cache.tasks import Background
from prisma_infra.cache.tiers import MANAGER_OPTIONS, Tiers
from prisma_infra.cache.validator import Validators
from prisma_infra.cache.warmer import Warmer
from prisma_infra.clock import SYSTEM_CLOCK, Clock
from prisma_infra.stash import Services

if TYPE_CHECKING:
    from prisma_infra.cache.rules import CachePlan
    from prisma_infra.config.model import CacheConfig, InfraConfig
    from prisma_infra.operation import Operation
    from prisma_infra.plugin_manager import Registration
    from prisma_infra.schema.model import Schema

__all__ = ["MANAGER_OPTIONS", "CacheManager", "Handler"]


class CacheManager:
    """The cache of one runtime, published under `prisma_infra.cache.service.CACHE`.

    :param clock: where the tiers, breakers and generations read time and wait (default: the system's).
    """

    def __init__(
        self,
        config: InfraConfig,
        schema: Schema,
        backends: Mapping[str, Registration],
        *,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.config: CacheConfig = config.cache
        self.infra_config = config
        self.schema = schema
        self.enabled = self.config.enabled
        self.clock = clock
        self.counters = Counters()
        self.background = Background()
        self.tiers = Tiers(config, backends, clock)
        self.planner = Planner(config, schema, self.tiers, enabled=self.enabled)
        self.reads = ReadPath(self.config, self.planner, self.counters, self.background, clock)
        self.invalidator = Invalidator(self.planner, self.tiers, self.counters, self.background)
        self.warmer = Warmer(config, schema, self.background, clock)
        self.validators = Validators(self.planner)
        #: The runtime's services: `ModelCache.get` scopes its results with their read access (`ROW_FILTERS`).
        self.services = Services()

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self, runner: Handler | None = None) -> None:
        """Build every configured store, connect them, start the generation sync and warming.

        :param runner: runs an operation through the pipeline (used for warming).
        """
        self.planner.rules(None)
        for model in self.schema.model_names:
            self.planner.rules(model)
        await self.tiers.start(self.background)
        await self.warmer.start(runner)

    async def close(self) -> None:
        await self.background.close()
        await self.tiers.close()

    # -- reads -----------------------------------------------------------------------------

    async def read(self, operation: Operation, call: Handler) -> Any:
        """Answer a read from the nearest valid tier, or run ``call`` once per key and fill the tiers."""
        return await self.reads.read(operation, call)

    async def peek(self, operation: Operation) -> tuple[bool, Any]:
        """``(True, value)`` when a valid entry (fresh or within its SWR window) exists, else ``(False, None)``."""
        return await self.reads.peek(operation)

    async def refresh(self, operation: Operation) -> Any:
        """Run ``operation`` through the pipeline and store its result whatever the cache holds (warming)."""
        return await self.warmer.refresh(operation)

    # -- keys and plans --------------------------------------------------------------------

    def plan(self, operation: Operation) -> CachePlan | None:
        """The plan of a read (``None`` when it is not cacheable: no scope, raw SQL on unknown tables)."""
        return self.planner.plan(operation, self.planner.rules(operation.model), operation.context.cache)

    def is_write(self, operation: Operation) -> bool:
        """A write to invalidate after: every write action, and a ``queryRaw`` whose SQL writes."""
        return self.planner.is_write(operation)

    def written_models(self, operation: Operation) -> frozenset[str] | None:
        """Models a write changes (views included); ``None`` means unknown: everything."""
        return self.planner.written_models(operation)

    def explain(self, operation: Operation) -> dict[str, Any]:
        """How the cache treats ``operation``: key, tags, tiers, ttl, swr (or why it is not cached)."""
        return self.planner.explain(operation)

    async def validator(self, operation: Operation) -> str | None:
        """A string that changes exactly when the entry of the read ``operation`` would be dropped (HTTP ETags).

        ``None`` when the read is not cacheable or the shared store is unreachable; ask
        before running the read (`prisma_infra.ports.caching.CacheValidator`).
        """
        return await self.validators.validator(operation, self.services)

    # -- writes and invalidation -----------------------------------------------------------

    async def write(self, operation: Operation, call: Handler) -> Any:
        """Run a write, then invalidate what it changed (also when it failed: it may have committed)."""
        return await self.invalidator.write(operation, call)

    async def invalidate_operation(self, operation: Operation) -> None:
        """Invalidate what a write changed; inside a transaction, again when it commits (`on_commit`)."""
        await self.invalidator.invalidate_operation(operation)

    async def on_commit(self, transaction_id: str) -> None:
        """The transaction committed: invalidate (again) every model its writes changed."""
        await self.invalidator.on_commit(transaction_id)

    def discard(self, transaction_id: str) -> None:
        """The transaction rolled back: forget its writes."""
        self.invalidator.discard(transaction_id)

    async def invalidate(self, *, tags: Iterable[str] = (), models: Iterable[str] = ()) -> None:
        """Invalidate every entry carrying one of the user ``tags`` or reading one of ``models``, everywhere."""
        await self.invalidator.invalidate(tags=tags, models=models)

    async def clear(self) -> None:
        """Invalidate every entry in every process; free the in-process tiers."""
        await self.invalidator.clear()

    async def clear_model(self, model: str) -> None:
        """Invalidate every entry reading ``model``; free the in-process memory of its own entries."""
        await self.invalidator.clear_model(model)

    # -- warming ---------------------------------------------------------------------------

    def warm_operations(self) -> list[Operation]:
        """The operations ``cache.warm`` declares: ``{model, action = "findMany", args, tenant, actor}``."""
        return self.warmer.operations()

    async def warm(self) -> dict[str, int]:
        """Run every ``cache.warm`` query and store its result; failures are logged, not raised."""
        return await self.warmer.warm()

    # -- introspection ---------------------------------------------------------------------

    def for_model(self, model: str) -> ModelCache:
        """The cache as seen from ``model``: ``get``, ``contains``, ``invalidate``, ``clear``, ``stats``."""
        return ModelCache(self, self.schema.model(model).name)

    def stats(self) -> dict[str, Any]:
        """Hits, misses, stale hits, fills, bytes and hit latency per model and tier; store health."""
        return report(
            enabled=self.enabled,
            rules=self.planner.all_rules(),
            stores=self.tiers.stats(),
            counters=self.counters,
            in_flight=len(self.reads.flights),
        )

    def model_stats(self, model: str) -> dict[str, Any]:
        return model_report(self.planner.rules(model))

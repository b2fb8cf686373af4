"""`CacheMiddleware`: the pipeline step that answers reads from the cache and invalidates on writes."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from prisma_infra.cache.exchange import shared_exchange
from prisma_infra.cache.manager import CacheManager
from prisma_infra.cache.service import CACHE
from prisma_infra.data.transaction import earlier_in_batch
from prisma_infra.operation import READ_ACTIONS, Action, Operation
from prisma_infra.pipeline import Handler, Middleware
from prisma_infra.ports.caching import CACHE_EXPLAIN, CACHE_VALIDATOR, SHARED_STORE
from prisma_infra.ports.transactions import TRANSACTION_OBSERVERS

if TYPE_CHECKING:
    from prisma_infra.kernel import Kernel
    from prisma_infra.runtime import Runtime

__all__ = ["CACHE_STATE", "CacheMiddleware"]

#: ``operation.state`` key read by the metrics middleware (``hit``, ``miss``, ``bypass``).
CACHE_STATE = "cache"

log = logging.getLogger("prisma_infra.cache")


def _written_before(manager: CacheManager, earlier: tuple[Operation, ...], read: Operation) -> bool:
    """Whether a write among ``earlier`` (operations of the same batch) changed a model ``read`` reads."""
    written: set[str] = set()
    try:
        for operation in earlier:
            if manager.is_write(operation):
                models = manager.written_models(operation)
                if models is None:  # raw SQL on unknown tables: it may have changed anything
                    return True
                written.update(models)
        if not written:
            return False
        models_read = manager.planner.models_read(read)
    except Exception:  # unknown: the safe answer is the database's
        return True
    return models_read is None or not written.isdisjoint(models_read)


class CacheMiddleware(Middleware):
    """Builds the runtime's `CacheManager` at start and publishes it under `CACHE` in ``runtime.services``.

    It sits inside validation and access policies (``order = 300``), so keys are
    computed from the arguments the engine will really receive (policy row
    filters included) and from the same actor/tenant scope.
    """

    name = "cache"
    order = 300

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        self.manager: CacheManager | None = None

    def wrap(self, call: Handler) -> Handler:
        if self.manager is not None and not self.manager.enabled:  # started with cache.enabled = false
            return call
        reads = READ_ACTIONS
        raw_query = Action.QUERY_RAW

        async def handler(operation: Operation) -> Any:
            manager = self.manager
            if manager is None or not manager.enabled:
                return await call(operation)
            if operation.action not in reads or (operation.action is raw_query and manager.is_write(operation)):
                return await manager.write(operation, call)
            if operation.context.transaction is not None:
                operation.state[CACHE_STATE] = "bypass"
                return await manager.reads.read(operation, call)
            earlier = earlier_in_batch()
            if earlier and _written_before(manager, earlier, operation):
                # The batch's engine transaction has changed what this read sees: neither answer
                # it from an entry filled before the batch, nor fill one with it before commit.
                operation.state[CACHE_STATE] = "bypass"
                manager.counters.transaction_bypasses += 1
                return await call(operation)
            reached: list[bool] = []

            async def engine(op: Operation) -> Any:
                reached.append(True)
                return await call(op)

            result = await manager.reads.read(operation, engine)
            # For the metrics middleware outside: whether this read reached the engine.
            operation.state[CACHE_STATE] = "miss" if reached else "hit"
            return result

        return handler

    async def start(self, runtime: Runtime) -> None:
        kernel = self.kernel
        manager = CacheManager(runtime.config, kernel.schema, runtime.registry["cache_stores"], clock=kernel.clock)
        runtime.services[CACHE] = manager
        runtime.services[CACHE_EXPLAIN] = manager  # query.explain() asks the cache through its port
        runtime.services[CACHE_VALIDATOR] = manager  # the REST API's ETags
        # Entries filled between a write in a transaction and its commit are retired on commit.
        runtime.services.add(TRANSACTION_OBSERVERS, manager)
        manager.services = runtime.services  # the facade's reads are scoped by the runtime's read access
        self.manager = manager
        # Warming runs through the whole pipeline (validation, policies) of this runtime, after the
        # early input check that `Kernel.execute` runs (the validation middleware skips it).

        async def runner(operation: Operation) -> Any:
            kernel.check_input(operation, runtime)
            return await runtime.handler(operation)  # the chain composed last

        await manager.start(runner=runner)
        exchange = shared_exchange(manager.tiers, runtime.config.cache.tiers)
        if exchange is not None:  # the dashboard's process documents (prisma_infra.monitoring.deployment)
            runtime.services[SHARED_STORE] = exchange

    async def close(self) -> None:
        manager, self.manager = self.manager, None
        if manager is not None:
            await manager.close()

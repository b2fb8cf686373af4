"""`Warmer`: the ``cache.warm`` queries, run at start and every ``warm_interval`` seconds.

A warming read goes through the whole pipeline of its runtime (validation,
policies) so that its key is the key ordinary reads of the same query
compute; the ``REFRESH`` flag makes the read path fill it whatever it holds.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from prisma_infra.cache.reads import REFRESH
from prisma_infra.errors import ConfigurationError
from prisma_infra.operation import READ_ACTIONS, Action, CacheOptions, Operation, OperationContext

if TYPE_CHECKING:
    from prisma_infra.cache.reads import Handler
    from prisma_infra.cache.tasks import Background
    from prisma_infra.clock import Clock
    from prisma_infra.config.model import InfraConfig
    from prisma_infra.schema.model import Schema

__all__ = ["Warmer"]

log = logging.getLogger("prisma_infra.cache")


class Warmer:
    def __init__(self, config: InfraConfig, schema: Schema, background: Background, clock: Clock) -> None:
        self.infra_config = config
        self.schema = schema
        self.background = background
        self.clock = clock
        #: Runs an operation through the runtime's pipeline (set by `start`).
        self.runner: Handler | None = None

    async def start(self, runner: Handler | None) -> None:
        self.runner = runner
        cache = self.infra_config.cache
        if cache.warm and runner is not None:
            await self.warm()
            if cache.warm_interval:
                self.background.loop(self._loop(cache.warm_interval), name="cache-warm")

    def operations(self) -> list[Operation]:
        """The operations ``cache.warm`` declares: ``{model, action = "findMany", args, tenant, actor}``."""
        out = []
        for i, item in enumerate(self.infra_config.cache.warm):
            model = item.get("model")
            try:
                action = Action(item.get("action", "findMany"))
            except ValueError:
                raise ConfigurationError(
                    f"cache.warm[{i}].action: {item.get('action')!r} is not a Prisma action",
                    problems=[f"cache.warm[{i}].action"],
                ) from None
            if action not in READ_ACTIONS:
                raise ConfigurationError(f"cache.warm[{i}].action: {action.value} is not a read",
                                         problems=[f"cache.warm[{i}].action"])
            canonical = self.schema.model(model).name if model else None
            context = OperationContext(
                tenant=item.get("tenant"),
                actor=item.get("actor"),
                # Operation deadlines are on the process's clock, as the pipeline checks them.
                deadline=time.monotonic() + self.infra_config.database.operation_timeout,
                cache=CacheOptions(ttl=item.get("ttl"), swr=item.get("swr"), tags=tuple(item.get("tags", ()))),
            )
            out.append(Operation(model=canonical, action=action, args=dict(item.get("args") or {}), context=context))
        return out

    async def refresh(self, operation: Operation) -> Any:
        """Run ``operation`` through the pipeline and store its result whatever the cache holds."""
        if self.runner is None:
            raise RuntimeError("the cache manager has no pipeline to run operations (not started by a runtime)")
        operation.state[REFRESH] = True
        return await self.runner(operation)

    async def warm(self) -> dict[str, int]:
        """Run every ``cache.warm`` query and store its result; failures are logged, not raised."""
        done = failed = 0
        for operation in self.operations():
            try:
                await self.refresh(operation)
                done += 1
            except Exception as exc:
                failed += 1
                log.warning("cache warming of %s.%s failed: %s", operation.model, operation.action.value, exc)
        return {"warmed": done, "failed": failed}

    async def _loop(self, interval: float) -> None:
        while True:
            await self.clock.sleep(interval)
            await self.warm()

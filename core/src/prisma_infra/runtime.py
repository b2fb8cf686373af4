"""`Runtime`: the providers built for one configuration, swapped in as one unit.

An operation takes the runtime current when it starts and finishes on it, so a
reload never changes providers under an operation in flight.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from prisma_infra.config.model import InfraConfig
from prisma_infra.errors import ConfigurationError, PluginError
from prisma_infra.pipeline import Handler, Middleware, compose, order_middleware
from prisma_infra.plugin_manager import PluginManager
from prisma_infra.providers import Engine
from prisma_infra.registry import PROVIDER_HOOKS, Registry, collect_registry, select_engine, unknown_provider
from prisma_infra.stash import Services

if TYPE_CHECKING:
    from prisma_infra.kernel import Kernel
    from prisma_infra.operation import Operation

log = logging.getLogger("prisma_infra.runtime")

__all__ = ["PROVIDER_HOOKS", "Registry", "Runtime", "build_middleware", "collect_registry", "select_engine"]


def build_middleware(registry: Registry, config: InfraConfig, kernel: Kernel) -> list[Middleware]:
    """Every enabled middleware, built by its factory from the kernel port, outermost first."""
    available = registry["middleware"]
    for name in (*config.pipeline.order, *config.pipeline.disable):
        if name not in available:
            raise unknown_provider("pipeline.order", name, available)
    built = [reg.factory(kernel) for name, reg in available.items() if name not in config.pipeline.disable]
    return order_middleware(built, config.pipeline.order)


async def _completed(
    plugins: PluginManager, operation: Operation, result: Any, error: Exception | None, started: float
) -> None:
    duration = time.perf_counter() - started
    await plugins.notify("operation_completed", operation=operation, result=result, error=error, duration=duration)


@dataclass(slots=True)
class Runtime:
    """One configuration's providers and the composed pipeline."""

    config: InfraConfig
    registry: Registry
    engine: Engine
    middleware: list[Middleware]
    handler: Handler
    notify_completed: bool = False
    #: What this runtime's features publish for each other and the facade (`prisma_infra.ports`).
    services: Services = field(default_factory=Services)
    #: Operations and open transactions using this runtime; a retired runtime closes at zero.
    users: int = 0
    retired: bool = False
    _idle: asyncio.Event = field(default_factory=asyncio.Event)

    def hold(self) -> None:
        self.users += 1

    def release(self) -> None:
        self.users -= 1
        if self.users == 0 and self.retired:
            self._idle.set()

    async def run(self, operation: Operation, plugins: PluginManager) -> Any:
        """Run ``operation`` through this runtime's pipeline, counted as in flight; observers of
        ``operation_completed`` are told its outcome and duration when any plugin implements it."""
        self.users += 1
        try:
            if not self.notify_completed:
                return await self.handler(operation)
            started = time.perf_counter()
            try:
                result = await self.handler(operation)
            except Exception as exc:
                await _completed(plugins, operation, None, exc, started)
                raise
            await _completed(plugins, operation, result, None, started)
            return result
        finally:
            self.release()

    async def retire(self, *, close_engine: bool, grace: float = 30.0) -> None:
        """Stop taking work; wait (up to ``grace`` seconds) for what is in flight, then close."""
        self.retired = True
        if self.users > 0:
            try:
                await asyncio.wait_for(self._idle.wait(), grace)
            except TimeoutError:
                log.warning("closing the previous configuration with %d operation(s) still in flight", self.users)
        await self.close(engine=close_engine)

    @classmethod
    def build(
        cls,
        config: InfraConfig,
        registry: Registry,
        engine: Engine,
        kernel: Kernel,
        plugins: PluginManager,
    ) -> Runtime:
        middleware = build_middleware(registry, config, kernel)
        return cls(
            config=config,
            registry=registry,
            engine=engine,
            middleware=middleware,
            handler=compose(middleware, engine.execute),
            notify_completed=plugins.has_implementations("operation_completed"),
        )

    async def start(self) -> None:
        """Start every middleware; on failure close the ones already started and re-raise."""
        started: list[Middleware] = []
        try:
            for middleware in self.middleware:
                try:
                    await middleware.start(self)
                except (ConfigurationError, PluginError):
                    raise
                except Exception as exc:
                    registration = self.registry["middleware"].get(middleware.name)
                    plugin = registration.plugin if registration else "unknown"
                    raise PluginError(
                        f"Middleware {middleware.name!r} of plugin {plugin!r} failed to start: "
                        f"{type(exc).__name__}: {exc}",
                        plugin=plugin,
                    ) from exc
                started.append(middleware)
            # Composed again now that every middleware knows its configuration: one with nothing to
            # do under it (no audit sink, cache disabled) leaves itself out of the chain.
            self.handler = compose(self.middleware, self.engine.execute)
        except BaseException:
            for middleware in reversed(started):
                await middleware.close()
            raise

    async def close(self, *, engine: bool = True) -> None:
        """Close middleware (innermost first), then the engine unless it is shared with a successor."""
        for middleware in reversed(self.middleware):
            await middleware.close()
        if engine:
            await self.engine.close()

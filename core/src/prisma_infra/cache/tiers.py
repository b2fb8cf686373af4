"""`Tiers`: the configured stores, each behind its circuit breaker, and the generation domains.

A tier is built the first time a model's rules list it. Every store but the
built-in in-process one is read through the generic path, with the generation
counters of its tags kept in the store itself (`SharedDomain`, synced by a
background loop); plans whose tiers are all in-process use the `LocalDomain`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any

from prisma_infra.cache.generations import LocalDomain, SharedDomain
from prisma_infra.cache.guard import StoreGuard, StoreUnavailable
from prisma_infra.cache.keys import prefix_for
from prisma_infra.cache.memory import MemoryStore
from prisma_infra.cache.rules import Tier
from prisma_infra.errors import ConfigurationError, closest_match

if TYPE_CHECKING:
    from prisma_infra.cache.tasks import Background
    from prisma_infra.clock import Clock
    from prisma_infra.config.model import InfraConfig
    from prisma_infra.plugin_manager import Registration
    from prisma_infra.providers.cache import CacheStore

__all__ = ["MANAGER_OPTIONS", "Tiers"]

log = logging.getLogger("prisma_infra.cache")

#: Keys of ``cache.stores.<name>`` read by the manager (the rest is the store's own).
MANAGER_OPTIONS = (
    "namespace", "timeout", "retry_after", "retry_max", "failure_threshold", "sync_interval", "max_staleness",
)

_SHARED_HINT = {"redis": "prisma-infra-redis", "memcached": "prisma-infra-memcached"}
#: Sync ticks between purges of expired in-process entries.
_PURGE_EVERY = 200


class Tiers:
    """The stores of one runtime, by name, and the domains holding their generations."""

    def __init__(self, config: InfraConfig, backends: Mapping[str, Registration], clock: Clock) -> None:
        self.config = config.cache
        self.clock = clock
        self._backends = backends
        self.by_name: dict[str, Tier] = {}
        self.domains: dict[str, SharedDomain] = {}
        self.local = LocalDomain(clock)
        self._validate(config)

    # -- configuration ---------------------------------------------------------------------

    def _validate(self, config: InfraConfig) -> None:
        checks: list[tuple[str, list[str]]] = [("cache.tiers", list(self.config.tiers))]
        for model, settings in config.models.items():
            if settings.cache.tiers is not None:
                checks.append((f"models.{model}.cache.tiers", list(settings.cache.tiers)))
        for setting, names in checks:
            if len(set(names)) != len(names):
                raise ConfigurationError(
                    f"{setting}: {names!r} lists a store twice", problems=[f"{setting}: duplicate store"]
                )
            for name in names:
                if name not in self._backends:
                    raise self._unknown_store(setting, name)

    def _unknown_store(self, setting: str, name: str) -> ConfigurationError:
        match = closest_match(name, self._backends)
        available = ", ".join(sorted(self._backends)) or "none"
        message = f"{setting}: cache store {name!r} is not registered by any plugin (available: {available})."
        if match:
            message += f" Did you mean {match!r}?"
        dist = _SHARED_HINT.get(name.lower())
        if dist:
            message += f" Install it with: pip install {dist}"
        return ConfigurationError(message, problems=[f"{setting}: unknown cache store {name!r}"])

    def _options(self, name: str) -> dict[str, Any]:
        return dict(self.config.stores.get(name, {}))

    def get(self, name: str) -> Tier:
        """The tier of store ``name``, built (not started) the first time."""
        found = self.by_name.get(name)
        if found is not None:
            return found
        options = self._options(name)
        store: CacheStore = self._backends[name].factory(options)
        guard = StoreGuard(
            name,
            store,
            timeout=float(options.get("timeout", self.config.store_timeout)),
            retry_after=float(options.get("retry_after", 0.5)),
            retry_max=float(options.get("retry_max", 30.0)),
            failure_threshold=int(options.get("failure_threshold", 3)),
            clock=self.clock,
        )
        local = store if isinstance(store, MemoryStore) and not store.shared else None
        if local is not None:
            local.clock = self.clock
        # A third-party in-process store goes the generic way too: merely unneeded, never wrong.
        tier = Tier(name=name, store=store, guard=guard, prefix=prefix_for(str(options.get("namespace", ""))),
                    local=local, shared=local is None)
        self.by_name[name] = tier
        if tier.shared:
            interval = float(options.get("sync_interval", 0.05))
            staleness = float(options.get("max_staleness", max(0.2, 4 * interval)))
            self.domains[name] = SharedDomain(guard, tier.prefix, max_staleness=staleness, clock=self.clock)
        return tier

    def domain(self, tiers: tuple[Tier, ...]) -> tuple[LocalDomain | SharedDomain, int]:
        """The domain of a model listing ``tiers``, and the index of the tier holding its generations (-1)."""
        gen_tier = next((i for i, t in enumerate(tiers) if t.shared), -1)
        return (self.domains[tiers[gen_tier].name] if gen_tier >= 0 else self.local), gen_tier

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self, background: Background) -> None:
        """Connect every built store, read the generations once, start their sync loops."""
        started: list[Tier] = []
        try:
            for tier in self.by_name.values():
                await tier.store.start()
                started.append(tier)
        except BaseException:
            for tier in reversed(started):
                with contextlib.suppress(Exception):
                    await tier.store.close()
            raise
        for name, domain in self.domains.items():
            with contextlib.suppress(StoreUnavailable):
                await domain.sync()
            interval = float(self._options(name).get("sync_interval", 0.05))
            background.loop(self._sync_loop(domain, interval), name=f"cache-sync-{name}")

    async def close(self) -> None:
        for tier in self.by_name.values():
            try:
                await tier.store.close()
            except Exception:
                log.exception("cache store %r failed to close", tier.name)

    async def sync(self) -> None:
        """Read every shared store's generations now (what each sync loop does every ``sync_interval``)."""
        for domain in self.domains.values():
            with contextlib.suppress(StoreUnavailable):
                await domain.sync()

    async def _sync_loop(self, domain: SharedDomain, interval: float) -> None:
        ticks = 0
        while True:
            await self.clock.sleep(interval)
            try:
                await domain.sync()
            except StoreUnavailable:
                pass
            except Exception:  # never let the loop die: in-process hits would stop being validated
                log.exception("cache generation sync of %r failed", domain.guard.name)
            ticks += 1
            if ticks % _PURGE_EVERY == 0:
                for store in self.local_stores():
                    store.purge_expired()

    # -- invalidation ----------------------------------------------------------------------

    async def bump(self, tags: Collection[str]) -> None:
        """Bump ``tags`` in this process and in every shared store."""
        self.local.bump(tags)
        domains = list(self.domains.values())
        if len(domains) == 1:
            await domains[0].bump(tags)
        elif domains:
            await asyncio.gather(*(d.bump(tags) for d in domains))

    def local_stores(self) -> list[MemoryStore]:
        return [tier.local for tier in self.by_name.values() if tier.local is not None]

    # -- introspection ---------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """Per store: shared or not, breaker state, the store's own counters, the generations' sync."""
        stores: dict[str, Any] = {}
        for name, tier in self.by_name.items():
            info: dict[str, Any] = {"shared": tier.shared, **tier.guard.stats()}
            store_stats = getattr(tier.store, "stats", None)
            if callable(store_stats):
                with contextlib.suppress(Exception):
                    info.update(store_stats())
            domain = self.domains.get(name)
            if domain is not None:
                info["generations"] = {
                    "tracked_tags": len(domain.gens),
                    "pending_bumps": len(domain.pending),
                    "syncs": domain.syncs,
                    "synced_ago_s": self.clock.monotonic() - domain.synced_at,
                }
            stores[name] = info
        return stores

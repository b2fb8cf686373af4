"""Settings resolved once per configuration: tiers, per-model cache rules, per-key plans.

The hot path reads attributes of these objects and never consults the
configuration, the registry or the schema again for a key it has seen.
("Rules", not "policy": access policies are another feature.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from prisma_infra.cache.stats import TierStats

if TYPE_CHECKING:
    from prisma_infra.cache.generations import LocalDomain, SharedDomain
    from prisma_infra.cache.guard import StoreGuard
    from prisma_infra.cache.memory import MemoryStore
    from prisma_infra.providers.cache import CacheStore

__all__ = ["RAW_MODEL", "CachePlan", "ModelCacheRules", "Tier"]

#: The rules name of raw queries (``queryRaw`` without a model).
RAW_MODEL = "_raw"


@dataclass(eq=False, slots=True)
class Tier:
    """One configured store, shared by every model that lists it."""

    name: str
    store: CacheStore
    guard: StoreGuard
    prefix: str
    #: The store itself when it is an in-process `MemoryStore` (hits skip the event loop).
    local: MemoryStore | None
    shared: bool


@dataclass(eq=False, slots=True)
class ModelCacheRules:
    """A model's effective cache settings: per-model configuration over the global defaults."""

    model: str
    enabled: bool
    ttl: float
    swr: float
    cache_empty: bool
    tiers: tuple[Tier, ...]
    domain: LocalDomain | SharedDomain
    #: Index in ``tiers`` of the store holding the generations (the first shared tier), or -1.
    gen_tier: int
    stats: tuple[TierStats, ...] = ()
    bypassed: int = 0
    engine_calls: int = 0
    joined: int = 0

    def __post_init__(self) -> None:
        if not self.stats:
            self.stats = tuple(TierStats() for _ in self.tiers)


@dataclass(eq=False, slots=True)
class CachePlan:
    """What a key needs at every read: per-tier keys, tags, and the generation keys."""

    digest: str
    rules: ModelCacheRules
    keys: tuple[str, ...]
    tags: tuple[str, ...]
    tag_keys: tuple[str, ...]
    #: Memo of the domain's generations for ``tags`` while the domain's version is unchanged.
    version: int = -1
    expected: tuple[int, ...] | None = None
    lookup_keys: list[str] = field(default_factory=list)

    @property
    def policy(self) -> ModelCacheRules:
        """Deprecated name of `rules` (kept for one release)."""
        return self.rules

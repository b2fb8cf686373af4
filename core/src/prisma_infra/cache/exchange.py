"""`SharedExchange`: the cache's shared store lent to other features (`prisma_infra.ports.caching.SHARED_STORE`).

The dashboard publishes each process's monitoring document through it. It uses the
tier's own client and breaker, and its keys live under ``<namespace>x:``, apart from
the cache's entries (``e:``) and generations (``g:``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from prisma_infra.cache.guard import StoreUnavailable
from prisma_infra.errors import CacheBackendError

if TYPE_CHECKING:
    from prisma_infra.cache.rules import Tier
    from prisma_infra.cache.tiers import Tiers

__all__ = ["SharedExchange", "shared_exchange"]

T = TypeVar("T")


class SharedExchange:
    """One shared tier as a `prisma_infra.ports.caching.SharedStore`."""

    def __init__(self, tier: Tier) -> None:
        self.tier = tier
        self.prefix = f"{tier.prefix}x:"

    @property
    def name(self) -> str:
        return self.tier.name

    async def _call(self, method: Callable[..., Awaitable[T]], *args: Any) -> T:
        try:
            return await self.tier.guard.call(method, *args)
        except StoreUnavailable as exc:
            raise CacheBackendError(f"cache store {self.tier.name!r} is unavailable", backend=self.tier.name) from exc

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        if not keys:
            return []
        return await self._call(self.tier.store.get_many, [self.prefix + key for key in keys])

    async def set_many(self, items: Mapping[str, bytes], ttl: float | None) -> None:
        if items:
            await self._call(self.tier.store.set_many, {self.prefix + k: v for k, v in items.items()}, ttl)

    async def delete_many(self, keys: Sequence[str]) -> None:
        if keys:
            await self._call(self.tier.store.delete_many, [self.prefix + key for key in keys])


def shared_exchange(tiers: Tiers, order: Sequence[str]) -> SharedExchange | None:
    """The first shared tier in ``order`` (``cache.tiers``), else any built one; ``None`` without one."""
    names = [*order, *(name for name in tiers.by_name if name not in order)]
    for name in names:
        tier = tiers.by_name.get(name)
        if tier is not None and tier.shared:
            return SharedExchange(tier)
    return None

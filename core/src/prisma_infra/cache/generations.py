"""Generation counters per tag: how invalidation works, in one process and across many.

Every entry records the generation of each of its tags when its fill started;
it is valid only while those generations are current. A write bumps the
generation of every model it changed, after the write: an entry filled from a
read that started before the write carries an older generation and is never
served again, whichever process filled it. Counters work on any store with
``get_many``/``set_many``/``incr`` — memcached has no sets, and needs none.

Two kinds of domains hold the current generations:

* `LocalDomain`: plans whose tiers are all in-process; counters live in a dict.
* `SharedDomain`: plans with a shared tier; the counters live in that store,
  and this process keeps a copy, bumped at once by its own writes and
  refreshed by a background poll (``sync_interval``, 50 ms by default) so that
  an in-process (L1) hit sees another process's write within that interval.

Generations only grow. A missing counter (never written, evicted, store
flushed) is initialised from the clock in microseconds, which is larger than
any value the counter held before, so an entry can never become valid again
after its counter was lost (no ABA). Time is read through a `prisma_infra.clock.Clock`
(a test drives the staleness of the local copy with a manual clock).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from typing import Protocol

from prisma_infra.cache.guard import StoreGuard, StoreUnavailable
from prisma_infra.cache.keys import tag_key
from prisma_infra.clock import SYSTEM_CLOCK, Clock

__all__ = ["Domain", "LocalDomain", "SharedDomain", "unique_generation"]

#: Counters below this were created by ``incr`` on a missing key, not initialised from the clock.
_CLOCK_FLOOR = 1 << 40
_SYNC_BATCH = 1000
_MAX_TAGS = 100_000

_last_unique = 0


def unique_generation(clock: Clock = SYSTEM_CLOCK) -> int:
    """A generation larger than any handed out before (wall-clock microseconds, strictly increasing)."""
    global _last_unique
    value = max(int(clock.time() * 1_000_000), _last_unique + 1)
    _last_unique = value
    return value


class Domain(Protocol):
    shared: bool
    version: int

    def current(self, tags: Sequence[str]) -> tuple[int, ...] | None: ...


class LocalDomain:
    """Generations of plans without a shared tier: this process is the only reader and writer."""

    shared = False

    def __init__(self, clock: Clock = SYSTEM_CLOCK) -> None:
        self.gens: dict[str, int] = {}
        self.version = 0
        self._next = itertools.count(unique_generation(clock))

    def current(self, tags: Sequence[str]) -> tuple[int, ...]:
        gens = self.gens
        out = []
        for tag in tags:
            value = gens.get(tag)
            if value is None:
                if len(gens) >= _MAX_TAGS:
                    gens.clear()  # every entry misses once; never a stale hit
                    self.version += 1
                value = gens[tag] = next(self._next)
            out.append(value)
        return tuple(out)

    def bump(self, tags: Iterable[str]) -> None:
        gens = self.gens
        for tag in tags:
            if tag in gens:
                gens[tag] = next(self._next)
        self.version += 1


class Incrementer(Protocol):
    async def incr_many(self, keys: Sequence[str]) -> list[int]: ...


class SharedDomain:
    """Generations held by a shared store, with this process's copy for in-process hits."""

    shared = True

    def __init__(self, guard: StoreGuard, prefix: str, *, max_staleness: float, clock: Clock = SYSTEM_CLOCK) -> None:
        self.guard = guard
        self.clock = clock
        self.prefix = prefix
        self.max_staleness = max_staleness
        self.gens: dict[str, int] = {}
        self.version = 0
        self.synced_at = float("-inf")
        self.pending: set[str] = set()
        self._keys: dict[str, str] = {}
        self.syncs = 0

    def key(self, tag: str) -> str:
        found = self._keys.get(tag)
        if found is None:
            if len(self._keys) >= _MAX_TAGS:
                self._keys.clear()
            found = self._keys[tag] = tag_key(self.prefix, tag)
        return found

    @property
    def fresh(self) -> bool:
        """True while the local copy was refreshed recently enough to validate in-process hits."""
        return self.clock.monotonic() - self.synced_at <= self.max_staleness

    def current(self, tags: Sequence[str]) -> tuple[int, ...] | None:
        """The local copy for ``tags``, or ``None`` when unknown or too old to trust."""
        if self.clock.monotonic() - self.synced_at > self.max_staleness or self.blocked(tags):
            return None
        gens = self.gens
        out = []
        for tag in tags:
            value = gens.get(tag)
            if value is None:
                return None
            out.append(value)
        return tuple(out)

    def blocked(self, tags: Sequence[str]) -> bool:
        """True when a bump of one of ``tags`` has not reached the store yet: such reads bypass the cache."""
        return bool(self.pending) and not self.pending.isdisjoint(tags)

    def merge(self, tags: Sequence[str], values: Sequence[bytes | None]) -> list[int | None]:
        """Fold counters read from the store into the copy (never lowering one); the merged values."""
        gens = self.gens
        merged: list[int | None] = []
        changed = False
        for tag, raw in zip(tags, values, strict=True):
            if raw is None:
                if gens.pop(tag, None) is not None:
                    changed = True
                merged.append(None)
                continue
            try:
                value = int(raw)
            except ValueError:  # not a counter (foreign data): unknown, so nothing validates against it
                if gens.pop(tag, None) is not None:
                    changed = True
                merged.append(None)
                continue
            local = gens.get(tag)
            if local is None or value > local:
                if local is not None:
                    changed = True
                elif len(gens) >= _MAX_TAGS:
                    gens.clear()
                    changed = True
                gens[tag] = local = value
            merged.append(local)
        if changed:
            self.version += 1
        return merged

    async def initialise(self, tags: Sequence[str], merged: list[int | None]) -> tuple[int, ...]:
        """Set missing counters from the clock (before the engine call) and return every generation."""
        missing = {self.key(tag): tag for tag, value in zip(tags, merged, strict=True) if value is None}
        if missing:
            value = unique_generation(self.clock)
            await self.guard.call(self.guard.store.set_many, dict.fromkeys(missing, str(value).encode()), None)
            for tag in missing.values():
                if self.gens.get(tag, 0) < value:
                    self.gens[tag] = value
        return tuple(self.gens.get(tag, 0) if value is None else value for tag, value in zip(tags, merged, strict=True))

    async def bump(self, tags: Iterable[str]) -> None:
        """Invalidate ``tags`` here at once, then in the store.

        When the store cannot be reached the tags stay *pending*: reads that carry
        one bypass the cache (this process cannot prove an entry is newer than its
        own write) until the background sync delivers the bump.
        """
        tags = list(tags)
        gens = self.gens
        for tag in tags:
            if tag in gens:
                gens[tag] += 1
        self.version += 1
        try:
            await self._incr(tags)
        except StoreUnavailable:
            self.pending.update(tags)

    async def _incr(self, tags: list[str]) -> None:
        keys = [self.key(tag) for tag in tags]
        store = self.guard.store
        incr_many = getattr(store, "incr_many", None)
        if incr_many is not None:
            values: list[int] = await self.guard.call(incr_many, keys)
        else:
            values = [await self.guard.call(store.incr, key) for key in keys]
        reinit = {}
        for tag, key, value in zip(tags, keys, values, strict=True):
            if value < _CLOCK_FLOOR:  # the counter was lost and recreated by incr: move it past every old value
                value = unique_generation(self.clock)
                reinit[key] = str(value).encode()
            if value > self.gens.get(tag, 0):
                self.gens[tag] = value
        if reinit:
            await self.guard.call(store.set_many, reinit, None)
        self.version += 1

    async def flush_pending(self) -> None:
        if not self.pending:
            return
        tags, self.pending = list(self.pending), set()
        try:
            await self._incr(tags)
        except StoreUnavailable:
            self.pending.update(tags)

    async def sync(self) -> None:
        """Refresh the copy of every tracked tag (one ``get_many`` per 1,000 tags)."""
        await self.flush_pending()
        if self.pending:
            return
        started = self.clock.monotonic()
        tags = list(self.gens)
        for i in range(0, len(tags), _SYNC_BATCH):
            batch = tags[i : i + _SYNC_BATCH]
            values = await self.guard.call(self.guard.store.get_many, [self.key(t) for t in batch])
            self.merge(batch, values)
        self.synced_at = started
        self.syncs += 1

"""`ReadPath`: in-process hit, shared-tier lookup, single-flight, fill, stale-while-revalidate.

Every read past the in-process tier is coalesced per key: concurrent misses
share one shared-store round trip and one engine call, so a stampede costs
the database one query and the store one ``MGET``. Freshness is judged on the
wall time of the injected clock (entries are shared between processes).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from prisma_infra.cache import codec
from prisma_infra.cache.entry import Entry, pack, unpack
from prisma_infra.cache.generations import LocalDomain, SharedDomain
from prisma_infra.cache.guard import StoreUnavailable
from prisma_infra.cache.keys import NoScope
from prisma_infra.cache.live import Live, LocalEntry, live
from prisma_infra.cache.validator import fresh_generations
from prisma_infra.operation import Operation

if TYPE_CHECKING:
    from prisma_infra.cache.planner import Planner
    from prisma_infra.cache.rules import CachePlan
    from prisma_infra.cache.stats import Counters
    from prisma_infra.cache.tasks import Background
    from prisma_infra.clock import Clock
    from prisma_infra.config.model import CacheConfig

__all__ = ["REFRESH", "Handler", "ReadPath"]

log = logging.getLogger("prisma_infra.cache")

Handler = Callable[[Operation], Awaitable[Any]]

#: ``operation.state`` flag: run the engine and store the result whatever the cache holds (warming).
REFRESH = "cache.refresh"


class _Flight:
    """The slow path of one key, which concurrent readers of that key wait for instead of repeating."""

    __slots__ = ("done", "error", "live", "payload", "serve_stale", "version", "waiters")

    def __init__(self, version: int, serve_stale: bool) -> None:
        self.done = asyncio.Event()
        self.version = version
        self.serve_stale = serve_stale
        self.waiters = 0
        #: What waiters copy their result from: a private copy of it, or a shared store's bytes.
        self.live: Live | None = None
        self.payload: bytes | None = None
        self.error: BaseException | None = None


def _decode(payload: bytes) -> tuple[bool, Any]:
    try:
        return True, codec.decode(payload)
    except Exception:  # a corrupt entry is a miss, never an error
        return False, None


def _live(result: Any) -> Live | None:
    try:
        return live(result)
    except codec.Unencodable:
        return None


def _is_empty(value: Any) -> bool:
    kind = type(value)
    if kind is list or kind is dict or kind is tuple:
        return not value
    return value is None or (kind is int and value == 0)


class ReadPath:
    """The reads of one runtime's cache (``CacheManager.read``/``peek``)."""

    def __init__(
        self, config: CacheConfig, planner: Planner, counters: Counters, background: Background, clock: Clock
    ) -> None:
        self.config = config
        self.planner = planner
        self.counters = counters
        self.background = background
        self.clock = clock
        self.flights: dict[str, _Flight] = {}
        self._refreshing: set[str] = set()
        #: In-process hits answered since the last yield (shared by all tasks: a hit never switches task).
        self._unyielded = 0

    # -- the hot path ----------------------------------------------------------------------

    async def read(self, operation: Operation, call: Handler) -> Any:
        """Answer a read from the nearest valid tier, or run ``call`` once per key and fill the tiers."""
        ctx = operation.context
        if ctx.transaction is not None:
            self.counters.transaction_bypasses += 1
            return await call(operation)
        planner = self.planner
        rules = planner.by_model.get(operation.model) or planner.rules(operation.model)
        options = ctx.cache
        ttl, swr, serve_stale = rules.ttl, rules.swr, True
        if options is not None:
            if not options.enabled:
                rules.bypassed += 1
                return await call(operation)
            if options.ttl is not None:
                ttl = options.ttl
            if options.swr is not None:
                swr = options.swr
            serve_stale = options.serve_stale
        if not rules.enabled or (ttl <= 0 and swr <= 0):
            rules.bypassed += 1
            return await call(operation)
        try:
            plan = planner.plan(operation, rules, options)
        except (NoScope, TypeError):
            plan = None
        if plan is None:
            rules.bypassed += 1
            return await call(operation)
        if operation.state and operation.state.get(REFRESH):
            return await self._forced(operation, call, plan, ttl, swr)

        started = time.perf_counter()
        first = rules.tiers[0]
        local = first.local
        if local is not None:
            domain = rules.domain
            if domain.shared is False and plan.version == domain.version and plan.expected is not None:
                expected: tuple[int, ...] | None = plan.expected
            else:
                expected = domain.current(plan.tags)
                plan.version, plan.expected = domain.version, expected
            stats = rules.stats[0]
            entry = local.get_entry(plan.keys[0])
            if entry is not None and entry.generations == expected:
                now = self.clock.time()
                if now < entry.fresh_until:
                    stats.hits += 1
                    value = entry.live.copy()
                    stats.latency.observe(time.perf_counter() - started)
                    await self._fair()
                    return value
                if serve_stale and now < entry.stale_until:
                    stats.stale_hits += 1
                    self._refresh_later(operation, call, plan, ttl, swr, entry.generations)
                    value = entry.live.copy()
                    stats.latency.observe(time.perf_counter() - started)
                    await self._fair()
                    return value
            stats.misses += 1
        return await self._read_slow(operation, call, plan, ttl, swr, serve_stale, started)

    async def _fair(self) -> None:
        """Yield to the event loop once per ``cache.yield_every`` in-process hits.

        Such a hit awaits nothing, so a loop of them would starve every other task
        (timers, sockets); one ``sleep(0)`` per batch costs far less than one per hit.
        """
        every = self.config.yield_every
        if every:
            self._unyielded += 1
            if self._unyielded >= every:
                self._unyielded = 0
                await asyncio.sleep(0)

    # -- coalesced slow path ---------------------------------------------------------------

    async def _read_slow(
        self, operation: Operation, call: Handler, plan: CachePlan, ttl: float, swr: float, serve_stale: bool,
        started: float,
    ) -> Any:
        domain = plan.rules.domain
        flight = self.flights.get(plan.digest)
        # Join only a flight that began after this process's last write (same domain version): a
        # request that wrote never receives a result read before its write.
        if flight is not None and flight.version == domain.version and (serve_stale or not flight.serve_stale):
            return await self._join(flight, operation, call, plan)
        flight = _Flight(domain.version, serve_stale)
        self.flights[plan.digest] = flight
        try:
            value = await self._resolve(flight, operation, call, plan, ttl, swr, serve_stale, started)
        except asyncio.CancelledError:
            self._land(plan.digest, flight)
            raise
        except Exception as exc:
            flight.error = exc
            self._land(plan.digest, flight)
            raise
        if flight.waiters and flight.live is None and flight.payload is None:
            flight.live = _live(value)
        self._land(plan.digest, flight)
        return value

    async def _join(self, flight: _Flight, operation: Operation, call: Handler, plan: CachePlan) -> Any:
        plan.rules.joined += 1
        flight.waiters += 1
        await flight.done.wait()
        if flight.error is not None:
            raise flight.error
        if flight.live is not None:
            return flight.live.copy()
        if flight.payload is not None:
            found, value = _decode(flight.payload)
            if found:
                return value
        return await call(operation)  # the leader was cancelled, or its result cannot be copied

    def _land(self, key: str, flight: _Flight) -> None:
        if self.flights.get(key) is flight:
            del self.flights[key]
        flight.done.set()

    async def _resolve(
        self, flight: _Flight, operation: Operation, call: Handler, plan: CachePlan, ttl: float, swr: float,
        serve_stale: bool, started: float,
    ) -> Any:
        rules = plan.rules
        domain = rules.domain
        if isinstance(domain, LocalDomain):
            return await self._fill(operation, call, plan, ttl, swr, domain.current(plan.tags), flight)
        tiers = rules.tiers
        now = self.clock.time()
        stale: Entry | None = None
        stale_tier = -1
        merged: list[int | None] = []
        for i in range(rules.gen_tier, len(tiers)):
            tier = tiers[i]
            if not tier.shared:
                continue
            stats = rules.stats[i]
            try:
                if i == rules.gen_tier:
                    # One round trip: the entry and the current generation of each of its tags.
                    values = await tier.guard.call(tier.store.get_many, plan.lookup_keys)
                    merged = domain.merge(plan.tags, values[1:])
                    raw = values[0]
                else:
                    raw = (await tier.guard.call(tier.store.get_many, [plan.keys[i]]))[0]
            except StoreUnavailable:
                if i == rules.gen_tier:
                    # Without the generations nothing can be validated or filled: go to the database.
                    rules.bypassed += 1
                    return await call(operation)
                continue
            if raw is not None and None not in merged and not domain.blocked(plan.tags):
                entry = unpack(raw)
                if entry is not None and list(entry.generations) == merged:
                    if now < entry.fresh_until:
                        found, value = _decode(entry.payload)
                        if found:
                            stats.hits += 1
                            flight.live = self._backfill(plan, i, entry, value, now)
                            if flight.live is None:
                                flight.payload = entry.payload
                            stats.latency.observe(time.perf_counter() - started)
                            return value
                    elif serve_stale and now < entry.stale_until and stale is None:
                        stale, stale_tier = entry, i
                        continue
            stats.misses += 1
        if domain.blocked(plan.tags):
            rules.bypassed += 1
            return await call(operation)
        try:
            gens = await domain.initialise(plan.tags, merged)
        except StoreUnavailable:
            rules.bypassed += 1
            return await call(operation)
        if stale is not None and stale.generations == gens:
            found, value = _decode(stale.payload)
            if found:
                stats = rules.stats[stale_tier]
                stats.stale_hits += 1
                flight.payload = stale.payload
                self._refresh_later(operation, call, plan, ttl, swr, gens)
                stats.latency.observe(time.perf_counter() - started)
                return value
        return await self._fill(operation, call, plan, ttl, swr, gens, flight)

    def _backfill(self, plan: CachePlan, found_at: int, entry: Entry, value: Any, now: float) -> Live | None:
        """Copy an entry found in a shared tier into the in-process tiers before it.

        Returns the private copy waiting readers copy their results from (``None``: they decode the bytes).
        """
        ttl = entry.stale_until - now
        local_tiers = [i for i in range(found_at) if plan.rules.tiers[i].local is not None]
        if ttl <= 0 or not local_tiers:
            return None
        kept = _live(value)
        if kept is None:
            return None
        local = LocalEntry(entry.fresh_until, entry.stale_until, entry.generations, kept)
        for i in local_tiers:
            store = plan.rules.tiers[i].local
            assert store is not None
            store.set_entry(plan.keys[i], local, ttl)
        return kept

    # -- fills -----------------------------------------------------------------------------

    async def _fill(
        self, operation: Operation, call: Handler, plan: CachePlan, ttl: float, swr: float, gens: tuple[int, ...],
        flight: _Flight | None = None,
    ) -> Any:
        """Run the engine (``gens`` were read before it) and store the result in every tier."""
        rules = plan.rules
        rules.engine_calls += 1
        result = await call(operation)
        kept = _live(result)
        shared: bytes | None = None
        if kept is not None and rules.gen_tier >= 0:
            try:
                shared = codec.encode(result)
            except codec.Unencodable as exc:
                log.debug("result of %s.%s is not cached in shared stores: %s",
                          rules.model, operation.action.value, exc)
        elif kept is None:
            log.debug("result of %s.%s is not cached: %s is not kept", rules.model, operation.action.value,
                      type(result).__name__)
        if flight is not None:
            # Waiting readers can go now; the store writes below need not hold them up.
            flight.live = kept
            self._land(plan.digest, flight)
        if kept is not None and (rules.cache_empty or not _is_empty(result)):
            await self._store(plan, gens, kept, shared, ttl, swr)
        return result

    async def _store(
        self, plan: CachePlan, gens: tuple[int, ...], kept: Live, shared: bytes | None, ttl: float, swr: float
    ) -> None:
        """Write the entry to every tier: live objects in-process, the JSON codec in shared stores."""
        rules = plan.rules
        domain = rules.domain
        # A write during the engine call already made this entry invalid: do not spend memory on it.
        if isinstance(domain, LocalDomain):
            if domain.current(plan.tags) != gens:
                return
        elif domain.blocked(plan.tags):
            return
        now = self.clock.time()
        jitter = self.config.jitter
        fresh = max(ttl, 0.0) * (1.0 + random.random() * jitter) if jitter else max(ttl, 0.0)
        fresh_until = now + fresh
        stale_until = fresh_until + max(swr, 0.0)
        lifetime = stale_until - now
        if lifetime <= 0:
            return
        local = LocalEntry(fresh_until, stale_until, gens, kept)
        shared_raw = pack(fresh_until, stale_until, gens, shared) if shared is not None else None
        for i, tier in enumerate(rules.tiers):
            if tier.local is not None:
                tier.local.set_entry(plan.keys[i], local, lifetime)
                written = kept.size
            else:
                if shared_raw is None:
                    continue
                try:
                    await tier.guard.call(tier.store.set_many, {plan.keys[i]: shared_raw}, lifetime)
                except StoreUnavailable:
                    continue
                written = len(shared_raw)
            stats = rules.stats[i]
            stats.fills += 1
            stats.bytes_written += written

    def _refresh_later(
        self, operation: Operation, call: Handler, plan: CachePlan, ttl: float, swr: float, gens: tuple[int, ...]
    ) -> None:
        """Stale-while-revalidate: one background refresh per key.

        Its generations are those the stale entry was just validated with: a write
        after that point bumps them, and the refreshed entry is born invalid.
        """
        if plan.digest in self._refreshing:
            return
        self._refreshing.add(plan.digest)

        async def refresh() -> None:
            try:
                await self._fill(operation, call, plan, ttl, swr, gens)
            except Exception as exc:
                log.debug("background refresh of %s failed: %s", plan.rules.model, exc)
            finally:
                self._refreshing.discard(plan.digest)

        self.background.spawn(refresh())

    # -- forced fills (warming) -----------------------------------------------------------

    async def _forced(self, operation: Operation, call: Handler, plan: CachePlan, ttl: float, swr: float) -> Any:
        gens = await self._snapshot(plan)
        if gens is None:
            return await call(operation)
        return await self._fill(operation, call, plan, ttl, swr, gens)

    async def _snapshot(self, plan: CachePlan) -> tuple[int, ...] | None:
        return await fresh_generations(plan)

    # -- lookups without the engine --------------------------------------------------------

    async def peek(self, operation: Operation) -> tuple[bool, Any]:
        """``(True, value)`` when a valid entry (fresh or within its SWR window) exists, else ``(False, None)``."""
        rules = self.planner.rules(operation.model)
        plan = self.planner.plan(operation, rules, operation.context.cache)
        if plan is None or not rules.enabled:
            return False, None
        now = self.clock.time()
        domain = rules.domain
        for i, tier in enumerate(rules.tiers):
            expected: tuple[int, ...] | None
            if tier.local is not None:
                kept = tier.local.get_entry(plan.keys[i])
                if kept is not None and kept.generations == domain.current(plan.tags) and now < kept.stale_until:
                    value = kept.live.copy()
                    await self._fair()
                    return True, value
                continue
            try:
                if i == rules.gen_tier and isinstance(domain, SharedDomain):
                    values = await tier.guard.call(tier.store.get_many, plan.lookup_keys)
                    merged = domain.merge(plan.tags, values[1:])
                    raw = values[0]
                    known = [g for g in merged if g is not None]
                    complete = len(known) == len(merged) and not domain.blocked(plan.tags)
                    expected = tuple(known) if complete else None
                else:
                    raw = (await tier.guard.call(tier.store.get_many, [plan.keys[i]]))[0]
                    expected = domain.current(plan.tags)
            except StoreUnavailable:
                continue
            if raw is None or expected is None:
                continue
            entry = unpack(raw)
            if entry is not None and entry.generations == expected and now < entry.stale_until:
                found, value = _decode(entry.payload)
                if found:
                    return True, value
        return False, None

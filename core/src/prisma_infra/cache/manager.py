"""`CacheManager`: keys, tags, tiers, generations, single-flight and stale-while-revalidate.

One manager per runtime (configuration). Reads go nearest tier first; a hit
in a farther tier is copied into the nearer in-process tier. A miss runs the
engine once per key however many callers wait (single-flight) and fills every
tier. A write bumps the generation of every model it changed, which makes
every entry that read one of them invalid, in every process that shares the
store. See ``docs/caching.md`` for the reasoning.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from prisma_infra.cache import codec
from prisma_infra.cache.entry import Entry, pack, unpack
from prisma_infra.cache.generations import LocalDomain, SharedDomain
from prisma_infra.cache.guard import StoreGuard, StoreUnavailable
from prisma_infra.cache.keys import ALL_TAG, NoScope, actor_id, digest, model_tag, prefix_for, user_tag
from prisma_infra.cache.memory import MemoryStore
from prisma_infra.cache.policy import RAW_MODEL, ModelPolicy, Plan, Tier
from prisma_infra.cache.sql import TableMap, read_tables, written_tables
from prisma_infra.config.model import CacheConfig, InfraConfig
from prisma_infra.errors import ConfigurationError, closest_match
from prisma_infra.operation import READ_ACTIONS, Action, CacheOptions, Operation, OperationContext

if TYPE_CHECKING:
    from prisma_infra.cache.facade import ModelCache
    from prisma_infra.plugin_manager import Registration
    from prisma_infra.providers.cache import CacheStore
    from prisma_infra.schema.model import Schema

__all__ = ["MANAGER_OPTIONS", "CacheManager", "Handler"]

log = logging.getLogger("prisma_infra.cache")

Handler = Callable[[Operation], Awaitable[Any]]

#: Keys of ``cache.stores.<name>`` read by the manager (the rest is the store's own).
MANAGER_OPTIONS = ("namespace", "timeout", "retry_after", "retry_max", "sync_interval", "max_staleness")

_SHARED_HINT = {"redis": "prisma-infra-redis", "memcached": "prisma-infra-memcached"}
_MAX_PLANS = 50_000
_MAX_OPEN_TRANSACTIONS = 10_000
#: ``operation.state`` flag: run the engine and store the result whatever the cache holds (warming).
REFRESH = "cache.refresh"


class _Flight:
    """One engine call that concurrent misses of the same key wait for."""

    __slots__ = ("done", "error", "gens", "payload")

    def __init__(self, gens: tuple[int, ...]) -> None:
        self.done = asyncio.Event()
        self.gens = gens
        self.payload: bytes | None = None
        self.error: BaseException | None = None


def _decode(entry: Entry, local: bool) -> tuple[bool, Any]:
    try:
        return True, (codec.decode_local(entry.payload) if local else codec.decode(entry.payload))
    except Exception:  # a corrupt entry is a miss, never an error
        return False, None


def _is_empty(value: Any) -> bool:
    kind = type(value)
    if kind is list or kind is dict or kind is tuple:
        return not value
    return value is None or (kind is int and value == 0)


class CacheManager:
    """The cache of one runtime. Published as ``runtime.extras["cache_manager"]``."""

    def __init__(
        self,
        config: InfraConfig,
        schema: Schema,
        backends: Mapping[str, Registration],
    ) -> None:
        self.config: CacheConfig = config.cache
        self.infra_config = config
        self.schema = schema
        self.enabled = self.config.enabled
        self._backends = backends
        self._schema_tag = (schema.hash or "noschema")[:12]
        self._tables = TableMap(schema)
        self._tiers: dict[str, Tier] = {}
        self._domains: dict[str, SharedDomain] = {}
        self.local = LocalDomain()
        self._policies: dict[str | None, ModelPolicy] = {}
        self._plans: dict[str, Plan | None] = {}
        self._flights: dict[str, _Flight] = {}
        self._transactions: OrderedDict[str, set[str]] = OrderedDict()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._sync_tasks: list[asyncio.Task[None]] = []
        self._warm_task: asyncio.Task[None] | None = None
        self._runner: Handler | None = None
        self._started = False
        self.invalidations = 0
        self.transaction_bypasses = 0
        self._validate_tiers()

    # -- configuration ---------------------------------------------------------------------

    def _validate_tiers(self) -> None:
        checks: list[tuple[str, list[str]]] = [("cache.tiers", list(self.config.tiers))]
        for model, settings in self.infra_config.models.items():
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

    def _tier(self, name: str) -> Tier:
        found = self._tiers.get(name)
        if found is not None:
            return found
        options = dict(self.config.stores.get(name, {}))
        registration = self._backends[name]
        store: CacheStore = registration.factory(options)
        guard = StoreGuard(
            name,
            store,
            timeout=float(options.get("timeout", self.config.store_timeout)),
            retry_after=float(options.get("retry_after", 0.5)),
            retry_max=float(options.get("retry_max", 30.0)),
        )
        prefix = prefix_for(str(options.get("namespace", "")))
        local = store if isinstance(store, MemoryStore) and not store.shared else None
        tier = Tier(name=name, store=store, guard=guard, prefix=prefix, local=local, shared=store.shared)
        self._tiers[name] = tier
        if tier.shared:
            interval = float(options.get("sync_interval", 0.05))
            staleness = float(options.get("max_staleness", max(0.2, 4 * interval)))
            self._domains[name] = SharedDomain(guard, prefix, max_staleness=staleness)
        return tier

    def _policy(self, model: str | None) -> ModelPolicy:
        found = self._policies.get(model)
        if found is not None:
            return found
        name = RAW_MODEL if model is None else self.schema.model(model).name
        per_model = self.infra_config.model_settings(name).cache if model is not None else None
        glob = self.config

        def pick(value: Any, default: Any) -> Any:
            return default if value is None else value

        tier_names = pick(per_model.tiers if per_model else None, glob.tiers)
        tiers = tuple(self._tier(t) for t in tier_names)
        gen_tier = next((i for i, t in enumerate(tiers) if t.shared), -1)
        domain: LocalDomain | SharedDomain = self._domains[tiers[gen_tier].name] if gen_tier >= 0 else self.local
        policy = ModelPolicy(
            model=name,
            enabled=bool(pick(per_model.enabled if per_model else None, glob.enabled)) and bool(tiers),
            ttl=float(pick(per_model.ttl if per_model else None, glob.ttl)),
            swr=float(pick(per_model.swr if per_model else None, glob.swr)),
            cache_empty=bool(pick(per_model.cache_empty if per_model else None, glob.cache_empty)),
            tiers=tiers,
            domain=domain,
            gen_tier=gen_tier,
        )
        self._policies[model] = policy
        if model is not None:
            self._policies[name] = policy
        return policy

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self, runner: Handler | None = None) -> None:
        """Build every configured store, connect them, start the generation sync and warming.

        :param runner: runs an operation through the pipeline (used for warming).
        """
        self._runner = runner
        self._policy(None)
        for model in self.schema.model_names:
            self._policy(model)
        started: list[Tier] = []
        try:
            for tier in self._tiers.values():
                await tier.store.start()
                started.append(tier)
        except BaseException:
            for tier in reversed(started):
                with contextlib.suppress(Exception):
                    await tier.store.close()
            raise
        for name, domain in self._domains.items():
            with contextlib.suppress(StoreUnavailable):
                await domain.sync()
            interval = float(self.config.stores.get(name, {}).get("sync_interval", 0.05))
            self._sync_tasks.append(asyncio.create_task(self._sync_loop(domain, interval), name=f"cache-sync-{name}"))
        self._started = True
        if self.config.warm and runner is not None:
            await self.warm()
            if self.config.warm_interval:
                self._warm_task = asyncio.create_task(self._warm_loop(self.config.warm_interval), name="cache-warm")

    async def close(self) -> None:
        tasks = [*self._sync_tasks, *self._tasks, *([self._warm_task] if self._warm_task else [])]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task
        self._sync_tasks.clear()
        self._tasks.clear()
        for tier in self._tiers.values():
            try:
                await tier.store.close()
            except Exception:
                log.exception("cache store %r failed to close", tier.name)
        self._started = False

    async def _sync_loop(self, domain: SharedDomain, interval: float) -> None:
        ticks = 0
        while True:
            await asyncio.sleep(interval)
            try:
                await domain.sync()
            except StoreUnavailable:
                pass
            except Exception:  # never let the loop die: in-process hits would stop being validated
                log.exception("cache generation sync of %r failed", domain.guard.name)
            ticks += 1
            if ticks % 200 == 0:
                for tier in self._tiers.values():
                    if tier.local is not None:
                        tier.local.purge_expired()

    # -- keys and plans --------------------------------------------------------------------

    def plan(self, operation: Operation) -> Plan | None:
        """The plan of a read (``None`` when it is not cacheable: no scope, raw SQL on unknown tables)."""
        policy = self._policy(operation.model)
        return self._plan(operation, policy, operation.context.cache)

    def _plan(self, operation: Operation, policy: ModelPolicy, options: CacheOptions | None) -> Plan | None:
        ctx = operation.context
        user_tags = options.tags if options is not None else ()
        custom = options.key if options is not None else None
        material = (
            policy.model,
            operation.action.value,
            operation.args if custom is None else None,
            ctx.tenant,
            actor_id(ctx.actor),
            user_tags,
            custom,
        )
        key = digest(material)
        try:
            return self._plans[key]
        except KeyError:
            pass
        models = self._models_read(operation)
        plan = None
        if models is not None:
            tags = (ALL_TAG, *sorted(model_tag(m) for m in models), *sorted({user_tag(t) for t in user_tags}))
            domain = policy.domain
            plan = Plan(
                digest=key,
                policy=policy,
                keys=tuple(f"{t.prefix}e:{self._schema_tag}:{policy.model}:{key}" for t in policy.tiers),
                tags=tags,
                tag_keys=tuple(domain.key(t) for t in tags) if isinstance(domain, SharedDomain) else (),
            )
            if policy.gen_tier >= 0:
                plan.lookup_keys = [plan.keys[policy.gen_tier], *plan.tag_keys]
        if len(self._plans) >= _MAX_PLANS:
            self._plans.clear()
        self._plans[key] = plan
        return plan

    def _models_read(self, operation: Operation) -> frozenset[str] | None:
        if operation.model is not None:
            return self.schema.models_touched(operation.model, operation.args)
        declared = self._declared(operation.args)
        sql = operation.args.get("sql") or operation.args.get("query")
        if not isinstance(sql, str):
            return declared or None
        tables, _ = read_tables(sql)
        models, complete = self._tables.models(tables)
        if declared:
            return declared | models
        return models if complete and models else None

    def _declared(self, args: Mapping[str, Any]) -> frozenset[str]:
        declared = args.get("models") or ()
        if isinstance(declared, str):
            declared = (declared,)
        return frozenset(self.schema.model(m).name for m in declared)

    def written_models(self, operation: Operation) -> frozenset[str] | None:
        """Models a write changes; ``None`` means unknown (raw SQL on unknown tables): everything."""
        if operation.model is not None and not operation.action.is_raw:
            return self.schema.models_written(operation.model, operation.action, operation.args)
        declared = self._declared(operation.args)
        sql = operation.args.get("sql") or operation.args.get("query")
        if isinstance(sql, str):
            models, complete = self._tables.models(written_tables(sql))
            if declared:
                return declared | models
            if complete and models:
                return models
            return None
        return declared or None

    # -- reads -----------------------------------------------------------------------------

    async def read(self, operation: Operation, call: Handler) -> Any:
        """Answer a read from the nearest valid tier, or run ``call`` once per key and fill the tiers."""
        ctx = operation.context
        if ctx.transaction is not None:
            self.transaction_bypasses += 1
            return await call(operation)
        policy = self._policies.get(operation.model) or self._policy(operation.model)
        options = ctx.cache
        ttl, swr, serve_stale = policy.ttl, policy.swr, True
        if options is not None:
            if not options.enabled:
                policy.bypassed += 1
                return await call(operation)
            if options.ttl is not None:
                ttl = options.ttl
            if options.swr is not None:
                swr = options.swr
            serve_stale = options.serve_stale
        if not policy.enabled or (ttl <= 0 and swr <= 0):
            policy.bypassed += 1
            return await call(operation)
        try:
            plan = self._plan(operation, policy, options)
        except (NoScope, TypeError):
            plan = None
        if plan is None:
            policy.bypassed += 1
            return await call(operation)

        if operation.state and operation.state.get(REFRESH):
            return await self._forced(operation, call, plan, ttl, swr)
        started = time.perf_counter()
        now = time.time()
        domain = policy.domain
        stale: Entry | None = None
        stale_tier = -1
        tiers = policy.tiers
        first = tiers[0]
        # In-process tier: no await unless something is wrong.
        if first.local is not None:
            if plan.version == domain.version and plan.expected is not None and domain.shared is False:
                expected: tuple[int, ...] | None = plan.expected
            else:
                expected = domain.current(plan.tags)
                plan.version, plan.expected = domain.version, expected
            stats = policy.stats[0]
            raw = first.local.get(plan.keys[0])
            if raw is not None and expected is not None:
                entry = unpack(raw)
                if entry is not None and entry.generations == expected:
                    if now < entry.fresh_until:
                        try:
                            value = codec.decode_local(entry.payload)
                        except Exception:  # a corrupt entry is a miss, never an error
                            first.local.delete(plan.keys[0])
                        else:
                            stats.hits += 1
                            stats.latency.observe(time.perf_counter() - started)
                            return value
                    elif now < entry.stale_until:
                        stale, stale_tier = entry, 0
            if stale is None:
                stats.misses += 1
        return await self._read_slow(operation, call, plan, ttl, swr, serve_stale, started, now, stale, stale_tier)

    async def _read_slow(
        self,
        operation: Operation,
        call: Handler,
        plan: Plan,
        ttl: float,
        swr: float,
        serve_stale: bool,
        started: float,
        now: float,
        stale: Entry | None,
        stale_tier: int,
    ) -> Any:
        policy = plan.policy
        tiers = policy.tiers
        gens: tuple[int, ...] | None = None
        if policy.gen_tier < 0:
            gens = policy.domain.current(plan.tags)
        else:
            domain = policy.domain
            assert isinstance(domain, SharedDomain)
            merged: list[int | None] | None = None
            for i in range(policy.gen_tier, len(tiers)):
                tier = tiers[i]
                if not tier.shared:
                    continue
                stats = policy.stats[i]
                try:
                    if i == policy.gen_tier:
                        values = await tier.guard.call(tier.store.get_many, plan.lookup_keys)
                        merged = domain.merge(plan.tags, values[1:])
                        raw = values[0]
                    else:
                        raw = (await tier.guard.call(tier.store.get_many, [plan.keys[i]]))[0]
                except StoreUnavailable:
                    if i == policy.gen_tier:
                        # Without the generations nothing can be validated or filled: go to the database.
                        policy.bypassed += 1
                        return await call(operation)
                    continue
                assert merged is not None
                if raw is not None and None not in merged and not domain.blocked(plan.tags):
                    entry = unpack(raw)
                    if entry is not None and list(entry.generations) == merged:
                        if now < entry.fresh_until:
                            found, value = _decode(entry, False)
                            if found:
                                stats.hits += 1
                                self._backfill(plan, i, entry, value, now)
                                stats.latency.observe(time.perf_counter() - started)
                                return value
                        elif now < entry.stale_until and (stale is None or entry.fresh_until > stale.fresh_until):
                            stale, stale_tier = entry, i
                            continue
                if stale_tier != i:
                    stats.misses += 1
            assert merged is not None
            if domain.blocked(plan.tags):
                policy.bypassed += 1
                return await call(operation)
            try:
                gens = await domain.initialise(plan.tags, merged)
            except StoreUnavailable:
                policy.bypassed += 1
                return await call(operation)
        if gens is None:
            policy.bypassed += 1
            return await call(operation)

        if stale is not None and stale.generations == gens:
            local = tiers[stale_tier].local is not None
            found, value = _decode(stale, local) if serve_stale else (False, None)
            if found:
                policy.stats[stale_tier].stale_hits += 1
                if plan.digest not in self._flights:
                    self._refresh_later(operation, call, plan, ttl, swr, stale.generations)
                policy.stats[stale_tier].latency.observe(time.perf_counter() - started)
                return value
            policy.stats[stale_tier].misses += 1
        return await self._fill(operation, call, plan, ttl, swr, gens)

    def _backfill(self, plan: Plan, found_at: int, entry: Entry, value: Any, now: float) -> None:
        """Copy an entry found in a farther tier into the in-process tiers before it."""
        ttl = entry.stale_until - now
        if ttl <= 0 or found_at == 0:
            return
        raw: bytes | None = None
        for i in range(found_at):
            local = plan.policy.tiers[i].local
            if local is not None:
                if raw is None:
                    try:
                        raw = pack(entry.fresh_until, entry.stale_until, entry.generations, codec.encode_local(value))
                    except codec.Unencodable:
                        return
                local.set(plan.keys[i], raw, ttl)

    # -- fills -----------------------------------------------------------------------------

    async def _fill(
        self, operation: Operation, call: Handler, plan: Plan, ttl: float, swr: float, gens: tuple[int, ...]
    ) -> Any:
        """Single-flight: join a running fill of this key, or run the engine and fill every tier."""
        policy = plan.policy
        flight = self._flights.get(plan.digest)
        if flight is not None and flight.gens == gens:
            policy.joined += 1
            await flight.done.wait()
            if flight.error is not None:
                raise flight.error
            if flight.payload is not None:
                return codec.decode_local(flight.payload)
            return await call(operation)
        flight = _Flight(gens)
        self._flights[plan.digest] = flight
        return await self._lead(flight, operation, call, plan, ttl, swr)

    async def _lead(
        self, flight: _Flight, operation: Operation, call: Handler, plan: Plan, ttl: float, swr: float
    ) -> Any:
        policy = plan.policy
        policy.engine_calls += 1
        try:
            result = await call(operation)
        except BaseException as exc:
            if not isinstance(exc, asyncio.CancelledError):
                flight.error = exc
            self._land(plan.digest, flight)
            raise
        try:
            local: bytes | None = codec.encode_local(result)
            shared = codec.encode(result) if policy.gen_tier >= 0 else None
        except codec.Unencodable as exc:
            log.debug("result of %s.%s is not cached: %s", policy.model, operation.action.value, exc)
            local = shared = None
        flight.payload = local
        self._land(plan.digest, flight)
        if local is not None and (policy.cache_empty or not _is_empty(result)):
            await self._store(plan, flight.gens, local, shared, ttl, swr)
        return result

    def _land(self, key: str, flight: _Flight) -> None:
        if self._flights.get(key) is flight:
            del self._flights[key]
        flight.done.set()

    async def _store(
        self, plan: Plan, gens: tuple[int, ...], local: bytes, shared: bytes | None, ttl: float, swr: float
    ) -> None:
        """Write the entry to every tier: pickle in-process, the JSON codec in shared stores."""
        policy = plan.policy
        domain = policy.domain
        # A write during the engine call already made this entry invalid: do not spend memory on it.
        if domain.shared is False:
            if domain.current(plan.tags) != gens:
                return
        elif isinstance(domain, SharedDomain) and domain.blocked(plan.tags):
            return
        now = time.time()
        jitter = self.config.jitter
        fresh = max(ttl, 0.0) * (1.0 + random.random() * jitter) if jitter else max(ttl, 0.0)
        fresh_until = now + fresh
        stale_until = fresh_until + max(swr, 0.0)
        lifetime = stale_until - now
        if lifetime <= 0:
            return
        local_raw = pack(fresh_until, stale_until, gens, local)
        shared_raw = pack(fresh_until, stale_until, gens, shared) if shared is not None else None
        for i, tier in enumerate(policy.tiers):
            stats = policy.stats[i]
            if tier.local is not None:
                raw = local_raw
                tier.local.set(plan.keys[i], raw, lifetime)
            else:
                if shared_raw is None:
                    continue
                raw = shared_raw
                try:
                    await tier.guard.call(tier.store.set_many, {plan.keys[i]: raw}, lifetime)
                except StoreUnavailable:
                    continue
            stats.fills += 1
            stats.bytes_written += len(raw)

    def _refresh_later(
        self, operation: Operation, call: Handler, plan: Plan, ttl: float, swr: float, gens: tuple[int, ...]
    ) -> None:
        """Stale-while-revalidate: one background refresh per key (its gens: those the stale entry proved)."""
        flight = _Flight(gens)
        self._flights[plan.digest] = flight

        async def refresh() -> None:
            try:
                await self._lead(flight, operation, call, plan, ttl, swr)
            except Exception as exc:
                log.debug("background refresh of %s failed: %s", plan.policy.model, exc)

        self._spawn(refresh())

    def _spawn(self, coro: Awaitable[None]) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def refresh(self, operation: Operation) -> Any:
        """Run ``operation`` through the pipeline and store its result whatever the cache holds (warming).

        It goes through the whole pipeline (validation, policies) so that its key is
        the key ordinary reads of the same query compute.
        """
        if self._runner is None:
            raise RuntimeError("the cache manager has no pipeline to run operations (not started by a runtime)")
        operation.state[REFRESH] = True
        return await self._runner(operation)

    async def _forced(self, operation: Operation, call: Handler, plan: Plan, ttl: float, swr: float) -> Any:
        gens = await self._snapshot(plan)
        if gens is None:
            return await call(operation)
        return await self._fill(operation, call, plan, ttl, swr, gens)

    async def _snapshot(self, plan: Plan) -> tuple[int, ...] | None:
        domain = plan.policy.domain
        if isinstance(domain, LocalDomain):
            return domain.current(plan.tags)
        if domain.blocked(plan.tags):
            return None
        try:
            values = await domain.guard.call(domain.guard.store.get_many, list(plan.tag_keys))
            return await domain.initialise(plan.tags, domain.merge(plan.tags, values))
        except StoreUnavailable:
            return None

    # -- lookups without the engine --------------------------------------------------------

    async def peek(self, operation: Operation) -> tuple[bool, Any]:
        """``(True, value)`` when a valid entry (fresh or within its SWR window) exists, else ``(False, None)``."""
        policy = self._policy(operation.model)
        plan = self._plan(operation, policy, operation.context.cache)
        if plan is None or not policy.enabled:
            return False, None
        now = time.time()
        domain = policy.domain
        for i, tier in enumerate(policy.tiers):
            try:
                if tier.local is not None:
                    raw = tier.local.get(plan.keys[i])
                    expected = domain.current(plan.tags)
                elif i == policy.gen_tier:
                    assert isinstance(domain, SharedDomain)
                    values = await tier.guard.call(tier.store.get_many, plan.lookup_keys)
                    merged = domain.merge(plan.tags, values[1:])
                    raw = values[0]
                    expected = None if None in merged or domain.blocked(plan.tags) else tuple(merged)  # type: ignore[arg-type]
                else:
                    raw = (await tier.guard.call(tier.store.get_many, [plan.keys[i]]))[0]
                    expected = domain.current(plan.tags)
            except StoreUnavailable:
                continue
            if raw is None or expected is None:
                continue
            entry = unpack(raw)
            if entry is not None and entry.generations == expected and now < entry.stale_until:
                found, value = _decode(entry, tier.local is not None)
                if found:
                    return True, value
        return False, None

    # -- writes and invalidation -----------------------------------------------------------

    async def write(self, operation: Operation, call: Handler) -> Any:
        """Run a write, then invalidate what it changed (also when it failed: it may have committed)."""
        try:
            result = await call(operation)
        except asyncio.CancelledError:
            self._spawn(self.invalidate_operation(operation))
            raise
        except Exception:
            await self.invalidate_operation(operation)
            raise
        await self.invalidate_operation(operation)
        return result

    async def invalidate_operation(self, operation: Operation) -> None:
        """Invalidate what a write changed; inside a transaction, again when it commits (`on_commit`)."""
        try:
            models = self.written_models(operation)
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
        await self._bump(tags)

    async def on_commit(self, transaction_id: str) -> None:
        """The transaction committed: invalidate (again) every model its writes changed."""
        tags = self._transactions.pop(transaction_id, None)
        if tags:
            await self._bump(tags)

    def discard(self, transaction_id: str) -> None:
        """The transaction rolled back: forget its writes."""
        self._transactions.pop(transaction_id, None)

    async def invalidate(self, *, tags: Iterable[str] = (), models: Iterable[str] = ()) -> None:
        """Invalidate every entry carrying one of the user ``tags`` or reading one of ``models``, everywhere."""
        bumped = [user_tag(t) for t in tags] + [model_tag(self.schema.model(m).name) for m in models]
        if bumped:
            await self._bump(bumped)

    async def clear(self) -> None:
        """Invalidate every entry in every process; free the in-process tiers."""
        await self._bump([ALL_TAG])
        for tier in self._tiers.values():
            if tier.local is not None:
                await tier.local.clear()

    async def clear_model(self, model: str) -> None:
        name = self.schema.model(model).name
        await self._bump([model_tag(name)])
        for tier in self._tiers.values():
            if tier.local is not None:
                tier.local.delete_prefix(f"{tier.prefix}e:{self._schema_tag}:{name}:")

    async def _bump(self, tags: Collection[str]) -> None:
        self.invalidations += 1
        self.local.bump(tags)
        domains = list(self._domains.values())
        if len(domains) == 1:
            await domains[0].bump(tags)
        elif domains:
            await asyncio.gather(*(d.bump(tags) for d in domains))

    # -- warming ---------------------------------------------------------------------------

    def warm_operations(self) -> list[Operation]:
        """The operations ``cache.warm`` declares: ``{model, action = "findMany", args, tenant, actor}``."""
        out = []
        for i, item in enumerate(self.config.warm):
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
                deadline=time.monotonic() + self.infra_config.database.operation_timeout,
                cache=CacheOptions(ttl=item.get("ttl"), swr=item.get("swr"), tags=tuple(item.get("tags", ()))),
            )
            out.append(Operation(model=canonical, action=action, args=dict(item.get("args") or {}), context=context))
        return out

    async def warm(self) -> dict[str, int]:
        """Run every ``cache.warm`` query and store its result; failures are logged, not raised."""
        done = failed = 0
        for operation in self.warm_operations():
            try:
                await self.refresh(operation)
                done += 1
            except Exception as exc:
                failed += 1
                log.warning("cache warming of %s.%s failed: %s", operation.model, operation.action.value, exc)
        return {"warmed": done, "failed": failed}

    async def _warm_loop(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            await self.warm()

    # -- introspection ---------------------------------------------------------------------

    def for_model(self, model: str) -> ModelCache:
        from prisma_infra.cache.facade import ModelCache

        return ModelCache(self, self.schema.model(model).name)

    def explain(self, operation: Operation) -> dict[str, Any]:
        """How the cache treats ``operation``: key, tags, tiers, ttl, swr (or why it is not cached)."""
        policy = self._policy(operation.model)
        options = operation.context.cache
        info: dict[str, Any] = {
            "model": policy.model,
            "action": operation.action.value,
            "cached": False,
            "tiers": [t.name for t in policy.tiers],
            "ttl": options.ttl if options is not None and options.ttl is not None else policy.ttl,
            "swr": options.swr if options is not None and options.swr is not None else policy.swr,
            "serve_stale": options.serve_stale if options is not None else True,
            "cache_empty": policy.cache_empty,
            "key": None,
            "tags": [],
            "reason": None,
        }
        if operation.action not in READ_ACTIONS:
            info["reason"] = "writes are not cached; they invalidate " + ", ".join(
                sorted(self.written_models(operation) or {"everything"})
            )
            return info
        if not self.enabled or not policy.enabled:
            info["reason"] = "caching is disabled for this model"
        elif options is not None and not options.enabled:
            info["reason"] = "cache=False on this query"
        elif operation.context.transaction is not None:
            info["reason"] = "reads inside a transaction bypass the cache"
        elif info["ttl"] <= 0 and info["swr"] <= 0:
            info["reason"] = "ttl and swr are 0"
        try:
            plan = self._plan(operation, policy, options)
        except NoScope as exc:
            info["reason"] = info["reason"] or f"no cache scope: {exc}"
            return info
        if plan is None:
            info["reason"] = info["reason"] or "raw SQL reads tables that are not models (declare args['models'])"
            return info
        info["key"] = plan.keys[0] if plan.keys else None
        info["keys"] = dict(zip((t.name for t in policy.tiers), plan.keys, strict=True))
        info["tags"] = list(plan.tags)
        info["cached"] = info["reason"] is None
        return info

    def stats(self) -> dict[str, Any]:
        """Hits, misses, stale hits, fills, bytes and hit latency per model and tier; store health."""
        models: dict[str, Any] = {}
        for policy in {id(p): p for p in self._policies.values()}.values():
            tiers = {t.name: s.snapshot() for t, s in zip(policy.tiers, policy.stats, strict=True)}
            if not any(s["hits"] or s["misses"] or s["stale_hits"] for s in tiers.values()) and not policy.bypassed:
                continue
            models[policy.model] = {
                "tiers": tiers,
                "bypassed": policy.bypassed,
                "engine_calls": policy.engine_calls,
                "single_flight_joined": policy.joined,
            }
        stores: dict[str, Any] = {}
        for name, tier in self._tiers.items():
            info: dict[str, Any] = {"shared": tier.shared, **tier.guard.stats()}
            store_stats = getattr(tier.store, "stats", None)
            if callable(store_stats):
                with contextlib.suppress(Exception):
                    info.update(store_stats())
            domain = self._domains.get(name)
            if domain is not None:
                info["generations"] = {
                    "tracked_tags": len(domain.gens),
                    "pending_bumps": len(domain.pending),
                    "syncs": domain.syncs,
                    "synced_ago_s": time.monotonic() - domain.synced_at,
                }
            stores[name] = info
        return {
            "enabled": self.enabled,
            "models": models,
            "stores": stores,
            "invalidations": self.invalidations,
            "transaction_bypasses": self.transaction_bypasses,
            "in_flight": len(self._flights),
        }

    def model_stats(self, model: str) -> dict[str, Any]:
        policy = self._policy(model)
        return {
            "tiers": {t.name: s.snapshot() for t, s in zip(policy.tiers, policy.stats, strict=True)},
            "bypassed": policy.bypassed,
            "engine_calls": policy.engine_calls,
            "single_flight_joined": policy.joined,
        }

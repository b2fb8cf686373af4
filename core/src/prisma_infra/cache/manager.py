"""`CacheManager`: configuration, keys and tags, invalidation, warming and introspection.

One manager per runtime (configuration). Reads go nearest tier first; a hit
in a farther tier is copied into the nearer in-process tier. A miss runs the
engine once per key however many callers wait (single-flight) and fills every
tier. A write bumps the generation of every model it changed, which makes
every entry that read one of them invalid, in every process that shares the
store. The read path lives in `prisma_infra.cache.reads`; ``docs/caching.md``
gives the reasoning.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Collection, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from prisma_infra.cache.generations import LocalDomain, SharedDomain
from prisma_infra.cache.guard import StoreGuard, StoreUnavailable
from prisma_infra.cache.keys import ALL_TAG, NoScope, actor_id, digest, model_tag, prefix_for, user_tag
from prisma_infra.cache.memory import MemoryStore
from prisma_infra.cache.policy import RAW_MODEL, ModelPolicy, Plan, Tier
from prisma_infra.cache.reads import Handler, ReadPath, _Flight
from prisma_infra.cache.sql import TableMap, analyze, raw_sql, raw_writes
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


#: Keys of ``cache.stores.<name>`` read by the manager (the rest is the store's own).
MANAGER_OPTIONS = (
    "namespace", "timeout", "retry_after", "retry_max", "failure_threshold", "sync_interval", "max_staleness",
)

_SHARED_HINT = {"redis": "prisma-infra-redis", "memcached": "prisma-infra-memcached"}
_MAX_PLANS = 50_000
_MAX_OPEN_TRANSACTIONS = 10_000


class CacheManager(ReadPath):
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
        self._refreshing: set[str] = set()
        self._transactions: OrderedDict[str, set[str]] = OrderedDict()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._sync_tasks: list[asyncio.Task[None]] = []
        self._warm_task: asyncio.Task[None] | None = None
        self._runner: Handler | None = None
        #: The runtime's extras: `ModelCache.get` scopes what it returns with ``extras["policies"]``.
        self.extras: Mapping[str, Any] = {}
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
            failure_threshold=int(options.get("failure_threshold", 3)),
        )
        prefix = prefix_for(str(options.get("namespace", "")))
        local = store if isinstance(store, MemoryStore) and not store.shared else None
        # Any store but the built-in memory one is read through the generic path, with its tags'
        # generation counters kept in the store itself: right for a shared store, and merely
        # unneeded for a third-party in-process one.
        tier = Tier(name=name, store=store, guard=guard, prefix=prefix, local=local, shared=local is None)
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

    def _spawn(self, coro: Awaitable[None]) -> None:
        """Run ``coro`` in the background; cancelled by `close`."""
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

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
        sql = raw_sql(operation.args)
        if sql is None:
            return declared or None
        found = analyze(sql, self.schema.provider)
        if found.writes:  # a queryRaw that writes is never cached (the middleware runs it as a write)
            return None
        models, complete = self._tables.models(found.read)
        if declared:
            return declared | models
        return models if complete and models else None

    def _declared(self, args: Mapping[str, Any]) -> frozenset[str]:
        declared = args.get("models") or ()
        if isinstance(declared, str):
            declared = (declared,)
        return frozenset(self.schema.model(m).name for m in declared)

    def is_write(self, operation: Operation) -> bool:
        """A write to invalidate after: every write action, and a ``queryRaw`` whose SQL writes."""
        return operation.action not in READ_ACTIONS or raw_writes(operation, self.schema.provider)

    def written_models(self, operation: Operation) -> frozenset[str] | None:
        """Models a write changes (views included); ``None`` means unknown (raw SQL on unknown tables): everything."""
        if operation.model is not None and not operation.action.is_raw:
            return self.schema.models_written(operation.model, operation.action, operation.args)
        declared = self._declared(operation.args)
        sql = raw_sql(operation.args)
        if sql is not None:
            models = self._tables.written(analyze(sql, self.schema.provider))
            models = models | self.schema.views if models else models
            if declared:  # the caller's declaration completes what the SQL does not say
                return declared | (models or frozenset())
            return models or None
        return declared or None

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

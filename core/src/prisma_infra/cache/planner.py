"""`Planner`: what the cache does with an operation — its rules, key, tags and TTLs (`explain`).

Rules are resolved once per model and plans once per distinct read (bounded
memo), so the read path never consults the configuration or the schema for a
key it has seen. Raw SQL is analysed for the tables it reads and writes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from prisma_infra.cache.generations import SharedDomain
from prisma_infra.cache.keys import ALL_TAG, NoScope, actor_id, digest, model_tag, user_tag
from prisma_infra.cache.rules import RAW_MODEL, CachePlan, ModelCacheRules
from prisma_infra.cache.sql import TableMap, analyze, raw_sql, raw_writes
from prisma_infra.operation import READ_ACTIONS, CacheOptions, Operation

if TYPE_CHECKING:
    from prisma_infra.cache.rules import Tier
    from prisma_infra.cache.tiers import Tiers
    from prisma_infra.config.model import InfraConfig
    from prisma_infra.schema.model import Schema

__all__ = ["Planner"]

_MAX_PLANS = 50_000
V = TypeVar("V")


def _pick(value: V | None, default: V) -> V:
    return default if value is None else value


class Planner:
    """Rules per model and plans per read of one runtime's cache."""

    def __init__(self, config: InfraConfig, schema: Schema, tiers: Tiers, *, enabled: bool) -> None:
        self.infra_config = config
        self.schema = schema
        self.tiers = tiers
        self.enabled = enabled
        self._schema_tag = (schema.hash or "noschema")[:12]
        self._tables = TableMap(schema)
        #: Rules by model name as written and as canonical (``None``: raw queries); the read path's memo.
        self.by_model: dict[str | None, ModelCacheRules] = {}
        self._plans: dict[str, CachePlan | None] = {}

    # -- rules -----------------------------------------------------------------------------

    def rules(self, model: str | None) -> ModelCacheRules:
        """The effective cache settings of ``model`` (``None``: raw queries), built once."""
        found = self.by_model.get(model)
        if found is not None:
            return found
        name = RAW_MODEL if model is None else self.schema.model(model).name
        own = self.infra_config.model_settings(name).cache if model is not None else None
        glob = self.infra_config.cache
        tiers = tuple(self.tiers.get(t) for t in _pick(own.tiers if own else None, glob.tiers))
        domain, gen_tier = self.tiers.domain(tiers)
        rules = ModelCacheRules(
            model=name,
            enabled=bool(_pick(own.enabled if own else None, glob.enabled)) and bool(tiers),
            ttl=float(_pick(own.ttl if own else None, glob.ttl)),
            swr=float(_pick(own.swr if own else None, glob.swr)),
            cache_empty=bool(_pick(own.cache_empty if own else None, glob.cache_empty)),
            tiers=tiers,
            domain=domain,
            gen_tier=gen_tier,
        )
        self.by_model[model] = rules
        if model is not None:
            self.by_model[name] = rules
        return rules

    def all_rules(self) -> list[ModelCacheRules]:
        """Every model's rules built so far, once each."""
        return list({id(r): r for r in self.by_model.values()}.values())

    def entry_prefix(self, tier: Tier, model: str) -> str:
        """The start of every entry key of ``model`` in ``tier`` (schema-versioned)."""
        return f"{tier.prefix}e:{self._schema_tag}:{model}:"

    # -- plans -----------------------------------------------------------------------------

    def plan(self, operation: Operation, rules: ModelCacheRules, options: CacheOptions | None) -> CachePlan | None:
        """The plan of a read, memoised (``None``: not cacheable); raises `NoScope` without a scope."""
        ctx = operation.context
        user_tags = options.tags if options is not None else ()
        custom = options.key if options is not None else None
        material = (
            rules.model,
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
        models = self.models_read(operation)
        plan = None
        if models is not None:
            tags = (ALL_TAG, *sorted(model_tag(m) for m in models), *sorted({user_tag(t) for t in user_tags}))
            domain = rules.domain
            plan = CachePlan(
                digest=key,
                rules=rules,
                keys=tuple(self.entry_prefix(t, rules.model) + key for t in rules.tiers),
                tags=tags,
                tag_keys=tuple(domain.key(t) for t in tags) if isinstance(domain, SharedDomain) else (),
            )
            if rules.gen_tier >= 0:
                plan.lookup_keys = [plan.keys[rules.gen_tier], *plan.tag_keys]
        if len(self._plans) >= _MAX_PLANS:
            self._plans.clear()
        self._plans[key] = plan
        return plan

    def models_read(self, operation: Operation) -> frozenset[str] | None:
        """Models a read reads (relations and views included); ``None``: unknown (raw SQL on unknown tables)."""
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

    # -- introspection ---------------------------------------------------------------------

    def explain(self, operation: Operation) -> dict[str, Any]:
        """How the cache treats ``operation``: key, tags, tiers, ttl, swr (or why it is not cached)."""
        rules = self.rules(operation.model)
        options = operation.context.cache
        info: dict[str, Any] = {
            "model": rules.model,
            "action": operation.action.value,
            "cached": False,
            "tiers": [t.name for t in rules.tiers],
            "ttl": options.ttl if options is not None and options.ttl is not None else rules.ttl,
            "swr": options.swr if options is not None and options.swr is not None else rules.swr,
            "serve_stale": options.serve_stale if options is not None else True,
            "cache_empty": rules.cache_empty,
            "key": None,
            "tags": [],
            "reason": None,
        }
        if operation.action not in READ_ACTIONS:
            info["reason"] = "writes are not cached; they invalidate " + ", ".join(
                sorted(self.written_models(operation) or {"everything"})
            )
            return info
        if not self.enabled or not rules.enabled:
            info["reason"] = "caching is disabled for this model"
        elif options is not None and not options.enabled:
            info["reason"] = "cache=False on this query"
        elif operation.context.transaction is not None:
            info["reason"] = "reads inside a transaction bypass the cache"
        elif info["ttl"] <= 0 and info["swr"] <= 0:
            info["reason"] = "ttl and swr are 0"
        try:
            plan = self.plan(operation, rules, options)
        except NoScope as exc:
            info["reason"] = info["reason"] or f"no cache scope: {exc}"
            return info
        if plan is None:
            info["reason"] = info["reason"] or "raw SQL reads tables that are not models (declare args['models'])"
            return info
        info["key"] = plan.keys[0] if plan.keys else None
        info["keys"] = dict(zip((t.name for t in rules.tiers), plan.keys, strict=True))
        info["tags"] = list(plan.tags)
        info["cached"] = info["reason"] is None
        return info

"""The provider kinds: what a plugin implements for each, and what the kernel does around it.

A provider implements only its kind's primitives. The kernel owns the shared
work, the same for every backend, so no plugin re-implements it (and none can
get it subtly wrong): timeouts and deadlines, retries and circuit breaking,
metrics, error translation at the boundary, key namespacing and
serialisation, buffering and replay, hot swapping on reload.
"""

from __future__ import annotations

from dataclasses import dataclass

from prisma_infra.pipeline import Middleware
from prisma_infra.providers import AuditSink, CacheStore, Engine, MetricsExporter, PiiDetector, SearchProvider

__all__ = ["PROVIDER_KINDS", "ProviderKind"]


@dataclass(frozen=True, slots=True)
class ProviderKind:
    """One kind of provider (see `PROVIDER_KINDS`)."""

    kind: str
    """The kind's name (also the template's ``provider_kind``)."""
    base: type
    """The base class an implementation subclasses."""
    hook: str
    """The registration hook (``register(name, factory)``)."""
    registers: str
    """What ``register`` takes."""
    selected_by: str
    """The settings that choose and configure registered providers."""
    primitives: tuple[str, ...]
    """The methods an implementation writes."""
    kernel_does: tuple[str, ...]
    """What the kernel does around them, so the provider does not."""
    contract: str
    """The kit in `prisma_infra_sdk.testing` that defines the kind."""


PROVIDER_KINDS: dict[str, ProviderKind] = {
    k.kind: k
    for k in (
        ProviderKind(
            kind="engine",
            base=Engine,
            hook="register_engines",
            registers="factory(database_config) -> Engine",
            selected_by="database.engine; database.options for engine-specific settings",
            primitives=("start", "close", "datamodel", "execute", "execute_batch", "begin", "commit", "rollback"),
            kernel_does=(
                "argument validation against the schema",
                "operation deadlines (database.operation_timeout) and back-pressure",
                "caching, audit, policies, PII masking and metrics as pipeline middleware",
                "transaction scoping (infra.transaction()) and joining nested transactions",
            ),
            contract="EngineContract",
        ),
        ProviderKind(
            kind="cache_store",
            base=CacheStore,
            hook="register_cache_backends",
            registers="factory(options) -> CacheStore (the class itself works)",
            selected_by="cache.tiers / models.<Model>.cache.tiers; options from cache.stores.<name>",
            primitives=("get_many", "set_many", "delete_many", "incr", "clear", "start", "close"),
            kernel_does=(
                "keys (model, action, args, schema version, tenant/actor scope) and their namespace",
                "serialisation: a store only sees bytes",
                "tags and invalidation (generation counters built on incr), single-flight, TTL jitter, SWR",
                "timeouts per call (cache.store_timeout) and a circuit breaker: a failing store is bypassed",
                "hit/miss/latency metrics per model and per tier",
            ),
            contract="CacheStoreContract",
        ),
        ProviderKind(
            kind="search_provider",
            base=SearchProvider,
            hook="register_search_providers",
            registers="factory(options) -> SearchProvider",
            selected_by="models.<Model>.searchable fields; the provider by name",
            primitives=("index", "search", "remove", "close"),
            kernel_does=(
                "turning ids into records (through the pipeline, so policies and masking apply)",
                "falling back to database filters when no provider is configured or it is down",
            ),
            contract="SearchProviderContract",
        ),
        ProviderKind(
            kind="audit_sink",
            base=AuditSink,
            hook="register_audit_sinks",
            registers="factory(options) -> AuditSink (the class itself works)",
            selected_by="audit.sinks; options from audit.sink_options.<name> (plus base_dir)",
            primitives=("write", "start", "close"),
            kernel_does=(
                "building events: actor, before/after images, diff, PII masking",
                "the hash chain (seq, prev_hash, hash) and its verification",
                "timeouts (audit.sink_timeout), the durable buffer and in-order replay with backoff",
            ),
            contract="AuditSinkContract",
        ),
        ProviderKind(
            kind="metrics_exporter",
            base=MetricsExporter,
            hook="register_metrics_exporters",
            registers="factory(options) -> MetricsExporter",
            selected_by="monitoring.exporters; options from monitoring.exporter_options.<name>",
            primitives=("observe", "start", "close"),
            kernel_does=(
                "measuring every operation (one perf_counter pair) and classifying its error",
                "isolating a failing exporter: an exception is logged once, never reaches the caller",
                "keeping an exporter across reloads while its options are unchanged",
            ),
            contract="MetricsExporterContract",
        ),
        ProviderKind(
            kind="pii_detector",
            base=PiiDetector,
            hook="register_pii_detectors",
            registers="a PiiDetector instance",
            selected_by="every registered detector runs unless named in pii.disable",
            primitives=("detect",),
            kernel_does=(
                "the pii.min_confidence threshold and arbitration between detectors",
                "classifying fields from names, types and sampled values",
                "finding spans in free text, and every masking strategy",
            ),
            contract="PiiDetectorContract",
        ),
        ProviderKind(
            kind="middleware",
            base=Middleware,
            hook="register_middleware",
            registers="factory(infrastructure) -> Middleware (the class itself works)",
            selected_by="pipeline.order (outermost first) and pipeline.disable; else the class's order",
            primitives=("before", "after", "error", "wrap (optional)", "start", "close"),
            kernel_does=(
                "composing the pipeline once per configuration: a hook not overridden costs nothing",
                "running in-flight operations to the end on the runtime they started on during a reload",
            ),
            contract="MiddlewareContract",
        ),
    )
}

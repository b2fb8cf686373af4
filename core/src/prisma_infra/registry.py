"""The registry: the provider kinds (the one table), what every plugin registers by kind, and the engine.

`PROVIDER_KINDS` lists, per kind: its registration hook, the base class a provider
subclasses, what ``register`` accepts (and the check the kernel applies), the
settings that select providers, the primitives a provider writes and the shared
work the kernel does around them, the SDK contract kit that defines the kind, and
which dist provides the project's known providers (for "install it with" hints).
The SDK's ``PROVIDER_KINDS``, ``Plugin``'s declared providers and the CLI read it.

A provider implements only its kind's primitives. The kernel owns the shared
work, the same for every backend, so no plugin re-implements it: timeouts and
deadlines, retries and circuit breaking, metrics, error translation at the
boundary, key namespacing and serialisation, buffering and replay, hot swapping
on reload.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from prisma_infra.config.model import InfraConfig
from prisma_infra.errors import ConfigurationError, closest_match
from prisma_infra.hookspecs import DEPRECATED_HOOKS
from prisma_infra.pipeline import Middleware
from prisma_infra.plugin_manager import PluginManager, Registration
from prisma_infra.providers import AuditSink, CacheStore, Engine, MetricsExporter, PiiDetector, SearchProvider

__all__ = [
    "DEPRECATED_KINDS",
    "PROVIDER_HOOKS",
    "PROVIDER_KINDS",
    "ProviderKind",
    "Registry",
    "collect_registry",
    "dist_for",
    "install_hint",
    "select_engine",
    "unknown_provider",
]

#: Old registry key -> the kind it was renamed to (``registry["cache_backends"]`` still works, with a warning).
DEPRECATED_KINDS: dict[str, str] = {"cache_backends": "cache_stores"}

_TESTING = "prisma_infra_sdk.testing"


@dataclass(frozen=True, slots=True)
class ProviderKind:
    """One kind of provider (see `PROVIDER_KINDS`)."""

    key: str
    """The registry's key, ``Plugin``'s class attribute and the hook's suffix (``cache_stores``)."""
    kind: str
    """One provider of the kind (``cache_store``; also the template's ``provider_kind``)."""
    base: type
    """The base class an implementation subclasses (``object`` when any value goes)."""
    registers: str
    """What ``register`` takes."""
    selected_by: str
    """The settings that choose and configure registered providers."""
    accepts: Literal["factory", "instance", "value"] = "factory"
    """What the kernel checks: a `base` subclass or a callable, a `base` instance, or anything but ``None``."""
    primitives: tuple[str, ...] = ()
    """The methods an implementation writes."""
    kernel_does: tuple[str, ...] = ()
    """What the kernel does around them, so the provider does not."""
    contract_kit: str | None = None
    """Dotted path of the SDK kit that defines the kind (a string: the kernel never imports the SDK)."""
    install_hints: Mapping[str, str] = field(default_factory=dict)
    """Known provider name -> the dist that provides it."""

    @property
    def hook(self) -> str:
        """The registration hook (``register(name, factory)``)."""
        return f"register_{self.key}"

    @property
    def deprecated_hooks(self) -> tuple[str, ...]:
        """Old names of `hook`, still called for one release."""
        return tuple(old for old, new in DEPRECATED_HOOKS.items() if new == self.hook)

    @property
    def contract(self) -> str | None:
        """The kit's name in ``prisma_infra_sdk.testing`` (``CacheStoreContract``)."""
        return self.contract_kit.rpartition(".")[2] if self.contract_kit else None

    @property
    def expected(self) -> str:
        """What `check` expects, for error messages."""
        name = self.base.__name__
        article = "an" if name[0] in "AEIOU" else "a"
        if self.accepts == "instance":
            return f"{article} {name} instance"
        if self.accepts == "value":
            return "a value (not None)"
        return f"{article} {name} subclass or factory"

    def check(self, value: Any) -> bool:
        """Whether ``value`` is what ``register`` accepts for this kind."""
        if self.accepts == "instance":
            return isinstance(value, self.base)
        if self.accepts == "value":
            return value is not None
        if inspect.isclass(value):
            return issubclass(value, self.base)
        return callable(value)

    def install_hint(self, name: str) -> str:
        """`` Install it with: pip install DIST`` for a known provider, else ``""``."""
        dist = self.install_hints.get(name.lower())
        return f" Install it with: pip install {dist}" if dist else ""


_KINDS = (
    ProviderKind(
        key="engines",
        kind="engine",
        base=Engine,
        registers="factory(database_config) -> Engine",
        selected_by="database.engine; database.options for engine-specific settings",
        primitives=("start", "close", "datamodel", "execute", "execute_batch", "begin", "commit", "rollback"),
        kernel_does=(
            "argument validation against the schema",
            "operation deadlines (database.operation_timeout) and back-pressure",
            "caching, audit, policies, PII masking and metrics as pipeline middleware",
            "transaction scoping (infra.transaction()) and joining nested transactions",
        ),
        contract_kit=f"{_TESTING}.EngineContract",
        install_hints={"prisma": "prisma-infra-prisma"},
    ),
    ProviderKind(
        key="cache_stores",
        kind="cache_store",
        base=CacheStore,
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
        contract_kit=f"{_TESTING}.CacheStoreContract",
        install_hints={"redis": "prisma-infra-redis", "memcached": "prisma-infra-memcached"},
    ),
    ProviderKind(
        key="search_providers",
        kind="search_provider",
        base=SearchProvider,
        registers="factory(options) -> SearchProvider",
        selected_by="models.<Model>.searchable fields; the provider by name",
        primitives=("index", "search", "remove", "close"),
        kernel_does=(
            "turning ids into records (through the pipeline, so policies and masking apply)",
            "falling back to database filters when no provider is configured or it is down",
        ),
        contract_kit=f"{_TESTING}.SearchProviderContract",
    ),
    ProviderKind(
        key="audit_sinks",
        kind="audit_sink",
        base=AuditSink,
        registers="factory(options) -> AuditSink (the class itself works)",
        selected_by="audit.sinks; options from audit.sink_options.<name> (plus base_dir)",
        primitives=("write", "start", "close"),
        kernel_does=(
            "building events: actor, before/after images, diff, PII masking",
            "the hash chain (seq, prev_hash, hash) and its verification",
            "timeouts (audit.sink_timeout), the durable buffer and in-order replay with backoff",
        ),
        contract_kit=f"{_TESTING}.AuditSinkContract",
        install_hints={"nats": "prisma-infra-nats"},
    ),
    ProviderKind(
        key="metrics_exporters",
        kind="metrics_exporter",
        base=MetricsExporter,
        registers="factory(options) -> MetricsExporter",
        selected_by="monitoring.exporters; options from monitoring.exporter_options.<name>",
        primitives=("observe", "start", "close"),
        kernel_does=(
            "measuring every operation (one perf_counter pair) and classifying its error",
            "isolating a failing exporter: an exception is logged once, never reaches the caller",
            "keeping an exporter across reloads while its options are unchanged",
        ),
        contract_kit=f"{_TESTING}.MetricsExporterContract",
        install_hints={"prometheus": "prisma-infra-prometheus"},
    ),
    ProviderKind(
        key="pii_detectors",
        kind="pii_detector",
        base=PiiDetector,
        accepts="instance",
        registers="a PiiDetector instance",
        selected_by="every registered detector runs unless named in pii.disable",
        primitives=("detect",),
        kernel_does=(
            "the pii.min_confidence threshold and arbitration between detectors",
            "classifying fields from names, types and sampled values",
            "finding spans in free text, and every masking strategy",
        ),
        contract_kit=f"{_TESTING}.PiiDetectorContract",
    ),
    ProviderKind(
        key="middleware",
        kind="middleware",
        base=Middleware,
        registers="factory(kernel) -> Middleware (the class itself works)",
        selected_by="pipeline.order (outermost first) and pipeline.disable; else the class's order",
        primitives=("before", "after", "error", "wrap (optional)", "start", "close"),
        kernel_does=(
            "composing the pipeline once per configuration: a hook not overridden costs nothing",
            "running in-flight operations to the end on the runtime they started on during a reload",
        ),
        contract_kit=f"{_TESTING}.MiddlewareContract",
    ),
    ProviderKind(
        key="analytics_metrics",
        kind="analytics_metric",
        base=object,
        accepts="value",
        registers="a metric definition (AggregateMetric, SeriesMetric, SqlMetric or a mapping)",
        selected_by="KPIs and analytics queries name metrics",
    ),
)

#: Every kind plugins register, by `ProviderKind.key`, in the order the registry collects them.
PROVIDER_KINDS: dict[str, ProviderKind] = {kind.key: kind for kind in _KINDS}


def install_hint(key: str, name: str) -> str:
    """The install hint for provider ``name`` of kind ``key`` (``""`` when it is not a known one)."""
    kind = PROVIDER_KINDS.get(DEPRECATED_KINDS.get(key, key))
    return kind.install_hint(name) if kind is not None else ""


def dist_for(name: str) -> str | None:
    """The dist providing the known provider ``name`` of any kind (``redis`` -> ``prisma-infra-redis``)."""
    for kind in _KINDS:
        dist = kind.install_hints.get(name.lower())
        if dist:
            return dist
    return None


#: Deprecated view of `PROVIDER_KINDS`: kind -> (registration hook, type check, what the check expects).
PROVIDER_HOOKS: dict[str, tuple[str, Callable[[Any], bool], str]] = {
    key: (kind.hook, kind.check, kind.expected) for key, kind in PROVIDER_KINDS.items()
}


class Registry(dict[str, dict[str, Registration]]):
    """Kind key -> provider name -> `Registration`; an old kind key still reads its renamed kind."""

    def __missing__(self, key: str) -> dict[str, Registration]:
        renamed = DEPRECATED_KINDS.get(key)
        if renamed is None:
            raise KeyError(key)
        warnings.warn(f"registry[{key!r}] is deprecated: use registry[{renamed!r}]", DeprecationWarning, stacklevel=2)
        return self[renamed]


def collect_registry(plugins: PluginManager, *, exclude: set[str] | frozenset[str] = frozenset()) -> Registry:
    """Everything every plugin registers, by kind; raises on clashes and wrong types.

    :param exclude: plugin names whose registrations are left out (disabled by configuration).
    """
    return Registry(
        {
            key: plugins.collect(
                kind.hook, check=kind.check, expected=kind.expected, exclude=exclude, aliases=kind.deprecated_hooks
            )
            for key, kind in PROVIDER_KINDS.items()
        }
    )


def unknown_provider(setting: str, name: str, known: Mapping[str, Any], install_hint: str = "") -> ConfigurationError:
    match = closest_match(name, known)
    hint = f" Did you mean {match!r}?" if match else ""
    available = ", ".join(sorted(known)) or "none"
    return ConfigurationError(
        f"{setting}: {name!r} is not registered by any plugin (available: {available}).{hint}{install_hint}",
        problems=[f"{setting}: unknown provider {name!r}"],
    )


def select_engine(registry: Registry, config: InfraConfig) -> Engine:
    name = config.database.engine
    engines = registry["engines"]
    if name not in engines:
        raise unknown_provider("database.engine", name, engines, install_hint("engines", name))
    database = config.database
    schema_path = Path(database.schema_path)
    if not schema_path.is_absolute():
        # Relative to the settings file's folder, not to wherever the process was started.
        database = database.model_copy(update={"schema_path": str(Path(config.base_dir) / schema_path)})
    factory = engines[name].factory
    # An engine that reads files beside the settings (.env, prisma.config.ts) is told their folder.
    engine: Engine = factory(database, base_dir=config.base_dir) if _takes_base_dir(factory) else factory(database)
    return engine


def _takes_base_dir(factory: Callable[..., Any]) -> bool:
    try:
        return "base_dir" in inspect.signature(factory).parameters
    except (TypeError, ValueError):  # a builtin or C callable
        return False

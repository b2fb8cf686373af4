"""Everything a prisma-infra plugin needs, from one import.

Provider base classes (re-exported from the kernel: `Engine`, `CacheStore`,
`SearchProvider`, `AuditSink`, `MetricsExporter`, `PiiDetector`, `Middleware`):
a provider implements only its kind's primitives; the kernel does the shared
work — timeouts, retries and circuit breaking, metrics, error translation,
key namespacing and serialisation, buffering and replay, hot swapping
(`PROVIDER_KINDS` lists it per kind). Conveniences: `Plugin` (the seed's
``name``/``install``/``configure`` interface, with providers declared as class
attributes) and `PatternDetector`. Test kits: `prisma_infra_sdk.testing`.

Plugins import the kernel only through this package (and its ``testing``): the
names below are the kernel's own objects, re-exported, never copies.
"""

from prisma_infra.audit.anchor import Anchor, AnchorStore
from prisma_infra.cache.sql import mask_sql
from prisma_infra.clock import SYSTEM_CLOCK, Clock
from prisma_infra.config.loader import load_config
from prisma_infra.config.model import AnchorConfig, DatabaseConfig, InfraConfig
from prisma_infra.errors import (
    CacheBackendError,
    ConfigurationError,
    ConstraintError,
    EngineError,
    EngineUnavailableError,
    ForeignKeyConstraintError,
    OperationTimeoutError,
    OutcomeUnknownError,
    PluginError,
    PrismaInfraError,
    ReadOnlyViewError,
    RecordNotFoundError,
    TransactionError,
    UniqueConstraintError,
    UnknownFieldError,
    UnknownModelError,
    ValidationError,
    closest_match,
)
from prisma_infra.hookspecs import hookimpl
from prisma_infra.kernel import Executor, Kernel
from prisma_infra.monitoring.service import METRICS_EXPORTERS
from prisma_infra.operation import WRITE_ACTIONS, Action, CacheOptions, Operation, OperationContext
from prisma_infra.pii.text import mask_text
from prisma_infra.pipeline import Handler, Middleware
from prisma_infra.providers import (
    AuditSink,
    CacheStore,
    Engine,
    EngineFactory,
    MetricsExporter,
    PiiDetector,
    PiiMatch,
    SearchProvider,
)
from prisma_infra.schema.model import Field, Model, Relation, Schema
from prisma_infra.schema.patterns import literal_patterns
from prisma_infra.stash import ServiceKey, StashKey
from prisma_infra.web.panels import Panel

from prisma_infra_sdk.detectors import PatternDetector
from prisma_infra_sdk.kinds import PROVIDER_KINDS, ProviderKind
from prisma_infra_sdk.plugin import Plugin

__all__ = [
    "METRICS_EXPORTERS",
    "PROVIDER_KINDS",
    "SYSTEM_CLOCK",
    "WRITE_ACTIONS",
    "Action",
    "Anchor",
    "AnchorConfig",
    "AnchorStore",
    "AuditSink",
    "CacheBackendError",
    "CacheOptions",
    "CacheStore",
    "Clock",
    "ConfigurationError",
    "ConstraintError",
    "DatabaseConfig",
    "Engine",
    "EngineError",
    "EngineFactory",
    "EngineUnavailableError",
    "Executor",
    "Field",
    "ForeignKeyConstraintError",
    "Handler",
    "InfraConfig",
    "Kernel",
    "MetricsExporter",
    "Middleware",
    "Model",
    "Operation",
    "OperationContext",
    "OperationTimeoutError",
    "OutcomeUnknownError",
    "Panel",
    "PatternDetector",
    "PiiDetector",
    "PiiMatch",
    "Plugin",
    "PluginError",
    "PrismaInfraError",
    "ProviderKind",
    "ReadOnlyViewError",
    "RecordNotFoundError",
    "Relation",
    "Schema",
    "SearchProvider",
    "ServiceKey",
    "StashKey",
    "TransactionError",
    "UniqueConstraintError",
    "UnknownFieldError",
    "UnknownModelError",
    "ValidationError",
    "closest_match",
    "hookimpl",
    "literal_patterns",
    "load_config",
    "mask_sql",
    "mask_text",
]

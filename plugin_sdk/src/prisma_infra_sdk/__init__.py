"""Everything a prisma-infra plugin needs, from one import.

Provider base classes (re-exported from the kernel: `Engine`, `CacheStore`,
`SearchProvider`, `AuditSink`, `MetricsExporter`, `PiiDetector`, `Middleware`):
a provider implements only its kind's primitives; the kernel does the shared
work — timeouts, retries and circuit breaking, metrics, error translation,
key namespacing and serialisation, buffering and replay, hot swapping
(`PROVIDER_KINDS` lists it per kind). Conveniences: `Plugin` (the seed's
``name``/``install``/``configure`` interface, with providers declared as class
attributes) and `PatternDetector`. Test kits: `prisma_infra_sdk.testing`.
"""

from prisma_infra.errors import (
    CacheBackendError,
    ConfigurationError,
    EngineError,
    EngineUnavailableError,
    OutcomeUnknownError,
    PluginError,
    PrismaInfraError,
    RecordNotFoundError,
    TransactionError,
    UniqueConstraintError,
    ValidationError,
)
from prisma_infra.hookspecs import hookimpl
from prisma_infra.operation import Action, CacheOptions, Operation, OperationContext
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

from prisma_infra_sdk.detectors import PatternDetector
from prisma_infra_sdk.kinds import PROVIDER_KINDS, ProviderKind
from prisma_infra_sdk.plugin import Plugin

__all__ = [
    "PROVIDER_KINDS",
    "Action",
    "AuditSink",
    "CacheBackendError",
    "CacheOptions",
    "CacheStore",
    "ConfigurationError",
    "Engine",
    "EngineError",
    "EngineFactory",
    "EngineUnavailableError",
    "Handler",
    "MetricsExporter",
    "Middleware",
    "Operation",
    "OperationContext",
    "OutcomeUnknownError",
    "PatternDetector",
    "PiiDetector",
    "PiiMatch",
    "Plugin",
    "PluginError",
    "PrismaInfraError",
    "ProviderKind",
    "RecordNotFoundError",
    "SearchProvider",
    "TransactionError",
    "UniqueConstraintError",
    "ValidationError",
    "hookimpl",
]

"""Everything a prisma-infra plugin needs, from one import."""

from prisma_infra.errors import (
    CacheBackendError,
    ConfigurationError,
    EngineError,
    EngineUnavailableError,
    PluginError,
    PrismaInfraError,
    ValidationError,
)
from prisma_infra.hookspecs import hookimpl
from prisma_infra.operation import Action, CacheOptions, Operation, OperationContext
from prisma_infra.pipeline import Handler, Middleware
from prisma_infra.providers import (
    AuditSink,
    CacheStore,
    Engine,
    MetricsExporter,
    PiiDetector,
    PiiMatch,
    SearchProvider,
)

from prisma_infra_sdk.plugin import Plugin

__all__ = [
    "Action",
    "AuditSink",
    "CacheBackendError",
    "CacheOptions",
    "CacheStore",
    "ConfigurationError",
    "Engine",
    "EngineError",
    "EngineUnavailableError",
    "Handler",
    "MetricsExporter",
    "Middleware",
    "Operation",
    "OperationContext",
    "PiiDetector",
    "PiiMatch",
    "Plugin",
    "PluginError",
    "PrismaInfraError",
    "SearchProvider",
    "ValidationError",
    "hookimpl",
]

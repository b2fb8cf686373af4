"""Provider interfaces: what a plugin implements for each kind of backend.

The kernel does the shared work (timeouts, metrics, error translation, key
namespacing); a provider implements only the primitives of its kind.
"""

from prisma_infra.providers.audit import AuditSink
from prisma_infra.providers.cache import CacheStore
from prisma_infra.providers.engine import Engine, EngineFactory
from prisma_infra.providers.metrics import MetricsExporter
from prisma_infra.providers.pii import PiiDetector, PiiMatch
from prisma_infra.providers.search import SearchProvider

__all__ = [
    "AuditSink",
    "CacheStore",
    "Engine",
    "EngineFactory",
    "MetricsExporter",
    "PiiDetector",
    "PiiMatch",
    "SearchProvider",
]

"""One contract kit per provider kind: the definition of what an implementation must do."""

from prisma_infra_sdk.testing.contracts.audit import AuditSinkContract, make_events
from prisma_infra_sdk.testing.contracts.cache import CHECKS as CACHE_CHECKS
from prisma_infra_sdk.testing.contracts.cache import CacheStoreContract
from prisma_infra_sdk.testing.contracts.cache import run_check as run_cache_check
from prisma_infra_sdk.testing.contracts.engine import EngineContract
from prisma_infra_sdk.testing.contracts.metrics import MetricsExporterContract
from prisma_infra_sdk.testing.contracts.middleware import MiddlewareContract
from prisma_infra_sdk.testing.contracts.pii import HARD_NEGATIVES, PiiDetectorContract
from prisma_infra_sdk.testing.contracts.search import SearchProviderContract

__all__ = [
    "CACHE_CHECKS",
    "HARD_NEGATIVES",
    "AuditSinkContract",
    "CacheStoreContract",
    "EngineContract",
    "MetricsExporterContract",
    "MiddlewareContract",
    "PiiDetectorContract",
    "SearchProviderContract",
    "make_events",
    "run_cache_check",
]

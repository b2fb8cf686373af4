"""Test kits for prisma-infra plugins: contract suites, a memory engine, a running infrastructure.

Subclass a contract in a ``Test*`` class and provide its fixtures::

    from prisma_infra_sdk.testing import CacheStoreContract

    class TestMyStore(CacheStoreContract):
        @pytest.fixture
        def store(self):
            return MyStore({})

Installing ``prisma-infra-sdk`` also registers a pytest plugin (entry point
``pytest11``: `prisma_infra_sdk.testing.pytest_plugin`) with the fixtures
``infrastructure_with``, ``memory_engine`` and ``kit_schema_path``.

Needs ``pytest`` and ``pytest-asyncio``: ``pip install "prisma-infra-sdk[test]"``.
"""

import pytest

# Rewrite the kits' asserts so a failing check shows the values involved (must precede the imports).
pytest.register_assert_rewrite("prisma_infra_sdk.testing.contracts")

from prisma_infra_sdk.testing.contracts import (  # noqa: E402
    CACHE_CHECKS,
    HARD_NEGATIVES,
    AuditSinkContract,
    CacheStoreContract,
    EngineContract,
    MetricsExporterContract,
    MiddlewareContract,
    PiiDetectorContract,
    SearchProviderContract,
    make_events,
    run_cache_check,
)
from prisma_infra_sdk.testing.engine import (  # noqa: E402
    ENGINE_NAME,
    KIT_SCHEMA,
    MemoryEngine,
    MemoryEnginePlugin,
    kit_datamodel,
    kit_schema,
)
from prisma_infra_sdk.testing.infra import build_infrastructure, merge_config, running_infrastructure  # noqa: E402

__all__ = [
    "CACHE_CHECKS",
    "ENGINE_NAME",
    "HARD_NEGATIVES",
    "KIT_SCHEMA",
    "AuditSinkContract",
    "CacheStoreContract",
    "EngineContract",
    "MemoryEngine",
    "MemoryEnginePlugin",
    "MetricsExporterContract",
    "MiddlewareContract",
    "PiiDetectorContract",
    "SearchProviderContract",
    "build_infrastructure",
    "kit_datamodel",
    "kit_schema",
    "make_events",
    "merge_config",
    "run_cache_check",
    "running_infrastructure",
]

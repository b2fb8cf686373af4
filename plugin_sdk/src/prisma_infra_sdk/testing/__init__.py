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

Plugin tests reach the kernel through here too (re-exported, never copied): the
`Infrastructure` and `PluginManager` to build, `collect_registry` to see what a
plugin registers, the audit chain (`AuditWriter`, `make_event`, `Hasher`,
`verify_events`, the `Outbox`), a `ManualClock`, the CLI (`build_app`), and the web app, its auth and `panel_data`.

Needs ``pytest`` and ``pytest-asyncio``: ``pip install "prisma-infra-sdk[test]"``.
"""

import pytest
from prisma_infra.audit.chain import Hasher, verify_events
from prisma_infra.audit.events import make_event
from prisma_infra.audit.outbox import OUTBOX_TABLE, Outbox
from prisma_infra.audit.writer import AuditWriter
from prisma_infra.cli.app import build_app
from prisma_infra.clock import ManualClock
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.plugin_manager import PluginManager
from prisma_infra.registry import collect_registry
from prisma_infra.web import BearerAuth, create_app, require_auth
from prisma_infra.web.panels import panel_data

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
    "OUTBOX_TABLE",
    "AuditSinkContract",
    "AuditWriter",
    "BearerAuth",
    "CacheStoreContract",
    "EngineContract",
    "Hasher",
    "Infrastructure",
    "ManualClock",
    "MemoryEngine",
    "MemoryEnginePlugin",
    "MetricsExporterContract",
    "MiddlewareContract",
    "Outbox",
    "PiiDetectorContract",
    "PluginManager",
    "SearchProviderContract",
    "build_app",
    "build_infrastructure",
    "collect_registry",
    "create_app",
    "kit_datamodel",
    "kit_schema",
    "make_event",
    "make_events",
    "merge_config",
    "panel_data",
    "require_auth",
    "run_cache_check",
    "running_infrastructure",
    "verify_events",
]

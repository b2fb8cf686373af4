"""Every implementation in the tree runs its kit: a provider registered without a kit run fails here.

The registry is collected from the built-in plugins and every plugin installed
in this environment (the project's own dists), exactly as an application sees it.
"""

from __future__ import annotations

import pytest
from prisma_infra.plugin_manager import PluginManager
from prisma_infra.runtime import collect_registry

from tests.sdk import (
    test_audit_sinks,
    test_cache_stores,
    test_engines,
    test_metrics_exporters,
    test_middleware,
    test_pii_detectors,
    test_search_providers,
)

KINDS = {
    "engines": test_engines.COVERED,
    "cache_stores": test_cache_stores.COVERED,
    "audit_sinks": test_audit_sinks.COVERED,
    "metrics_exporters": test_metrics_exporters.COVERED,
    "pii_detectors": test_pii_detectors.COVERED,
    "search_providers": test_search_providers.COVERED,
    "middleware": test_middleware.COVERED,
}

#: The project's plugin dists: each must be installed (and so be checked above), never silently absent.
PROJECT_PLUGINS = {"prisma", "redis", "memcached", "nats", "prometheus"}


@pytest.fixture(scope="module")
def registry() -> dict[str, dict[str, str]]:
    manager = PluginManager(environ={})
    manager.load_all()
    assert not manager.errors, f"plugins failed to load: {manager.errors}"
    missing = PROJECT_PLUGINS - {p.name for p in manager.plugins()}
    assert not missing, f"project plugins not installed in this environment: {sorted(missing)}"
    return {
        kind: {name: reg.plugin for name, reg in found.items()} for kind, found in collect_registry(manager).items()
    }


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_registered_provider_runs_its_kit(kind: str, registry: dict[str, dict[str, str]]) -> None:
    registered = registry[kind]
    missing = {name: plugin for name, plugin in registered.items() if name not in KINDS[kind]}
    assert not missing, f"{kind} registered without a contract-kit run in tests/sdk: {missing}"

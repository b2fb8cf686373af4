"""The SDK's own API: re-exports, declared providers on `Plugin`, `PatternDetector`, fixtures."""

from __future__ import annotations

import importlib
import re
import types
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import prisma_infra_sdk
import prisma_infra_sdk.testing
import pytest
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.plugin_manager import PluginManager
from prisma_infra.runtime import PROVIDER_HOOKS, collect_registry
from prisma_infra_sdk import PROVIDER_KINDS, CacheStore, PatternDetector, Plugin, hookimpl
from prisma_infra_sdk.testing import MemoryEngine, PiiDetectorContract

from tests.sdk.reference import InvertedIndexSearch


def test_every_name_in_all_is_importable() -> None:
    for name in prisma_infra_sdk.__all__:
        assert getattr(prisma_infra_sdk, name) is not None


SURFACES = [prisma_infra_sdk, prisma_infra_sdk.testing]
ROOT = Path(__file__).resolve().parents[2]


def _isort_key(name: str) -> tuple[int, str]:
    # ruff's RUF022 order: CONSTANTS, then Classes, then functions.
    return (0 if name.isupper() else 1 if name[:1].isupper() else 2, name)


@pytest.mark.parametrize("module", SURFACES, ids=lambda m: m.__name__)
def test_all_is_sorted_and_names_every_public_object(module: types.ModuleType) -> None:
    assert module.__all__ == sorted(module.__all__, key=_isort_key)
    public = {n for n, v in vars(module).items() if not n.startswith("_") and not isinstance(v, types.ModuleType)}
    assert public - {"pytest"} == set(module.__all__)


@pytest.mark.parametrize("module", SURFACES, ids=lambda m: m.__name__)
def test_kernel_objects_are_re_exported_not_copied(module: types.ModuleType) -> None:
    for name in module.__all__:
        value = getattr(module, name)
        home = getattr(value, "__module__", "")
        if home.startswith("prisma_infra.") and hasattr(value, "__qualname__"):
            assert getattr(importlib.import_module(home), value.__qualname__) is value, name


def test_constants_are_the_kernels() -> None:
    from prisma_infra.audit.outbox import OUTBOX_TABLE
    from prisma_infra.clock import SYSTEM_CLOCK
    from prisma_infra.operation import WRITE_ACTIONS

    assert prisma_infra_sdk.WRITE_ACTIONS is WRITE_ACTIONS
    assert prisma_infra_sdk.SYSTEM_CLOCK is SYSTEM_CLOCK
    assert prisma_infra_sdk.testing.OUTBOX_TABLE is OUTBOX_TABLE


def test_provider_kinds_cover_every_registration_hook() -> None:
    hooks = {hook for kind, (hook, _, _) in PROVIDER_HOOKS.items() if kind != "analytics_metrics"}
    assert {k.hook for k in PROVIDER_KINDS.values()} == hooks
    import prisma_infra_sdk.testing as testing

    for kind in PROVIDER_KINDS.values():
        assert hasattr(testing, kind.contract), kind
        for primitive in kind.primitives:
            assert hasattr(kind.base, primitive.split(" ")[0]), (kind.kind, primitive)


class DictStore(CacheStore):
    name = "declared-dict"

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        return [None for _ in keys]

    async def set_many(self, items: Mapping[str, bytes], ttl: float | None) -> None:
        pass

    async def delete_many(self, keys: Sequence[str]) -> None:
        pass

    async def incr(self, key: str) -> int:
        return 1

    async def clear(self) -> None:
        pass


class EmployeeIdDetector(PatternDetector):
    name = "employee_id"
    category = "employee_id"
    pattern = re.compile(r"EMP-\d{6}")
    field_hints = ("employee",)


class DeclaredPlugin(Plugin):
    name = "declared"
    cache_stores = {"declared-dict": DictStore}
    search_providers = {"declared-search": InvertedIndexSearch}
    pii_detectors = {"employee_id": EmployeeIdDetector()}


class ExplicitWins(DeclaredPlugin):
    name = "explicit"

    @hookimpl
    def register_cache_stores(self, register: Any) -> None:
        register("explicit-dict", DictStore)


def _registry(plugin: Plugin) -> dict[str, dict[str, str]]:
    manager = PluginManager(autoload=False, environ={}, strict=True)
    manager.load_all()
    manager.register(plugin)
    return {kind: {n: r.plugin for n, r in found.items()} for kind, found in collect_registry(manager).items()}


def test_declared_providers_become_registration_hooks() -> None:
    registry = _registry(DeclaredPlugin())
    assert registry["cache_stores"]["declared-dict"] == "declared"
    assert registry["search_providers"]["declared-search"] == "declared"
    assert registry["pii_detectors"]["employee_id"] == "declared"
    manager = PluginManager(autoload=False, environ={})
    manager.register(DeclaredPlugin())
    info = {p.name: p for p in manager.plugins()}["declared"]
    assert "register_audit_sinks" not in info.hooks, "only declared kinds become hooks"


def test_an_explicit_hook_wins_over_the_declaration() -> None:
    registry = _registry(ExplicitWins())
    assert "explicit-dict" in registry["cache_stores"]
    assert "declared-dict" not in registry["cache_stores"]
    assert registry["search_providers"]["declared-search"] == "explicit"


class TestPatternDetector(PiiDetectorContract):
    @pytest.fixture
    def detector(self) -> EmployeeIdDetector:
        return EmployeeIdDetector()

    @pytest.fixture
    def positives(self) -> list[tuple[str, str | None, str]]:
        return [("EMP-123456", None, "employee_id"), (" EMP-000001 ", "employee_id", "employee_id")]


def test_pattern_detector_field_hints_raise_confidence() -> None:
    detector = EmployeeIdDetector()
    (plain,) = detector.detect("EMP-123456")
    (hinted,) = detector.detect("EMP-123456", field="employeeRef")
    assert plain.confidence == 0.9 and hinted.confidence == 0.97
    assert detector.detect("EMP-12345") == []


async def test_infrastructure_with_a_plugin_object(infrastructure_with: Any) -> None:
    infra: Infrastructure = await infrastructure_with(DeclaredPlugin(), {"cache": {"tiers": ["declared-dict"]}})
    assert isinstance(infra.engine, MemoryEngine)
    created = await infra.repository("user").create({"email": "ada@example.com"})
    assert (await infra.repository("User").find_unique(where={"id": created["id"]}))["email"] == "ada@example.com"
    assert "declared-dict" in infra.runtime.registry["cache_stores"]


async def test_infrastructure_with_an_installed_plugin_by_name(infrastructure_with: Any) -> None:
    infra: Infrastructure = await infrastructure_with("prometheus", {"monitoring": {"exporters": ["prometheus"]}})
    assert infra.runtime.registry["metrics_exporters"]["prometheus"].plugin == "prometheus"


async def test_infrastructure_with_an_unknown_plugin_name_says_what_is_installed(infrastructure_with: Any) -> None:
    with pytest.raises(LookupError, match=r"no installed plugin named 'nope'.*installed: .*redis"):
        await infrastructure_with("nope")


def test_memory_engine_fixture(memory_engine: MemoryEngine, kit_schema_path: Any) -> None:
    assert memory_engine.provider == "sqlite"
    assert 'provider = "sqlite"' in kit_schema_path.read_text()

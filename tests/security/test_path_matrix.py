"""The path matrix of issue 13: a read path, action, method or route added without an attack fails here.

Every surface of `paths.MATRIX` is introspected (public members of the class or
module, the `Action` enum, the routes of the web app with every installed plugin
loaded); what the table does not list fails the test by name, as does a listed
name that no longer exists and a listed attack test that does not exist.
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from prisma_infra.analytics import AnalyticsQuery, AnalyticsRunner, KpiService
from prisma_infra.audit.manager import AuditManager
from prisma_infra.cache.facade import ModelCache
from prisma_infra.cache.manager import CacheManager
from prisma_infra.compliance import ComplianceReports
from prisma_infra.data.query import QueryBuilder
from prisma_infra.data.repository import Repository
from prisma_infra.data.transaction import OperationFactory, Transaction
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.operation import Action
from prisma_infra.pii.manager import PiiManager
from prisma_infra.rest.api import ROUTES, SERVICE_ROUTES, RestApi
from prisma_infra.sync import SyncInfrastructure

from tests.security.paths import MATRIX, Via
from tests.security.security_support import fresh_database, settings

HERE = Path(__file__).parent

CLASSES: dict[str, type[Any]] = {
    cls.__name__: cls
    for cls in (Repository, QueryBuilder, OperationFactory, Transaction, Infrastructure, SyncInfrastructure,
                ModelCache, CacheManager, AuditManager, AnalyticsQuery, AnalyticsRunner, KpiService,
                ComplianceReports, PiiManager, RestApi)
}
MODULES = (
    "prisma_infra.streaming",
    "prisma_infra.bulk",
    "prisma_infra.search",
    "prisma_infra.pagination",
    "prisma_infra.data.repository",
    "prisma_infra.data.transaction",
    "prisma_infra.rest.asgi",
)
#: Surfaces listed from a table of routes, not introspected as classes or modules.
ROUTE_TABLES = {"web routes", "rest routes"}


def members(surface: str) -> set[str]:
    if surface == "Action":
        return {a.name for a in Action}
    if surface in CLASSES:
        return {name for name in dir(CLASSES[surface]) if not name.startswith("_")}
    return set(importlib.import_module(surface).__all__)


def assert_listed(surface: str, found: set[str]) -> None:
    listed = set(MATRIX[surface])
    assert not found - listed, f"{surface}: not in tests/security/paths.py (add its attack): {sorted(found - listed)}"
    assert not listed - found, f"{surface}: listed in paths.py but gone: {sorted(listed - found)}"


@pytest.mark.parametrize("surface", [s for s in MATRIX if s not in ROUTE_TABLES])
def test_every_member_of_the_surface_is_listed(surface: str) -> None:
    assert surface == "Action" or surface in CLASSES or surface in MODULES, f"{surface}: not introspected"
    assert_listed(surface, members(surface))


def test_every_introspected_surface_has_a_table() -> None:
    assert set(CLASSES) | set(MODULES) | {"Action"} | ROUTE_TABLES == set(MATRIX)


def test_every_route_of_the_rest_api_is_listed() -> None:
    assert_listed("rest routes", {f"{route.method} {route.path}" for route in (*ROUTES, *SERVICE_ROUTES)})


def attack_tests() -> set[str]:
    """``module::function`` of every test function of tests/security."""
    found = set()
    for path in HERE.glob("test_*.py"):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test_"):
                found.add(f"{path.stem}::{node.name}")
    return found


def test_every_listed_attack_exists() -> None:
    existing = attack_tests()
    missing = {
        f"{surface}.{name} -> {test}"
        for surface, entries in MATRIX.items()
        for name, entry in entries.items()
        if isinstance(entry, tuple)
        for test in entry
        if test not in existing
    }
    assert not missing, f"paths.py names attack tests that do not exist: {sorted(missing)}"
    empty = [f"{s}.{n}" for s, entries in MATRIX.items() for n, e in entries.items() if e == ()]
    assert not empty, f"covered by nothing: {empty}"


def test_via_names_a_listed_surface() -> None:
    wrong = {f"{s}.{n}": e.surface for s, es in MATRIX.items() for n, e in es.items()
             if isinstance(e, Via) and e.surface not in MATRIX}
    assert not wrong, wrong


def test_the_matrix_sees_a_new_member(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check itself: a method added to a surface is reported by name."""
    monkeypatch.setattr(Repository, "find_secretly", lambda self: None, raising=False)
    with pytest.raises(AssertionError, match="find_secretly"):
        assert_listed("Repository", members("Repository"))


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def every_plugin(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Infrastructure]:
    """SQLite with every installed plugin loaded: their routes are part of the web app."""
    folder = tmp_path_factory.mktemp("matrix")
    schema, url = await fresh_database("sqlite", folder)
    config = settings(schema, url, folder, plugins={"load": None},
                      monitoring={"exporters": ["prometheus"], "web": {"token": "matrix-token-0123456789"}})
    async with Infrastructure(config) as started:
        yield started


@pytest.mark.integration
@pytest.mark.asyncio(loop_scope="module")
async def test_every_route_of_the_web_app_is_listed(every_plugin: Infrastructure) -> None:
    app = every_plugin.web_app()
    assert app.load_extensions()
    paths = {str(getattr(route, "path", route)) for route in app.routes}
    assert "/metrics" in paths  # the plugin routes are really there
    assert_listed("web routes", paths)

"""The SDK's pytest plugin (entry point ``pytest11``): fixtures for plugin tests.

Loaded by pytest in every environment where ``prisma-infra-sdk`` is installed,
so it imports nothing heavy until a fixture is used.

* ``infrastructure_with`` — ``infra = await infrastructure_with(plugin, config)``:
  a started `Infrastructure` with the built-ins, ``plugin`` (an object or an
  installed plugin's entry-point name) and the SDK's memory engine; closed
  after the test.
* ``memory_engine`` — a started `MemoryEngine` on the kit schema.
* ``kit_schema_path`` — the kit schema for SQLite, written to a temporary file.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from prisma_infra.infrastructure import Infrastructure

    from prisma_infra_sdk.testing.engine import MemoryEngine

__all__ = ["infrastructure_with", "kit_schema_path", "memory_engine"]

#: ``await infrastructure_with(plugin=None, config=None)`` → a started `Infrastructure`.
InfrastructureFactory = Callable[..., Awaitable["Infrastructure"]]

_async_fixture: Any
try:
    from pytest_asyncio import fixture as _async_fixture
except ImportError:  # pragma: no cover - the SDK's ``test`` extra installs it; pytest then says it needs a plugin
    _async_fixture = pytest.fixture


@_async_fixture  # type: ignore[untyped-decorator]
async def infrastructure_with(tmp_path: Path) -> AsyncIterator[InfrastructureFactory]:
    """A factory of started infrastructures, all closed after the test.

    ``infra = await infrastructure_with(plugin, config)``; ``plugin`` is a plugin object
    (module, class, instance), an installed plugin's entry-point name, or a list of them.
    Relative paths resolve in the test's ``tmp_path``.
    """
    from prisma_infra_sdk.testing.infra import build_infrastructure

    started: list[Infrastructure] = []

    async def start(plugin: object = None, config: Mapping[str, Any] | None = None) -> Infrastructure:
        base_dir = None if "base_dir" in (config or {}) else str(tmp_path)
        infra, _ = build_infrastructure(plugin, config, base_dir=base_dir)
        await infra.start()
        started.append(infra)
        return infra

    yield start
    for infra in reversed(started):
        await infra.close()


@pytest.fixture
def memory_engine() -> MemoryEngine:
    """A `MemoryEngine` serving the kit schema (``User``, ``Post``); it needs no start."""
    from prisma_infra_sdk.testing.engine import MemoryEngine

    return MemoryEngine()


@pytest.fixture
def kit_schema_path(tmp_path: Path) -> Path:
    """The kit schema (SQLite datasource) in a temporary ``schema.prisma``."""
    from prisma_infra_sdk.testing.engine import kit_schema

    path = tmp_path / "schema.prisma"
    path.write_text(kit_schema("sqlite"), encoding="utf-8")
    return path

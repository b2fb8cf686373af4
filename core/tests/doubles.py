"""Small doubles for kernel unit tests (integration tests use the real Prisma engine).

`MemoryEngine` is the SDK's in-memory engine (`prisma_infra_sdk.testing.MemoryEngine`,
filters through the kernel's one ``where`` evaluator) serving a DMMF fixture of
``fixtures/dmmf`` (``database.options.fixture``, default ``blog``) as PostgreSQL
unless ``database.options.provider`` says otherwise. What it does not know
(relation filters, ``include``, aggregates, raw SQL) a test answers with
``engine.responses[action]``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prisma_infra.config.model import DatabaseConfig
from prisma_infra_sdk.testing.engine import MemoryEngine as SdkMemoryEngine
from prisma_infra_sdk.testing.engine import MemoryEnginePlugin

if TYPE_CHECKING:
    from prisma_infra.clock import Clock
    from prisma_infra.infrastructure import Infrastructure

FIXTURES = Path(__file__).parent / "fixtures" / "dmmf"


def datamodel(name: str = "blog") -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())  # type: ignore[no-any-return]


class MemoryEngine(SdkMemoryEngine):
    """The SDK's engine on a fixture schema (see the module docstring); keeps its ``config``.

    ``schema`` is a fixture name or the path of a DMMF JSON file; ``database.options.fixture``
    and ``database.options.provider`` override it and ``provider``.
    """

    name = "memory-double"

    def __init__(
        self, config: DatabaseConfig | None = None, schema: str | Path = "blog", provider: str = "postgresql"
    ) -> None:
        self.config = config
        options = dict(config.options) if config else {}
        fixture = options.pop("fixture", schema)
        options.setdefault("provider", provider)
        options["datamodel"] = fixture if isinstance(fixture, Path) else datamodel(str(fixture))
        super().__init__(DatabaseConfig(options=options))


class DoubleEnginePlugin(MemoryEnginePlugin):
    """Registers `MemoryEngine` under ``memory-double``; keeps the instances it built."""

    name = "double-engine"

    def __init__(self) -> None:
        super().__init__(MemoryEngine, "memory-double")  # type: ignore[arg-type]  # a double of its own


def memory_infrastructure(
    fixture: str = "blog", provider: str = "postgresql", *, clock: Clock | None = None, **sections: Any
) -> Any:
    """An `Infrastructure` on a `MemoryEngine` with only the built-in plugins (not started), on ``clock``.

    The cache is off unless ``cache=...`` is given, so tests see every operation reach the engine.
    """
    sections.setdefault("cache", {"enabled": False})
    from prisma_infra.config.model import InfraConfig
    from prisma_infra.infrastructure import Infrastructure
    from prisma_infra.plugin_manager import PluginManager

    config = InfraConfig.model_validate(
        {"database": {"engine": "memory-double", "options": {"fixture": fixture, "provider": provider}}, **sections}
    )
    manager = PluginManager(autoload=False, environ={})
    manager.load_all()
    manager.register(DoubleEnginePlugin())
    return Infrastructure(config, plugin_manager=manager, clock=clock)


def engine_of(infra: Infrastructure) -> MemoryEngine:
    engine = infra.engine
    assert isinstance(engine, MemoryEngine)
    return engine


def emails(infra: Infrastructure) -> list[str]:
    return sorted(r["email"] for r in engine_of(infra).tables.get("User", []))

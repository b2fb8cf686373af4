"""The CRM schema (personal data in every shape) on the memory engine, for the PII tests."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from prisma_infra.config.model import DatabaseConfig, InfraConfig
from prisma_infra.hookspecs import hookimpl
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.plugin_manager import PluginManager

from core.tests.doubles import MemoryEngine

CRM = Path(__file__).parent / "fixtures" / "crm.json"


def crm_datamodel() -> dict[str, Any]:
    return json.loads(CRM.read_text())  # type: ignore[no-any-return]


class CrmEngine(MemoryEngine):
    """`MemoryEngine` serving the CRM schema."""

    name = "memory-crm"

    def __init__(self, config: DatabaseConfig | None = None) -> None:
        super().__init__(config, schema=CRM, provider="sqlite")


class CrmEnginePlugin:
    name = "crm-engine"

    @hookimpl
    def register_engines(self, register: Callable[[str, Any], None]) -> None:
        register("memory-crm", CrmEngine)


def crm_infrastructure(*plugins: object, **sections: Any) -> Infrastructure:
    config = InfraConfig.model_validate({"database": {"engine": "memory-crm"}, **sections})
    manager = PluginManager(autoload=False, environ={})
    manager.load_all()
    manager.register(CrmEnginePlugin())
    for plugin in plugins:
        manager.register(plugin)
    return Infrastructure(config, plugin_manager=manager)

"""Policies on the memory double, whose filters are answered by the policy evaluator.

`MemoryEngine` matches rows with the kernel's one evaluator (`prisma_infra.policies.evaluate`),
so relation-free row filters (``AND``/``OR``/``NOT``, ``not``, null semantics) run end to end
through the pipeline as `policies.check` decides them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from prisma_infra.config.model import DatabaseConfig, InfraConfig
from prisma_infra.hookspecs import hookimpl
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.plugin_manager import PluginManager

from core.tests.doubles import MemoryEngine


class PolicyEngineDouble(MemoryEngine):
    """The memory double, whose filters are the policy evaluator's (as every `MemoryEngine`'s)."""


class _Plugin:
    name = "policy-double-engine"

    def __init__(self) -> None:
        self.engines: list[PolicyEngineDouble] = []

    @hookimpl
    def register_engines(self, register: Callable[[str, Any], None]) -> None:
        def factory(config: DatabaseConfig) -> PolicyEngineDouble:
            engine = PolicyEngineDouble(config)
            self.engines.append(engine)
            return engine

        register("policy-double", factory)


class Alerts:
    """Collects alerts raised through the ``alert_raised`` hook."""

    name = "alert-collector"

    def __init__(self) -> None:
        self.alerts: list[dict[str, Any]] = []

    @hookimpl
    def alert_raised(self, alert: Mapping[str, Any]) -> None:
        self.alerts.append(dict(alert))


def make_infra(alerts: Alerts | None = None, **sections: Any) -> Infrastructure:
    config = InfraConfig.model_validate(
        {"database": {"engine": "policy-double"}, "cache": {"enabled": False}, **sections}
    )
    manager = PluginManager(autoload=False, environ={})
    manager.load_all()
    manager.register(_Plugin())
    if alerts is not None:
        manager.register(alerts)
    return Infrastructure(config, plugin_manager=manager)


USERS = [
    {"id": 1, "email": "ann@a.io", "name": "Ann", "role": "ADMIN", "tenantId": "a"},
    {"id": 2, "email": "bob@a.io", "name": "Bob", "role": "AUTHOR", "tenantId": "a"},
    {"id": 3, "email": "cat@b.io", "name": None, "role": "READER", "tenantId": "b"},
]
POSTS = [
    {"id": "p1", "title": "One", "authorId": 1, "published": True, "views": 10, "status": "PUBLISHED"},
    {"id": "p2", "title": "Two", "authorId": 2, "published": False, "views": 0, "status": "DRAFT"},
    {"id": "p3", "title": "Three", "authorId": 3, "published": True, "views": 5, "status": "ARCHIVED"},
]


def seed(infra: Infrastructure) -> PolicyEngineDouble:
    engine = infra.engine
    assert isinstance(engine, PolicyEngineDouble)
    engine.tables["User"] = [dict(u) for u in USERS]
    engine.tables["Post"] = [dict(p) for p in POSTS]
    return engine

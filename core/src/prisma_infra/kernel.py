"""The kernel port: what every feature, middleware and data-access object receives.

`Infrastructure` implements both protocols and is the composition root: it
builds the runtime, calls the middleware factories with itself *as a Kernel*,
and is imported by nothing below it. A feature types its handle as `Kernel`
(or the narrower `Executor` when it only runs operations), reaches other
features through the interfaces in `prisma_infra.ports` published in
``kernel.services``, and keeps state that must survive a reload in
``kernel.stash`` under a `prisma_infra.stash.StashKey` of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from prisma_infra.clock import Clock
    from prisma_infra.config.model import InfraConfig
    from prisma_infra.operation import Action, Operation, OperationContext
    from prisma_infra.plugin_manager import PluginManager
    from prisma_infra.runtime import Runtime
    from prisma_infra.schema.model import Schema
    from prisma_infra.stash import Services, Stash

__all__ = ["Executor", "Kernel"]


class Executor(Protocol):
    """Runs operations through the pipeline: the port data access (`prisma_infra.data`:
    repositories, queries, transactions, bulk, streaming, search) is written against."""

    @property
    def schema(self) -> Schema:
        """The schema read from the engine at start (and again when the database changes)."""
        ...

    @property
    def config(self) -> InfraConfig:
        """The configuration in force."""
        ...

    @property
    def runtime(self) -> Runtime:
        """The runtime current now; an operation pins the one it started on."""
        ...

    @property
    def clock(self) -> Clock:
        """Where time is read and waited on (a test injects a manual clock)."""
        ...

    @property
    def stash(self) -> Stash:
        """State kept for the life of the infrastructure, across reloads."""
        ...

    @property
    def services(self) -> Services:
        """What the current runtime's features publish (`prisma_infra.ports`)."""
        ...

    @property
    def plugins(self) -> PluginManager:
        """The loaded plugins (event hooks: ``await kernel.plugins.notify(...)``)."""
        ...

    def operation_context(self, **overrides: Any) -> OperationContext:
        """The context of a new operation: the ambient actor, tenant and request, and the deadline."""
        ...

    def check_input(self, operation: Operation, runtime: Runtime) -> None:
        """The early input check every entry point runs once before any middleware."""
        ...

    async def execute(self, operation: Operation, *, runtime: Runtime | None = None) -> Any:
        """Run ``operation`` through the pipeline of ``runtime`` (default: the current one)."""
        ...

    async def call(
        self, model: str | None, action: Action | str, args: Mapping[str, Any] | None = None, **context: Any
    ) -> Any:
        """Build and run one operation: ``await kernel.call("User", "findMany", {"take": 5})``."""
        ...


class Kernel(Executor, Protocol):
    """The handle a feature or middleware factory receives (``factory(kernel)``): the executor
    plus what only features do (alerts)."""

    async def raise_alert(self, alert: Mapping[str, Any]) -> None:
        """Send an alert to every ``alert_raised`` observer."""
        ...

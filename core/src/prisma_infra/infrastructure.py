"""`Infrastructure`: the facade holding one configured instance of everything."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from prisma_infra.clock import SYSTEM_CLOCK, Clock
from prisma_infra.config.model import InfraConfig
from prisma_infra.context import RequestContext, acting_as, current_context
from prisma_infra.errors import PrismaInfraError, ValidationError
from prisma_infra.operation import Action, Operation, OperationContext
from prisma_infra.plugin_manager import PluginManager
from prisma_infra.runtime import Runtime
from prisma_infra.schema.limits import check_input, safe_name
from prisma_infra.stash import Services, Stash

if TYPE_CHECKING:
    from prisma_infra.cache import CacheManager, ModelCache
    from prisma_infra.config.loader import LoadedConfig
    from prisma_infra.providers import Engine
    from prisma_infra.reload import ConfigWatcher
    from prisma_infra.schema import Schema

__all__ = ["Infrastructure"]

log = logging.getLogger("prisma_infra")
#: The keyword arguments `Infrastructure.call` takes for the operation context.
_CONTEXT_KEYS = frozenset(OperationContext.__dataclass_fields__)


class Infrastructure:
    """Plugins, configuration, engine, schema and pipeline for one application.

    Use as ``async with Infrastructure.from_settings("settings.toml") as infra:``.
    It is the composition root and implements the kernel port (`prisma_infra.kernel.Kernel`)
    its features and middleware receive.

    :param clock: where time is read and waited on (default: the system's); tests pass a
        `prisma_infra.clock.ManualClock`.
    """

    def __init__(
        self,
        config: InfraConfig | LoadedConfig | Mapping[str, Any] | None = None,
        *,
        plugins: Sequence[object] = (),
        plugin_manager: PluginManager | None = None,
        clock: Clock | None = None,
    ) -> None:
        from prisma_infra.config.loader import LoadedConfig, validate_config

        if isinstance(config, LoadedConfig):
            self.loaded: LoadedConfig | None = config
            config = config.config
        else:
            self.loaded = None
        if config is None:
            config = InfraConfig()
        elif not isinstance(config, InfraConfig):
            config = validate_config(config)
        self._initial_config: InfraConfig = config
        self._extra_plugins = list(plugins)
        self._plugin_manager = plugin_manager
        self._runtime: Runtime | None = None
        self._schema: Schema | None = None
        self._started = False
        self._lock = asyncio.Lock()
        self._swap_lock = asyncio.Lock()
        self._watcher: ConfigWatcher | None = None
        self._stash = Stash()
        self._clock: Clock = clock if clock is not None else SYSTEM_CLOCK

    # -- construction ----------------------------------------------------------------------

    @classmethod
    def from_settings(
        cls,
        *settings_files: str | Path,
        environment: str | None = None,
        overrides: Mapping[str, Any] | None = None,
        plugins: Sequence[object] = (),
    ) -> Infrastructure:
        """Load settings files (TOML, YAML, JSON), ``.secrets.*`` and ``PRISMA_INFRA_*`` variables."""
        from prisma_infra.config.loader import load_config

        loaded = load_config(list(settings_files) or None, environment=environment, overrides=overrides)
        return cls(loaded, plugins=plugins)

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> Infrastructure:
        """Load plugins, build providers, start the engine and read the schema."""
        from prisma_infra.swap import first_runtime

        async with self._lock:
            if self._started:
                return self
            config = self._initial_config
            if self._plugin_manager is None:
                self._plugin_manager = PluginManager(
                    strict=config.plugins.strict,
                    load=config.plugins.load,
                    disable=config.plugins.disable,
                    trace=config.plugins.trace,
                )
                self._plugin_manager.load_all()
            for plugin in self._extra_plugins:
                self._plugin_manager.register(plugin)
            self._runtime = await first_runtime(self, config, self._install_schema)
            self._started = True
        await self._plugin_manager.notify(
            "configuration_changed", infrastructure=self, config=config, previous=None, changes={}
        )
        await self._plugin_manager.notify("startup", infrastructure=self)
        return self

    def _install_schema(self, schema: Schema) -> None:
        self._schema = schema

    async def close(self) -> None:
        """Notify plugins, then close every provider. Safe to call twice."""
        if not self._started:
            return
        if self._watcher is not None:
            await self._watcher.stop()
            self._watcher = None
        assert self._plugin_manager is not None and self._runtime is not None
        await self._plugin_manager.notify("shutdown", infrastructure=self)
        runtime, self._runtime = self._runtime, None
        self._started = False
        await runtime.close()

    async def __aenter__(self) -> Infrastructure:
        return await self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    # -- accessors -------------------------------------------------------------------------

    @property
    def runtime(self) -> Runtime:
        if self._runtime is None:
            raise PrismaInfraError("The infrastructure is not started: use 'async with' or 'await infra.start()'")
        return self._runtime

    @property
    def config(self) -> InfraConfig:
        return self._runtime.config if self._runtime is not None else self._initial_config

    @property
    def engine(self) -> Engine:
        return self.runtime.engine

    @property
    def schema(self) -> Schema:
        if self._schema is None:
            raise PrismaInfraError("The schema is read when the infrastructure starts: start it first")
        return self._schema

    @property
    def stash(self) -> Stash:
        """State kept for the life of this infrastructure, across reloads (`prisma_infra.stash`)."""
        return self._stash

    @property
    def services(self) -> Services:
        """What the current runtime's features publish (`prisma_infra.ports`)."""
        return self.runtime.services

    @property
    def clock(self) -> Clock:
        return self._clock

    @property
    def plugin_manager(self) -> PluginManager | None:
        """Deprecated spelling of `plugins` (one release); ``None`` before start unless one was passed."""
        return _deprecated("plugin_manager", "plugins", self._plugin_manager)

    @property
    def plugins(self) -> PluginManager:
        if self._plugin_manager is None:
            raise PrismaInfraError("Plugins are loaded when the infrastructure starts")
        return self._plugin_manager

    # -- reconfiguration ---------------------------------------------------------------------

    async def configure(self, overrides: Mapping[str, Any]) -> dict[str, Any]:
        """Apply settings at runtime (nested dict, as in a settings file); returns what changed.

        Validated first, applied as one swap; invalid input changes nothing.
        """
        from prisma_infra.swap import merged_config, reread_settings

        if self.loaded is not None:
            loaded = await reread_settings(self.loaded, overrides)
            return await self.apply_config(loaded.config, loaded=loaded)
        return await self.apply_config(merged_config(self.config, overrides))

    async def reload(self) -> dict[str, Any]:
        """Re-read the settings files and apply them; on error, log and alert, keep what runs."""
        from prisma_infra.swap import report_rejected, reread_settings

        if self.loaded is None:
            raise PrismaInfraError("This infrastructure was not loaded from settings files: use configure()")
        try:
            loaded = await reread_settings(self.loaded)
            return await self.apply_config(loaded.config, loaded=loaded)
        except PrismaInfraError as error:
            await report_rejected(self if self._started else None, error)
            raise

    async def apply_config(self, config: InfraConfig, *, loaded: LoadedConfig | None = None) -> dict[str, Any]:
        """Swap to ``config``: build and start new providers, swap atomically, retire the old ones.

        All or nothing: if anything fails to build or start, what was started is
        closed, the running configuration stays, and the error names the plugin.
        """
        from prisma_infra.swap import prepare_swap

        async with self._swap_lock:
            swap = await prepare_swap(self, config, self._schema)
            if loaded is not None:
                self.loaded = loaded
            if swap is None:
                return {}
            self._runtime, self._schema = swap.runtime, swap.schema
            await swap.finish()
        await swap.plugins.notify(
            "configuration_changed", infrastructure=self, config=config, previous=swap.old.config, changes=swap.changes
        )
        return swap.changes

    async def watch(self, *, polling: bool = False, debounce_ms: int = 200) -> ConfigWatcher:
        """Start watching the settings files; every valid save is applied (stopped by `close`)."""
        from prisma_infra.reload import ConfigWatcher

        if self._watcher is None:
            self._watcher = ConfigWatcher(self, polling=polling, debounce_ms=debounce_ms)
            await self._watcher.start()
        return self._watcher

    # -- context ---------------------------------------------------------------------------

    @staticmethod
    def acting_as(
        actor: Any, *, tenant: str | None = None, request_id: str | None = None
    ) -> contextlib.AbstractContextManager[RequestContext]:
        """Run the block as ``actor``: every operation carries it (policies, audit, cache scope)."""
        return acting_as(actor, tenant=tenant, request_id=request_id)

    def operation_context(self, **overrides: Any) -> OperationContext:
        """The context for a new operation: the ambient actor/tenant/request plus the deadline."""
        ambient = current_context()
        timeout = self.config.database.operation_timeout
        values: dict[str, Any] = {
            "actor": ambient.actor,
            "tenant": ambient.tenant,
            "request_id": ambient.request_id,
            "deadline": time.monotonic() + timeout,
        }
        values.update(overrides)
        return OperationContext(**values)

    # -- execution -------------------------------------------------------------------------

    async def execute(self, operation: Operation, *, runtime: Runtime | None = None) -> Any:
        """Run an operation through the pipeline of the runtime current when it starts.

        :param runtime: pin a runtime (transactions finish on the engine they began on).
        """
        if runtime is None:
            runtime = self.runtime
        self.check_input(operation, runtime)
        return await runtime.run(operation, self.plugins)

    def check_input(self, operation: Operation, runtime: Runtime) -> None:
        """The early input check every entry point runs once (`execute`, `batch`, cache warming).

        Before any middleware walks the arguments (policies, cache keys, validation): bounded depth,
        string keys, no lone surrogates, no NaN/Infinity the engine would store as NULL. A refusal
        is counted by monitoring like any failed operation.
        """
        provider = getattr(self._schema, "provider", None)
        try:
            check_input(operation.model, operation.action.value, operation.args, provider=provider)
        except ValidationError as error:
            from prisma_infra.monitoring.middleware import record_refused

            record_refused(runtime, operation, error)
            raise

    async def call(
        self, model: str | None, action: Action | str, args: Mapping[str, Any] | None = None, **context: Any
    ) -> Any:
        """Build and run one operation: ``await infra.call("User", "findMany", {"take": 5})``."""
        if model is not None and not isinstance(model, str):
            raise ValidationError(f"A model is named by a string, got {type(model).__name__}.")
        canonical = self.schema.model(model).name if model is not None else None
        if args is not None and not isinstance(args, Mapping):
            raise ValidationError(f"Arguments of {canonical}.{action} must be a mapping, got {type(args).__name__}.")
        unknown = sorted(set(context) - _CONTEXT_KEYS)
        if unknown:
            raise ValidationError(f"Unknown context option(s) {', '.join(map(safe_name, unknown))} for call().")
        operation = Operation(
            model=canonical,
            action=Action.parse(action),
            args=dict(args or {}),
            context=self.operation_context(**context),
        )
        return await self.execute(operation)

    async def raise_alert(self, alert: Mapping[str, Any]) -> None:
        """Send an alert to every ``alert_raised`` observer."""
        await self.plugins.notify("alert_raised", alert=dict(alert))

    # -- repositories, queries, transactions -------------------------------------------------
    # (prisma_infra.data; imported lazily to keep start-up cheap)

    if TYPE_CHECKING:
        from prisma_infra.data.query import QueryBuilder
        from prisma_infra.data.repository import Repository, RepositoryFactory
        from prisma_infra.data.transaction import Transaction

    @property
    def repository_factory(self) -> RepositoryFactory:
        """Creates and caches the repository of any model (rebuilt when the schema changes)."""
        from prisma_infra.data.repository import repositories

        return repositories(self)

    def repository(self, model: str) -> Repository:
        """The repository of ``model`` (any case): ``infra.repository("user")``."""
        return self.repository_factory.create(model)

    def query(self, model: str) -> QueryBuilder:
        """An immutable query builder for ``model``: ``infra.query("user").where({...}).execute()``."""
        return self.repository_factory.create(model).query()

    def transaction(
        self,
        *,
        timeout: float | None = None,
        max_wait: float | None = None,
        isolation_level: str | None = None,
    ) -> Transaction:
        """``async with infra.transaction() as tx:``; joins the transaction already open in this task, if any.

        :param timeout: seconds before the engine expires it (default ``database.transaction_timeout``).
        :param max_wait: seconds to wait for a connection (default ``database.transaction_max_wait``).
        :param isolation_level: Prisma's name, e.g. ``"Serializable"``.
        """
        from prisma_infra.data.transaction import transaction

        return transaction(self, timeout=timeout, max_wait=max_wait, isolation_level=isolation_level)

    async def batch(self, operations: Sequence[Operation]) -> list[Any]:
        """Run operations (``repo.op.create(data=...)``, ...) atomically in one engine batch, in order."""
        from prisma_infra.data.transaction import batch

        return await batch(self, operations)

    # -- end repositories, queries, transactions -------------------------------------------

    # -- features --------------------------------------------------------------------------
    # Each feature publishes its object under a typed key of its own when its middleware starts
    # (`prisma_infra.stash.ServiceKey`); a disabled feature's accessor raises with the key's message.
    # Imported where used: a feature's modules load only when it is asked for.

    if TYPE_CHECKING:
        from prisma_infra.analytics import AnalyticsQuery, AnalyticsRunner, KpiService
        from prisma_infra.audit import AuditManager
        from prisma_infra.compliance import ComplianceReports
        from prisma_infra.monitoring import Monitor
        from prisma_infra.pii import PiiManager
        from prisma_infra.policies import PolicyBuilder, PolicyDecider
        from prisma_infra.security import SecurityMonitor
        from prisma_infra.web import InfraApp

    @property
    def cache(self) -> CacheManager:
        """The current runtime's `CacheManager`: ``await infra.cache.invalidate(tags=["home"])``."""
        from prisma_infra.cache.service import CACHE

        return self.services.require(CACHE)

    @property
    def cache_manager(self) -> CacheManager:
        """Deprecated spelling of `cache` (one release)."""
        return _deprecated("cache_manager", "cache", self.cache)

    def cache_for(self, model: str) -> ModelCache:
        """The cache as seen from one model: ``get``, ``invalidate``, ``clear``, ``stats``."""
        return self.cache.for_model(model)

    @property
    def monitor(self) -> Monitor:
        """The `Monitor`: time series, usage per model, recent errors, slow operations, findings."""
        from prisma_infra.monitoring.service import MONITOR

        return self.services.require(MONITOR)

    def web_app(self, *, debug: bool = False, **access: Any) -> InfraApp:
        """The kernel's Starlette app: ``/healthz``, ``/readyz``, the live dashboard, plugin routes.

        ``access``: ``authenticate``, ``role``, ``allowed_hosts`` of `prisma_infra.web.create_app`
        (default: ``monitoring.web``).
        """
        from prisma_infra.web import create_app

        return create_app(self, debug=debug, **access)

    @property
    def policies(self) -> PolicyDecider:
        """The `PolicyDecider`: ``check(actor, model, action, record)``, ``explain``, ``bypass()``."""
        from prisma_infra.policies.service import POLICIES

        return self.services.require(POLICIES)

    def define_policy(self, model: str, name: str, *, description: str | None = None) -> PolicyBuilder:
        """Define (or replace) a policy in code: ``infra.define_policy("Post", "posts").allow("read", ...)``.

        Works before and after start; kept across configuration reloads.
        """
        from prisma_infra.policies import PolicyBuilder, policy_registry

        return PolicyBuilder(policy_registry(self), model, name, description=description)

    @property
    def security(self) -> SecurityMonitor:
        """The `SecurityMonitor`: ``stats()`` and ``recent()`` security events."""
        from prisma_infra.security import SECURITY

        return self.services.require(SECURITY)

    @property
    def pii(self) -> PiiManager:
        """The `PiiManager`: ``classify_schema()``, ``await inventory(sample=...)``, ``mask_record``, ``mask_text``.

        Built on first use for the configuration in force, rebuilt after a reload.
        """
        from prisma_infra.pii.service import pii_manager

        return pii_manager(self)

    @property
    def audit(self) -> AuditManager:
        """The `AuditManager`: ``history``, ``query``, ``export``, ``verify``, ``record``, ``status``."""
        from prisma_infra.audit.service import AUDIT

        return self.services.require(AUDIT)

    @property
    def compliance(self) -> ComplianceReports:
        """Compliance reports: ``subject_access``, ``audit_export``, ``enforce_retention``."""
        from prisma_infra.compliance import ComplianceReports

        return ComplianceReports(self)

    @property
    def analytics_runner(self) -> AnalyticsRunner:
        """The `AnalyticsRunner`: ``for_model(model)`` queries, metrics registered by plugins."""
        from prisma_infra.analytics.service_keys import ANALYTICS

        return self.services.require(ANALYTICS)

    @property
    def analytics_engine(self) -> AnalyticsRunner:
        """Deprecated spelling of `analytics_runner` (one release)."""
        return _deprecated("analytics_engine", "analytics_runner", self.analytics_runner)

    def analytics(self, model: str) -> AnalyticsQuery:
        """An immutable analytics query on ``model``: ``infra.analytics("user").metrics([...]).interval("day")``."""
        return self.analytics_runner.for_model(model)

    @property
    def kpis(self) -> KpiService:
        """The `KpiService` of the configured KPIs, alert rules and reports."""
        from prisma_infra.analytics.service_keys import KPIS

        return self.services.require(KPIS)


_T = TypeVar("_T")


def _deprecated(old: str, new: str, value: _T) -> _T:
    warnings.warn(f"Infrastructure.{old} is deprecated: use Infrastructure.{new}", DeprecationWarning, stacklevel=3)
    return value

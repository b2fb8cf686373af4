"""Hook specifications: every extension point of prisma-infra.

Two kinds of hooks:

* **Registration hooks** (``register_*``) are called when the configuration
  is applied — at start-up and again on every reload. Each receives a
  ``register`` callable bound to the implementing plugin; a plugin calls it once
  per provider it offers. The kernel validates what is registered (type,
  duplicate names) and names the plugin at fault. Providers are resolved once
  per configuration, so the hot path never calls pluggy for them. The provider
  kinds behind them are listed in `prisma_infra.registry.PROVIDER_KINDS`.
* **Event hooks** observe the life of the infrastructure. Implementations may
  be plain functions or ``async def``: the kernel awaits whatever comes back.
  A failing observer is logged with its plugin's name; the others still run.

Every call goes through pluggy (``pm.hook.<name>(**kwargs)``), so the usual pluggy
rules hold: implementations run last-registered first (built-ins are registered
first and marked ``trylast``, so they run after installed plugins), ``tryfirst`` /
``trylast`` move one to the front or the back, and ``wrapper=True`` implementations
wrap the whole call and see (and may replace) the list of results. Async
implementations' results are awaitables, awaited in call order after the pluggy
call returns; a sync implementation therefore runs before the body of an async
one registered ahead of it.

Hooks are called with keyword arguments; an implementation may accept any
subset of a hook's parameters, so new parameters never break plugins.
Renamed hooks keep their old name for one release (`DEPRECATED_HOOKS`): a plugin
implementing the old name still works and gets a `DeprecationWarning` naming it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import typer

    from prisma_infra.config.model import InfraConfig
    from prisma_infra.kernel import Kernel
    from prisma_infra.operation import Operation

__all__ = ["DEPRECATED_HOOKS", "PROJECT_NAME", "hookimpl", "hookspec"]

PROJECT_NAME = "prisma_infra"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

#: Old hook name -> the hook it was renamed to; the old one is still called for one release.
DEPRECATED_HOOKS: dict[str, str] = {"register_cache_backends": "register_cache_stores"}


# ---------------------------------------------------------------------------
# Engines
# ---------------------------------------------------------------------------


@hookspec
def register_engines(register: Callable[[str, object], None]) -> None:
    """Register database engines (kind ``engines``).

    Called when the configuration is applied (start-up and every reload).
    ``database.engine`` selects one registered engine by name.

    :param register: ``register(name, factory)``; ``factory(database_config)``
        returns an :class:`~prisma_infra.providers.Engine` (the class itself works;
        a factory accepting ``base_dir`` is also told the settings file's folder).
    :return: nothing; the kernel keeps what was registered.

    A name registered twice (by two plugins) is an error naming both.
    """


# ---------------------------------------------------------------------------
# Caching
# ---------------------------------------------------------------------------


@hookspec
def register_cache_stores(register: Callable[[str, object], None]) -> None:
    """Register cache stores (kind ``cache_stores``).

    Called when the configuration is applied (start-up and every reload).
    ``cache.tiers`` (and ``models.<Model>.cache.tiers``) select stores by name,
    nearest first.

    :param register: ``register(name, factory)``; ``factory(options)`` returns a
        :class:`~prisma_infra.providers.CacheStore`; ``options`` is the mapping
        under ``cache.stores.<name>``.
    :return: nothing.

    Replaces ``register_cache_backends``, which still works for one release.
    """


@hookspec
def register_cache_backends(register: Callable[[str, object], None]) -> None:
    """Deprecated: the old name of :func:`register_cache_stores`.

    Called right after ``register_cache_stores``, with the same ``register``:
    what it registers lands in the ``cache_stores`` kind. A plugin implementing
    it gets a ``DeprecationWarning`` naming the plugin when it is loaded.

    :param register: as for ``register_cache_stores``.
    :return: nothing.
    """


# ---------------------------------------------------------------------------
# Search
# ---------------------------------------------------------------------------


@hookspec
def register_search_providers(register: Callable[[str, object], None]) -> None:
    """Register full-text search providers (kind ``search_providers``).

    Called when the configuration is applied. Without a configured provider,
    ``search()`` falls back to case-insensitive ``contains`` filters in the database.

    :param register: ``register(name, factory)``; ``factory(options)`` returns a
        :class:`~prisma_infra.providers.SearchProvider`.
    :return: nothing.
    """


# ---------------------------------------------------------------------------
# Audit
# ---------------------------------------------------------------------------


@hookspec
def register_audit_sinks(register: Callable[[str, object], None]) -> None:
    """Register audit sinks (kind ``audit_sinks``).

    Called when the configuration is applied. ``audit.sinks`` selects sinks by name;
    every audit event is written to each selected sink.

    :param register: ``register(name, factory)``; ``factory(options)`` returns an
        :class:`~prisma_infra.providers.AuditSink`.
    :return: nothing.
    """


# ---------------------------------------------------------------------------
# Metrics
# ---------------------------------------------------------------------------


@hookspec
def register_metrics_exporters(register: Callable[[str, object], None]) -> None:
    """Register metrics exporters (kind ``metrics_exporters``).

    Called when the configuration is applied. ``monitoring.exporters`` selects
    exporters by name; each receives every measured operation.

    :param register: ``register(name, factory)``; ``factory(options)`` returns a
        :class:`~prisma_infra.providers.MetricsExporter`.
    :return: nothing.
    """


# ---------------------------------------------------------------------------
# PII
# ---------------------------------------------------------------------------


@hookspec
def register_pii_detectors(register: Callable[[str, object], None]) -> None:
    """Register PII detectors (kind ``pii_detectors``).

    Called when the configuration is applied. Every registered detector that is
    not disabled in configuration (``pii.disable``) runs when values are classified.

    :param register: ``register(name, detector)`` with a
        :class:`~prisma_infra.providers.PiiDetector` instance (not a class).
    :return: nothing.
    """


# ---------------------------------------------------------------------------
# Pipeline
# ---------------------------------------------------------------------------


@hookspec
def register_middleware(register: Callable[[str, object], None]) -> None:
    """Register pipeline middleware (kind ``middleware``).

    Called when the configuration is applied. Middleware wraps the engine call
    for every operation; ``pipeline.order`` orders them by name (outermost first),
    unlisted ones follow in their ``order`` attribute's order.

    :param register: ``register(name, factory)``; ``factory(kernel)`` returns a
        :class:`~prisma_infra.pipeline.Middleware`. ``kernel`` is the
        :class:`~prisma_infra.kernel.Kernel` port (schema, config, services, stash,
        execute); type it as ``Kernel``, not as the ``Infrastructure`` facade.
    :return: nothing.
    """


# ---------------------------------------------------------------------------
# Analytics
# ---------------------------------------------------------------------------


@hookspec
def register_analytics_metrics(register: Callable[[str, object], None]) -> None:
    """Register analytics metrics beyond the built-in ones (kind ``analytics_metrics``).

    Called when the configuration is applied.

    :param register: ``register(name, metric)``; ``metric`` describes how the
        analytics engine computes it in the database.
    :return: nothing.
    """


# ---------------------------------------------------------------------------
# Command line and web
# ---------------------------------------------------------------------------


@hookspec
def register_commands(cli: typer.Typer) -> None:
    """Add commands to the ``prisma-infra`` command line.

    Called once when the CLI is built, before arguments are parsed. A failing
    implementation is reported by ``prisma-infra plugins`` and skipped (fatal when
    the plugin manager is strict).

    :param cli: the root :class:`typer.Typer` application; add commands or sub-apps to it.
    :return: nothing.
    """


@hookspec
def register_routes(register: Callable[[str, object], None]) -> None:
    """Add routes to the kernel's web application.

    Called when the web application is built.

    :param register: ``register(path, endpoint)`` with a Starlette endpoint or ASGI app.
    :return: nothing.
    """


@hookspec
def register_dashboard_panels(register: Callable[[str, object], None]) -> None:
    """Add panels to the live dashboard.

    Called when the dashboard is built.

    :param register: ``register(name, panel)``; ``panel`` gives a title and a data callable.
    :return: nothing.
    """


# ---------------------------------------------------------------------------
# Lifecycle and events
# ---------------------------------------------------------------------------


@hookspec
def startup(infrastructure: Kernel) -> Any:
    """The infrastructure has started: providers are built and the engine is ready.

    Called once per start, after the first ``configuration_changed``.

    :param infrastructure: the started kernel (:class:`~prisma_infra.kernel.Kernel`).
    :return: ``None`` or an awaitable, which the kernel awaits.

    A failing observer is logged with its plugin's name and does not stop the start.
    """


@hookspec
def shutdown(infrastructure: Kernel) -> Any:
    """The infrastructure is stopping.

    Called once per stop, before any provider is closed, so they are still usable.

    :param infrastructure: the stopping kernel (:class:`~prisma_infra.kernel.Kernel`).
    :return: ``None`` or an awaitable, which the kernel awaits.
    """


@hookspec
def configuration_changed(
    infrastructure: Kernel,
    config: InfraConfig,
    previous: InfraConfig | None,
    changes: Mapping[str, Any],
) -> Any:
    """A configuration was applied.

    Called at start-up (``previous`` is ``None``, before ``startup``) and after every
    reload, once the new providers are in place.

    :param infrastructure: the kernel the configuration was applied to
        (:class:`~prisma_infra.kernel.Kernel`).
    :param config: the configuration now in force.
    :param previous: the one it replaced, or ``None`` at start-up.
    :param changes: dotted key paths that changed, mapped to their new values.
    :return: ``None`` or an awaitable, which the kernel awaits.
    """


@hookspec
def operation_completed(operation: Operation, result: Any, error: BaseException | None, duration: float) -> Any:
    """An operation finished, successfully or not.

    Called once per operation, after the pipeline, only when some plugin
    implements it. Keep it cheap: it runs on the hot path.

    :param operation: the operation as it reached the engine.
    :param result: the result, or ``None`` when it failed.
    :param error: the exception, or ``None`` when it succeeded.
    :param duration: seconds spent in the pipeline.
    :return: ``None`` or an awaitable, which the kernel awaits.
    """


@hookspec
def alert_raised(alert: Mapping[str, Any]) -> Any:
    """An alert fired (KPI threshold, operational rule, security event, invalid reload).

    Called once per alert, by ``kernel.raise_alert``.

    :param alert: ``name``, ``severity``, ``message``, ``source`` and rule-specific details.
    :return: ``None`` or an awaitable, which the kernel awaits.
    """

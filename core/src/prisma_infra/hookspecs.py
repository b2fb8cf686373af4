"""Hook specifications: every extension point of prisma-infra.

Two kinds of hooks:

* **Registration hooks** (``register_*``) are called when the configuration
  is applied — at start-up and again on every reload. Each receives a
  ``register`` callable; a plugin calls it once per provider it offers. The
  kernel validates what is registered (type, duplicate names) and names the
  plugin at fault. Providers are resolved once per configuration, so the hot
  path never calls pluggy for them.
* **Event hooks** observe the life of the infrastructure. Implementations may
  be plain functions or ``async def``: the kernel awaits whatever comes back.

Hooks are called with keyword arguments; an implementation may accept any
subset of a hook's parameters, so new parameters never break plugins.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import typer

    from prisma_infra.config.model import InfraConfig
    from prisma_infra.infrastructure import Infrastructure
    from prisma_infra.operation import Operation

__all__ = ["PROJECT_NAME", "hookimpl", "hookspec"]

PROJECT_NAME = "prisma_infra"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


# ---------------------------------------------------------------------------
# Engines
# ---------------------------------------------------------------------------


@hookspec
def register_engines(register: Callable[[str, Any], None]) -> None:
    """Register data engines.

    Called when the configuration is applied. ``database.engine`` selects one
    registered engine by name.

    :param register: ``register(name, factory)``; ``factory(database_config)``
        returns an :class:`~prisma_infra.providers.Engine`.
    :return: nothing; the kernel keeps what was registered.
    """


# ---------------------------------------------------------------------------
# Caching
# ---------------------------------------------------------------------------


@hookspec
def register_cache_backends(register: Callable[[str, Any], None]) -> None:
    """Register cache stores.

    Called when the configuration is applied. ``cache.tiers`` (and
    ``models.<Model>.cache.tiers``) select stores by name, nearest first.

    :param register: ``register(name, factory)``; ``factory(options)`` returns a
        :class:`~prisma_infra.providers.CacheStore`; ``options`` is the mapping
        under ``cache.stores.<name>``.
    :return: nothing.
    """


# ---------------------------------------------------------------------------
# Search
# ---------------------------------------------------------------------------


@hookspec
def register_search_providers(register: Callable[[str, Any], None]) -> None:
    """Register full-text search providers.

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
def register_audit_sinks(register: Callable[[str, Any], None]) -> None:
    """Register audit sinks.

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
def register_metrics_exporters(register: Callable[[str, Any], None]) -> None:
    """Register metrics exporters.

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
def register_pii_detectors(register: Callable[[str, Any], None]) -> None:
    """Register PII detectors.

    Called when the configuration is applied. Every registered detector that is
    not disabled in configuration runs when values are classified.

    :param register: ``register(name, detector)`` with a
        :class:`~prisma_infra.providers.PiiDetector` instance.
    :return: nothing.
    """


# ---------------------------------------------------------------------------
# Pipeline
# ---------------------------------------------------------------------------


@hookspec
def register_middleware(register: Callable[[str, Any], None]) -> None:
    """Register pipeline middleware.

    Called when the configuration is applied. Middleware wraps the engine call
    for every operation; ``pipeline.order`` orders them by name (outermost first),
    unlisted ones follow in their ``order`` attribute's order.

    :param register: ``register(name, factory)``; ``factory(infrastructure)`` returns a
        :class:`~prisma_infra.pipeline.Middleware`.
    :return: nothing.
    """


# ---------------------------------------------------------------------------
# Analytics
# ---------------------------------------------------------------------------


@hookspec
def register_analytics_metrics(register: Callable[[str, Any], None]) -> None:
    """Register analytics metrics beyond the built-in ones.

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

    Called once when the CLI is built, before arguments are parsed.

    :param cli: the root :class:`typer.Typer` application; add commands or sub-apps to it.
    :return: nothing.
    """


@hookspec
def register_routes(register: Callable[[str, Any], None]) -> None:
    """Add routes to the kernel's web application.

    Called when the web application is built.

    :param register: ``register(path, endpoint)`` with a Starlette endpoint or ASGI app.
    :return: nothing.
    """


@hookspec
def register_dashboard_panels(register: Callable[[str, Any], None]) -> None:
    """Add panels to the live dashboard.

    Called when the dashboard is built.

    :param register: ``register(name, panel)``; ``panel`` gives a title and a data callable.
    :return: nothing.
    """


# ---------------------------------------------------------------------------
# Lifecycle and events
# ---------------------------------------------------------------------------


@hookspec
def startup(infrastructure: Infrastructure) -> Any:
    """The infrastructure has started: providers are built and the engine is ready.

    :param infrastructure: the started :class:`~prisma_infra.Infrastructure`.
    :return: ``None`` or an awaitable, which the kernel awaits.
    """


@hookspec
def shutdown(infrastructure: Infrastructure) -> Any:
    """The infrastructure is stopping; providers are still usable.

    :param infrastructure: the stopping :class:`~prisma_infra.Infrastructure`.
    :return: ``None`` or an awaitable, which the kernel awaits.
    """


@hookspec
def configuration_changed(
    infrastructure: Infrastructure,
    config: InfraConfig,
    previous: InfraConfig | None,
    changes: Mapping[str, Any],
) -> Any:
    """A configuration was applied: at start-up (``previous`` is ``None``) and after every reload.

    :param infrastructure: the infrastructure the configuration was applied to.
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

    :param alert: ``name``, ``severity``, ``message``, ``source`` and rule-specific details.
    :return: ``None`` or an awaitable, which the kernel awaits.
    """

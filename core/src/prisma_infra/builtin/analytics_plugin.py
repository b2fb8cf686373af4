"""Built-in analytics: the ``analytics`` middleware (engine, KPIs, alerts, reports) and its commands."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from prisma_infra.hookspecs import hookimpl

if TYPE_CHECKING:
    import typer

name = "analytics"


@hookimpl(trylast=True)
def register_middleware(register: Callable[[str, object], None]) -> None:
    from prisma_infra.analytics.middleware import AnalyticsMiddleware

    register("analytics", AnalyticsMiddleware)


@hookimpl(trylast=True)
def register_commands(cli: typer.Typer) -> None:
    from prisma_infra.cli.analytics_cmd import analytics_app, kpi_app

    cli.add_typer(analytics_app, name="analytics")
    cli.add_typer(kpi_app, name="kpi")

"""Built-in monitoring: the ``metrics`` middleware, the ``dashboard`` command and a runtime panel."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from prisma_infra.hookspecs import hookimpl
from prisma_infra.monitoring.middleware import MetricsMiddleware
from prisma_infra.monitoring.service import METRICS_EXPORTERS

if TYPE_CHECKING:
    import typer

    from prisma_infra.kernel import Kernel

name = "monitoring"


@hookimpl(trylast=True)
def register_middleware(register: Callable[[str, object], None]) -> None:
    register("metrics", MetricsMiddleware)


def runtime_panel(kernel: Kernel) -> dict[str, Any]:
    """What this process runs: engine, pipeline, exporters, plugins."""
    runtime = kernel.runtime
    return {
        "engine": f"{runtime.engine.name or type(runtime.engine).__name__} ({runtime.engine.provider})",
        "pipeline (outermost first)": ", ".join(m.name or type(m).__name__ for m in runtime.middleware),
        "metrics exporters": ", ".join(sorted(runtime.services.get(METRICS_EXPORTERS) or ())) or "none",
        "plugins": ", ".join(p.name for p in kernel.plugins.plugins()),
        "environment": runtime.config.environment,
    }


@hookimpl(trylast=True)
def register_dashboard_panels(register: Callable[[str, object], None]) -> None:
    from prisma_infra.web.panels import Panel

    register("runtime", Panel(title="Runtime", data=runtime_panel, description="What this process runs."))


@hookimpl(trylast=True)
def register_commands(cli: typer.Typer) -> None:
    from prisma_infra.cli.dashboard_cmd import dashboard_command

    cli.command("dashboard")(dashboard_command)

"""``prisma-infra analytics run`` and ``prisma-infra kpi list|eval`` (imported only when the command line is built).

Commands of the composition root: each starts an `Infrastructure` of the settings (schedules
off) and works on its analytics runner and KPI service.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

if TYPE_CHECKING:
    from prisma_infra.infrastructure import Infrastructure

__all__ = ["analytics_app", "kpi_app"]

T = TypeVar("T")

analytics_app = typer.Typer(
    help="Run analytics queries (aggregates per time bucket, pushed down to the database).", no_args_is_help=True
)
kpi_app = typer.Typer(help="List and evaluate the KPIs of analytics.kpis.", no_args_is_help=True)

SettingsOption = Annotated[
    list[Path] | None,
    typer.Option("--settings", "-s", help="Settings file (TOML, YAML or JSON); repeat for several."),
]
EnvOption = Annotated[str | None, typer.Option("--env", "-e", help="Environment table to apply.")]
FormatOption = Annotated[str, typer.Option("--format", "-f", help="table, csv or json.")]


def _run(
    ctx: typer.Context,
    settings: list[Path] | None,
    env: str | None,
    work: Callable[[Infrastructure], Awaitable[T]],
) -> T:
    """Start the settings' infrastructure (schedules off: this command does the work) and run ``work``."""
    from prisma_infra.config.loader import load_config
    from prisma_infra.errors import PrismaInfraError
    from prisma_infra.infrastructure import Infrastructure
    from prisma_infra.plugin_manager import PluginManager

    plugins = ctx.find_root().obj
    try:
        loaded = load_config(settings or None, environment=env, overrides={"analytics": {"enabled": False}})
        infra = Infrastructure(loaded, plugin_manager=plugins if isinstance(plugins, PluginManager) else None)

        async def main() -> T:
            async with infra:
                return await work(infra)

        return asyncio.run(main())
    except PrismaInfraError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from None


def _table(columns: list[str], rows: list[list[Any]], title: str | None = None) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*("" if v is None else (f"{v:.4g}" if isinstance(v, float) else str(v)) for v in row))
    Console().print(table)


def _check_format(fmt: str) -> str:
    if fmt not in ("table", "csv", "json"):
        raise typer.BadParameter(f"{fmt!r}: use table, csv or json", param_hint="--format")
    return fmt


@analytics_app.command("run")
def run(
    ctx: typer.Context,
    model: Annotated[str, typer.Argument(help="Model name (any case).")],
    metric: Annotated[
        list[str] | None,
        typer.Option("--metric", "-m", help="count, sum:views, growth_rate, moving_avg:7 ... (repeat)."),
    ] = None,
    interval: Annotated[
        str | None, typer.Option("--interval", "-i", help="hour, day, week, month, quarter, year.")
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="How far back: 30d, 12h, 8w, 6m, 1y or an ISO date.")
    ] = None,
    until: Annotated[str | None, typer.Option("--until", help="End (exclusive), ISO date; default now.")] = None,
    group_by: Annotated[list[str] | None, typer.Option("--group-by", "-g", help="Field to group by (repeat).")] = None,
    where: Annotated[
        str | None, typer.Option("--where", "-w", help='Prisma filter as JSON, e.g. \'{"role": "ADMIN"}\'.')
    ] = None,
    date_field: Annotated[str | None, typer.Option("--date-field", help="DateTime field dating rows.")] = None,
    tz: Annotated[str | None, typer.Option("--tz", help="Bucket time zone (PostgreSQL only).")] = None,
    fmt: FormatOption = "table",
    settings: SettingsOption = None,
    env: EnvOption = None,
) -> None:
    """Compute metrics of MODEL, per interval and group, in the database."""
    _check_format(fmt)
    try:
        filters = json.loads(where) if where else None
    except ValueError as exc:
        raise typer.BadParameter(f"not JSON: {exc}", param_hint="--where") from None

    async def work(infra: Infrastructure) -> Any:
        q = infra.analytics(model).metrics(metric or ["count"]).interval(interval)
        if since is not None:
            q = q.since(since, until)
        elif until is not None:
            q = q.date_range(None, until)
        if group_by:
            q = q.group_by(group_by)
        if filters:
            q = q.where(filters)
        if date_field:
            q = q.date_field(date_field)
        if tz:
            q = q.tz(tz)
        return await q.generate()

    result = _run(ctx, settings, env, work)
    if fmt == "json":
        typer.echo(json.dumps(result.to_dict(), indent=2, default=str))
    elif fmt == "csv":
        typer.echo(result.to_csv(), nl=False)
    else:
        columns = [*result.group_by, "bucket", *result.metrics]
        rows = [
            [r[c].isoformat() if c == "bucket" and r[c] is not None else r[c] for c in columns]
            for r in result.to_rows()
        ]
        _table(columns, rows, title=f"{result.model} ({len(rows)} rows)")
        if result.totals:
            typer.echo("totals: " + ", ".join(f"{k}={v}" for k, v in result.totals.items()))


@kpi_app.command("list")
def kpi_list(
    ctx: typer.Context, settings: SettingsOption = None, env: EnvOption = None, fmt: FormatOption = "table"
) -> None:
    """The configured KPIs (no database needed)."""
    from prisma_infra.config.loader import load_config
    from prisma_infra.errors import PrismaInfraError

    _check_format(fmt)
    try:
        config = load_config(settings or None, environment=env).config.analytics
    except PrismaInfraError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from None
    items = [k.model_dump(mode="json") for k in config.kpis]
    if fmt == "json":
        typer.echo(json.dumps(items, indent=2))
        return
    if not items:
        typer.echo("no KPIs configured (analytics.kpis)")
        return
    columns = ["name", "model", "metric", "interval", "window", "thresholds", "schedule"]
    rows = [[json.dumps(i[c]) if isinstance(i[c], dict | list) else i[c] for c in columns] for i in items]
    if fmt == "csv":
        import csv
        import io

        out = io.StringIO()
        csv.writer(out).writerows([columns, *rows])
        typer.echo(out.getvalue(), nl=False)
        return
    _table(columns, rows, title="KPIs")


@kpi_app.command("eval")
def kpi_eval(
    ctx: typer.Context,
    names: Annotated[list[str] | None, typer.Argument(help="KPI names (default: all).")] = None,
    settings: SettingsOption = None,
    env: EnvOption = None,
    fmt: FormatOption = "table",
) -> None:
    """Evaluate KPIs now: value, status, trend and anomaly (alerts fire as on schedule)."""
    _check_format(fmt)

    async def work(infra: Infrastructure) -> list[dict[str, Any]]:
        states = await infra.kpis.evaluate(names or None)
        return [state.as_dict() for state in states.values()]

    states = _run(ctx, settings, env, work)
    failed = any(s["status"] == "error" for s in states)
    if fmt == "json":
        typer.echo(json.dumps(states, indent=2, default=str))
    else:
        columns = ["name", "value", "status", "trend", "anomaly_z", "bucket"]
        rows = [
            [s["name"], s["value"], s["status"], s["trend"], (s["anomaly"] or {}).get("z"), s["bucket"]] for s in states
        ]
        if fmt == "csv":
            import csv
            import io

            out = io.StringIO()
            csv.writer(out).writerows([columns, *rows])
            typer.echo(out.getvalue(), nl=False)
        else:
            _table(columns, rows, title="KPIs")
        for s in states:
            if s["error"]:
                typer.echo(f"{s['name']}: {s['error']}", err=True)
    if failed:
        raise typer.Exit(1)

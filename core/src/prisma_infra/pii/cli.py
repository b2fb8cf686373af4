"""``prisma-infra pii scan`` (the inventory report) and ``prisma-infra pii detect`` (one value)."""

from __future__ import annotations

import asyncio
import enum
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from prisma_infra.pii.inventory import PiiInventory
from prisma_infra.plugin_manager import PluginManager

__all__ = ["pii_app", "render_table"]

pii_app = typer.Typer(help="PII: the inventory of personal data in the schema and database, and detection.")


class Format(enum.StrEnum):
    table = "table"
    json = "json"


def render_table(inventory: PiiInventory) -> Table:
    table = Table(title=f"PII inventory ({len(inventory)} fields)")
    for column in ("model", "field", "category", "confidence", "source", "evidence (masked)"):
        table.add_column(column, overflow="fold")
    for entry in inventory:
        table.add_row(entry.model, entry.field, entry.category, f"{entry.confidence:.2f}", entry.source, entry.evidence)
    return table


async def _scan(
    settings: list[Path] | None, env: str | None, sample: int | None, plugins: PluginManager | None
) -> PiiInventory:
    from prisma_infra.config.loader import load_config
    from prisma_infra.infrastructure import Infrastructure

    async with Infrastructure(load_config(settings or None, environment=env), plugin_manager=plugins) as infra:
        return await infra.pii.inventory(sample=sample)


@pii_app.command()
def scan(
    ctx: typer.Context,
    settings: Annotated[
        list[Path] | None, typer.Option("--settings", "-s", help="Settings file; repeat for several.")
    ] = None,
    env: Annotated[str | None, typer.Option("--env", "-e", help="Environment table to apply.")] = None,
    sample: Annotated[
        int | None, typer.Option("--sample", "-n", min=0, help="Rows read per model (default pii.sample_size).")
    ] = None,
    output: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
) -> None:
    """Print the PII inventory: model, field, category, confidence, source and masked evidence."""
    from prisma_infra.errors import PrismaInfraError

    try:
        root = ctx.find_root().obj
        inventory = asyncio.run(_scan(settings, env, sample, root if isinstance(root, PluginManager) else None))
    except PrismaInfraError as exc:
        typer.echo(f"pii scan failed: {exc}", err=True)
        raise typer.Exit(1) from None
    if output is Format.json:
        typer.echo(inventory.to_json())
        return
    console = Console()
    console.print(render_table(inventory))
    for model, reason in inventory.errors.items():
        console.print(f"[red]{model}: sample not read: {reason}[/red]")


@pii_app.command()
def detect(
    value: str,
    field: Annotated[str | None, typer.Option("--field", help="Field name, as context.")] = None,
) -> None:
    """Run every built-in detector on one value and print what they find (JSON)."""
    from prisma_infra.pii.manager import PiiManager

    matches = PiiManager().detect(value, field=field)
    typer.echo(
        json.dumps([{"category": m.category, "confidence": m.confidence, "evidence": m.evidence} for m in matches])
    )

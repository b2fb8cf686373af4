"""``prisma-infra schema show|types``: the schema as the kernel sees it, and typed stubs from it."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from prisma_infra.cli.config_cmd import EnvOption, SettingsOption
from prisma_infra.schema import Model, Schema, write_stubs

__all__ = ["schema_app"]

schema_app = typer.Typer(
    help="Show the Prisma schema as prisma-infra reads it; write typed stubs.", no_args_is_help=True
)


def _schema(settings: list[Path] | None, env: str | None) -> Schema:
    """Start the infrastructure just long enough to read the schema from the engine (Prisma's DMMF)."""
    from prisma_infra.infrastructure import Infrastructure

    async def read() -> Schema:
        async with Infrastructure.from_settings(*(settings or []), environment=env) as infra:
            return infra.schema

    return asyncio.run(read())


def _field_type(model: Model, name: str) -> str:
    field = model.field(name)
    kind = field.type + ("[]" if field.is_list else "") + ("" if field.is_required or field.is_list else "?")
    flags = [
        flag
        for flag, on in (
            ("id", field.is_id),
            ("unique", field.is_unique),
            ("default", field.has_default),
            ("updatedAt", field.is_updated_at),
        )
        if on
    ]
    return kind + (f"  @{' @'.join(flags)}" if flags else "")


@schema_app.command()
def show(
    settings: SettingsOption = None,
    env: EnvOption = None,
    model: Annotated[str | None, typer.Option("--model", "-m", help="Only this model (any case).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """Models with their fields, ids, unique keys and relations (both directions)."""
    schema = _schema(settings, env)
    models = [schema.model(model)] if model else list(schema.models)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "provider": schema.provider,
                    "hash": schema.hash,
                    "models": {
                        m.name: {
                            "table": m.table_name,
                            "id": list(m.id_fields),
                            "unique": {key: list(fields) for key, fields in m.unique_keys.items()},
                            "fields": {f.name: _field_type(m, f.name) for f in m.fields},
                            "relations": {
                                r.field: {"to": r.to_model, "cardinality": str(r.cardinality)} for r in m.relations
                            },
                        }
                        for m in models
                    },
                    "enums": {e.name: list(e.value_names) for e in schema.enums},
                },
                indent=2,
            )
        )
        return
    console = Console()
    console.print(f"provider [bold]{schema.provider}[/], {len(schema.models)} models, schema hash {schema.hash[:12]}")
    for m in models:
        table = Table(title=f"{m.name} (table {m.table_name})", title_justify="left")
        for column in ("field", "type", "relation"):
            table.add_column(column)
        relations = {r.field: r for r in m.relations}
        for field in m.fields:
            relation = relations.get(field.name)
            link = ""
            if relation is not None:
                link = f"{relation.cardinality} {relation.to_model}"
                if relation.fields:
                    link += f" via {', '.join(relation.fields)}"
            table.add_row(field.name, _field_type(m, field.name), link)
        console.print(table)


@schema_app.command()
def types(
    out: Annotated[Path, typer.Option("--out", "-o", help="The Python module to write.")],
    settings: SettingsOption = None,
    env: EnvOption = None,
) -> None:
    """Write a TypedDict per model (and its create/update inputs) and a Literal per enum, for mypy."""
    path = write_stubs(_schema(settings, env), out)
    typer.echo(f"wrote {path}")

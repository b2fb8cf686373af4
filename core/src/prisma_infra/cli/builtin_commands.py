"""Commands every installation has: ``plugins``, ``config``, ``schema``, ``serve``."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

from prisma_infra.plugin_manager import PluginManager

console = Console()


def _plugins(ctx: typer.Context) -> PluginManager:
    manager = ctx.obj if isinstance(ctx.obj, PluginManager) else ctx.find_root().obj
    if not isinstance(manager, PluginManager):
        manager = PluginManager()
        manager.load_all()
    return manager


def plugins_command(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """List loaded plugins (name, version, dist, hooks) and plugins that failed to load."""
    manager = _plugins(ctx)
    loaded = manager.plugins()
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "plugins": [
                        {"name": p.name, "version": p.version, "dist": p.dist, "hooks": p.hooks, "builtin": p.builtin}
                        for p in loaded
                    ],
                    "errors": [{"plugin": e.plugin, "dist": e.dist, "reason": e.reason} for e in manager.errors],
                },
                indent=2,
            )
        )
        return
    table = Table(title="Loaded plugins")
    for column in ("name", "version", "dist", "hooks"):
        table.add_column(column)
    for plugin in loaded:
        table.add_row(plugin.name, plugin.version or "-", plugin.dist or "(built-in)", ", ".join(plugin.hooks))
    console.print(table)
    if manager.errors:
        errors = Table(title="Load errors", style="red")
        errors.add_column("plugin")
        errors.add_column("reason")
        for error in manager.errors:
            errors.add_row(error.plugin, error.reason)
        console.print(errors)


def add_builtin_commands(cli: typer.Typer) -> None:
    from prisma_infra.cli.config_cmd import config_app
    from prisma_infra.cli.plugins_cmd import plugins_app
    from prisma_infra.cli.schema_cmd import schema_app
    from prisma_infra.cli.serve_cmd import serve_command

    cli.add_typer(plugins_app, name="plugins")
    cli.add_typer(config_app, name="config")
    cli.add_typer(schema_app, name="schema")
    cli.command("serve")(serve_command)

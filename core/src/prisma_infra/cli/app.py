"""Root of the ``prisma-infra`` command line; plugins add commands through ``register_commands``."""

from __future__ import annotations

import typer

from prisma_infra import __version__
from prisma_infra.plugin_manager import PluginManager

app = typer.Typer(name="prisma-infra", no_args_is_help=True, help="Infrastructure for Prisma schemas.")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"prisma-infra {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """prisma-infra: repositories, caching, audit, PII, analytics and monitoring for Prisma schemas."""


def build_app(plugins: PluginManager | None = None) -> typer.Typer:
    """Load plugins and let each add its commands (built-in ones included)."""
    if plugins is None:
        plugins = PluginManager()
        plugins.load_all()
    cli = typer.Typer(name="prisma-infra", no_args_is_help=True, help=app.info.help, context_settings={"obj": plugins})
    cli.callback()(root)
    plugins.call_sync("register_commands", cli=cli)
    return cli


def main() -> None:
    build_app()()

"""``prisma-infra cache warm|clear|stats`` (imported only when the command line is built).

A command of the composition root: it starts an `Infrastructure` of the settings and
works on its cache manager (``kernel.services``' `prisma_infra.cache.service.CACHE`).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from prisma_infra.cache.service import CACHE

if TYPE_CHECKING:
    from prisma_infra.cache.manager import CacheManager

__all__ = ["cache_app"]

T = TypeVar("T")

cache_app = typer.Typer(help="Warm, clear and inspect the query cache.", no_args_is_help=True)

SettingsOption = Annotated[
    list[Path] | None,
    typer.Option("--settings", "-s", help="Settings file (TOML, YAML or JSON); repeat for several."),
]
EnvOption = Annotated[str | None, typer.Option("--env", "-e", help="Environment table to apply.")]


def _run(
    ctx: typer.Context, settings: list[Path] | None, env: str | None, work: Callable[[CacheManager], Awaitable[T]]
) -> T:
    """Start the infrastructure of the settings (with the command line's plugins) and run ``work``."""
    from prisma_infra.config.loader import load_config
    from prisma_infra.errors import PrismaInfraError
    from prisma_infra.infrastructure import Infrastructure
    from prisma_infra.plugin_manager import PluginManager

    plugins = ctx.find_root().obj
    try:
        loaded = load_config(settings or None, environment=env)
        infra = Infrastructure(loaded, plugin_manager=plugins if isinstance(plugins, PluginManager) else None)

        async def main() -> T:
            async with infra:
                return await work(infra.services.require(CACHE))

        return asyncio.run(main())
    except PrismaInfraError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from None


@cache_app.command("warm")
def warm(ctx: typer.Context, settings: SettingsOption = None, env: EnvOption = None) -> None:
    """Run every query listed in ``cache.warm`` and store its result in every tier."""

    async def work(manager: CacheManager) -> dict[str, int]:
        return await manager.warm()

    result = _run(ctx, settings, env, work)
    count = result["warmed"]
    typer.echo(f"warmed {count} quer{'y' if count == 1 else 'ies'}, {result['failed']} failed")
    if result["failed"]:
        raise typer.Exit(1)


@cache_app.command("clear")
def clear(ctx: typer.Context, settings: SettingsOption = None, env: EnvOption = None) -> None:
    """Invalidate every cached entry in every process that shares the configured stores."""

    async def work(manager: CacheManager) -> None:
        await manager.clear()

    _run(ctx, settings, env, work)
    typer.echo("cache cleared")


@cache_app.command("stats")
def stats(ctx: typer.Context, settings: SettingsOption = None, env: EnvOption = None) -> None:
    """Show the configured stores and their health (JSON)."""

    async def work(manager: CacheManager) -> dict[str, Any]:
        return manager.stats()

    typer.echo(json.dumps(_run(ctx, settings, env, work), indent=2, default=str))

"""The cache as an ordinary plugin: the in-process store, the cache middleware, ``prisma-infra cache``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from prisma_infra.cache.memory import MemoryStore
from prisma_infra.cache.middleware import CacheMiddleware
from prisma_infra.hookspecs import hookimpl

if TYPE_CHECKING:
    import typer

name = "cache"


@hookimpl(trylast=True)
def register_cache_stores(register: Callable[[str, object], None]) -> None:
    register("memory", MemoryStore)


@hookimpl(trylast=True)
def register_middleware(register: Callable[[str, object], None]) -> None:
    register("cache", CacheMiddleware)


@hookimpl(trylast=True)
def register_commands(cli: typer.Typer) -> None:
    from prisma_infra.cli.cache_cmd import cache_app

    cli.add_typer(cache_app, name="cache")

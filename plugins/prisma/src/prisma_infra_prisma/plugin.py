"""The prisma-infra plugin: the ``"prisma"`` engine and the ``prisma``/``db``/``migrate`` commands."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from prisma_infra_sdk import hookimpl

from prisma_infra_prisma.engine import PrismaEngine

if TYPE_CHECKING:
    import typer

__all__ = ["register_commands", "register_engines"]


@hookimpl
def register_engines(register: Callable[[str, object], None]) -> None:
    register("prisma", PrismaEngine)


@hookimpl
def register_commands(cli: typer.Typer) -> None:
    from prisma_infra_prisma.cli import register_cli  # typer is only needed when the CLI is built

    register_cli(cli)

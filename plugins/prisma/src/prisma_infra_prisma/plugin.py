"""The prisma-infra plugin: registers `PrismaEngine` under the name ``"prisma"``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prisma_infra.hookspecs import hookimpl

from prisma_infra_prisma.engine import PrismaEngine

__all__ = ["register_engines"]


@hookimpl
def register_engines(register: Callable[[str, Any], None]) -> None:
    register("prisma", PrismaEngine)

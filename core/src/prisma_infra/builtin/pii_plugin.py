"""The built-in PII detectors, the ``pii`` middleware (which publishes masking) and the
``prisma-infra pii`` commands, registered as an ordinary plugin."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from prisma_infra.hookspecs import hookimpl

if TYPE_CHECKING:
    import typer

name = "pii"


@hookimpl(trylast=True)
def register_pii_detectors(register: Callable[[str, object], None]) -> None:
    from prisma_infra.pii.detectors import builtin_detectors

    for detector_name, detector in builtin_detectors().items():
        register(detector_name, detector)


@hookimpl(trylast=True)
def register_middleware(register: Callable[[str, object], None]) -> None:
    from prisma_infra.pii.service import PiiMiddleware

    register("pii", PiiMiddleware)


@hookimpl(trylast=True)
def register_commands(cli: typer.Typer) -> None:
    from prisma_infra.pii.cli import pii_app

    cli.add_typer(pii_app, name="pii")

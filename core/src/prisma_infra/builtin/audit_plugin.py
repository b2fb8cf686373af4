"""The audit trail as an ordinary plugin: the ``file`` and ``database`` sinks, the audit middleware,
``prisma-infra audit`` and ``prisma-infra compliance``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from prisma_infra.hookspecs import hookimpl

if TYPE_CHECKING:
    import typer

name = "audit"


@hookimpl(trylast=True)
def register_audit_sinks(register: Callable[[str, object], None]) -> None:
    from prisma_infra.audit.database_sink import DatabaseSink
    from prisma_infra.audit.file_sink import FileSink

    register("file", FileSink)
    register("database", DatabaseSink)


@hookimpl(trylast=True)
def register_middleware(register: Callable[[str, object], None]) -> None:
    from prisma_infra.audit.middleware import AuditMiddleware

    register("audit", AuditMiddleware)


@hookimpl(trylast=True)
def register_commands(cli: typer.Typer) -> None:
    from prisma_infra.audit.cli import audit_app
    from prisma_infra.compliance.cli import compliance_app

    cli.add_typer(audit_app, name="audit")
    cli.add_typer(compliance_app, name="compliance")

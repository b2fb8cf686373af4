"""``prisma-infra compliance dsar|export|retention`` (imported only when the command line is built)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from prisma_infra.audit.cli import EnvOption, SettingsOption, with_infrastructure

if TYPE_CHECKING:
    from prisma_infra.compliance.subject_access import SubjectAccessReport
    from prisma_infra.infrastructure import Infrastructure

__all__ = ["compliance_app"]

compliance_app = typer.Typer(
    help="Compliance reports: data-subject access, audit export for a period, retention.", no_args_is_help=True
)


@compliance_app.command("dsar")
def dsar(
    subject: Annotated[str, typer.Argument(help="E-mail address or record id of the data subject.")],
    settings: SettingsOption = None,
    env: EnvOption = None,
    model: Annotated[str | None, typer.Option(help="Model the id belongs to (for ids).")] = None,
    role: Annotated[str | None, typer.Option(help="Your role; PII is shown only to audit.report_roles.")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the JSON report here.")] = None,
    events: Annotated[bool, typer.Option("--events/--no-events", help="Include audit events.")] = True,
) -> None:
    """Data-subject access report: every record and audit event referring to SUBJECT."""

    async def work(infra: Infrastructure) -> SubjectAccessReport:
        return await infra.compliance.subject_access(subject, model=model, role=role, include_events=events)

    report = asyncio.run(with_infrastructure(settings, env, work))
    if output is not None:
        report.write(output)
        typer.echo(
            f"{report.record_count} records in {len(report.records)} models and {len(report.events)} audit events "
            f"for {subject} written to {output} (PII {'shown' if report.authorised else 'masked'})"
        )
    else:
        typer.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False, default=str))


@compliance_app.command("export")
def export(
    output: Annotated[Path, typer.Argument(help="File to write.")],
    settings: SettingsOption = None,
    env: EnvOption = None,
    since: Annotated[str | None, typer.Option(help="ISO date/time, inclusive.")] = None,
    until: Annotated[str | None, typer.Option(help="ISO date/time, exclusive.")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="jsonl or csv.")] = "jsonl",
) -> None:
    """The audit trail for a period, as JSON lines or CSV."""

    async def work(infra: Infrastructure) -> int:
        return await infra.compliance.audit_export(output, since=since, until=until, format=fmt)

    count = asyncio.run(with_infrastructure(settings, env, work))
    typer.echo(f"exported {count} event{'s' if count != 1 else ''} to {output}")


@compliance_app.command("retention")
def retention(
    settings: SettingsOption = None,
    env: EnvOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count, change nothing.")] = False,
    model: Annotated[list[str] | None, typer.Option("--model", "-m", help="Only this model; repeat.")] = None,
) -> None:
    """Delete or anonymise records past their model's retention_days (every change audited)."""

    async def work(infra: Infrastructure) -> dict[str, Any]:
        results = await infra.compliance.enforce_retention(dry_run=dry_run, models=model)
        return {name: r.to_dict() for name, r in results.items()}

    results = asyncio.run(with_infrastructure(settings, env, work))
    typer.echo(json.dumps(results, indent=2))
    if any(r["failed_batches"] for r in results.values()):
        raise typer.Exit(1)

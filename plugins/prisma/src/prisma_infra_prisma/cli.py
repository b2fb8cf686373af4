"""Commands: ``prisma install``, ``db push``, ``migrate deploy|status|resolve|create``.

Wire with ``@hookimpl def register_commands(cli): register_cli(cli)``.
Every command reads the settings (``--settings``, else the defaults that
`prisma_infra.config.loader.load_config` discovers); ``--schema`` and ``--url``
override ``database.schema_path`` and ``database.url``.
"""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import typer
from prisma_infra_sdk import PrismaInfraError
from pydantic import SecretStr

from prisma_infra_prisma.datasource import ResolvedDatabase, resolve_database

__all__ = ["register_cli"]

_SETTINGS = typer.Option(None, "--settings", "-s", help="Settings file(s); repeat for several.")
_ENV = typer.Option(None, "--env", help="Settings environment (default: PRISMA_INFRA_ENV or development).")
_SCHEMA = typer.Option(None, "--schema", help="Prisma schema file or folder (overrides database.schema_path).")
_URL = typer.Option(None, "--url", help="Database URL (overrides database.url and the schema's datasource).")
_MIGRATIONS = typer.Option(None, "--migrations", help="Migrations folder (default: <schema folder>/migrations).")


def _fail(exc: PrismaInfraError) -> typer.Exit:
    typer.secho(f"Error: {exc.message}", fg=typer.colors.RED, err=True)
    problems = getattr(exc, "problems", None)
    for problem in problems or ():
        if problem not in exc.message:
            typer.echo(problem, err=True)
    return typer.Exit(1)


def _resolve(
    settings: list[Path] | None, environment: str | None, schema: Path | None, url: str | None
) -> ResolvedDatabase:
    from prisma_infra_sdk import load_config

    loaded = load_config(list(settings) if settings else None, environment=environment)
    database = loaded.config.database
    changes: dict[str, object] = {}
    if schema is not None:
        changes["schema_path"] = str(schema.expanduser().resolve())
    if url is not None:
        changes["url"] = SecretStr(url)
    if changes:
        database = database.model_copy(update=changes)
    return resolve_database(database, Path(loaded.config.base_dir))


def _migrations_dir(resolved: ResolvedDatabase, given: Path | None) -> Path:
    return given.expanduser().resolve() if given is not None else resolved.schema_path.parent / "migrations"


def install_command() -> None:
    """Install Node.js packages for Prisma 7 (once; needs the npm registry) and show where they are."""
    from prisma_infra_prisma.toolchain import cache_dir, ensure_toolchain

    try:
        toolchain = ensure_toolchain(install=True)
    except PrismaInfraError as exc:
        raise _fail(exc) from exc
    version = subprocess.run([str(toolchain.node), "--version"], capture_output=True, text=True, check=False)
    typer.echo(f"node: {toolchain.node} ({version.stdout.strip() or 'unknown version'})")
    typer.echo(f"packages: {toolchain.node_modules}")
    typer.echo(f"cache dir: {cache_dir()}")


def push_command(
    force: bool = typer.Option(False, "--force", "--accept-data-loss", help="Accept changes that lose data."),
    settings: list[Path] | None = _SETTINGS,
    environment: str | None = _ENV,
    schema: Path | None = _SCHEMA,
    url: str | None = _URL,
) -> None:
    """Make the database match the schema (PostgreSQL, MySQL/MariaDB, SQLite), like `prisma db push`."""
    from prisma_infra_prisma.schema_sync import db_push

    try:
        resolved = _resolve(settings, environment, schema, url)
        result = asyncio.run(db_push(resolved, force=force))
    except PrismaInfraError as exc:
        raise _fail(exc) from exc
    for warning in result.warnings:
        typer.secho(f"accepted data loss: {warning}", fg=typer.colors.YELLOW)
    if result.executed_steps:
        typer.echo(f"{resolved.redacted_url()}: {result.executed_steps} step(s) executed; in sync with the schema.")
    else:
        typer.echo(f"{resolved.redacted_url()}: already in sync with the schema.")


def deploy_command(
    strict: bool = typer.Option(False, "--strict", help="Fail when an applied migration's file was modified."),
    migrations: Path | None = _MIGRATIONS,
    settings: list[Path] | None = _SETTINGS,
    environment: str | None = _ENV,
    schema: Path | None = _SCHEMA,
    url: str | None = _URL,
) -> None:
    """Apply pending SQL migrations in order, recorded in _prisma_migrations (like `prisma migrate deploy`)."""
    from prisma_infra_prisma.migrate import migrate_deploy

    try:
        resolved = _resolve(settings, environment, schema, url)
        folder = _migrations_dir(resolved, migrations)
        result = asyncio.run(migrate_deploy(resolved, folder, on_modified="error" if strict else "warn"))
    except PrismaInfraError as exc:
        raise _fail(exc) from exc
    for warning in result.warnings:
        typer.secho(f"warning: {warning}", fg=typer.colors.YELLOW, err=True)
    for name in result.applied:
        typer.echo(f"applied {name}")
    typer.echo(
        f"{len(result.applied)} migration(s) applied from {folder}." if result.applied else "No pending migrations."
    )


def status_command(
    migrations: Path | None = _MIGRATIONS,
    settings: list[Path] | None = _SETTINGS,
    environment: str | None = _ENV,
    schema: Path | None = _SCHEMA,
    url: str | None = _URL,
) -> None:
    """List applied, pending, failed and modified migrations; exit 1 unless up to date."""
    from prisma_infra_prisma.migrate import migrate_status

    try:
        resolved = _resolve(settings, environment, schema, url)
        folder = _migrations_dir(resolved, migrations)
        status = asyncio.run(migrate_status(resolved, folder))
    except PrismaInfraError as exc:
        raise _fail(exc) from exc
    for label, names, colour in (
        ("applied", status.applied, None),
        ("pending", status.pending, typer.colors.YELLOW),
        ("failed", status.failed, typer.colors.RED),
        ("modified after apply", status.modified, typer.colors.YELLOW),
        ("missing locally", status.missing_locally, typer.colors.YELLOW),
    ):
        for name in names:
            typer.secho(f"{label}: {name}", fg=colour)
    if status.up_to_date:
        typer.echo("Database schema is up to date.")
    else:
        raise typer.Exit(1)


def resolve_command(
    applied: str | None = typer.Option(None, "--applied", help="Record NAME as applied without running it."),
    rolled_back: str | None = typer.Option(None, "--rolled-back", help="Mark the failed NAME rolled back."),
    migrations: Path | None = _MIGRATIONS,
    settings: list[Path] | None = _SETTINGS,
    environment: str | None = _ENV,
    schema: Path | None = _SCHEMA,
    url: str | None = _URL,
) -> None:
    """Resolve a failed migration, like `prisma migrate resolve`."""
    from prisma_infra_prisma.migrate import migrate_resolve

    if (applied is None) == (rolled_back is None):
        typer.secho("Give exactly one of --applied NAME or --rolled-back NAME.", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    name = applied or rolled_back or ""
    try:
        resolved = _resolve(settings, environment, schema, url)
        folder = _migrations_dir(resolved, migrations)
        asyncio.run(migrate_resolve(resolved, folder, name, action="applied" if applied else "rolled_back"))
    except PrismaInfraError as exc:
        raise _fail(exc) from exc
    typer.echo(f"{name} marked {'applied' if applied else 'rolled back'}.")


def create_command(
    name: str = typer.Argument(..., help="Migration name, e.g. add_user_email."),
    migrations: Path | None = _MIGRATIONS,
    settings: list[Path] | None = _SETTINGS,
    environment: str | None = _ENV,
    schema: Path | None = _SCHEMA,
    url: str | None = _URL,
) -> None:
    """Write <migrations>/<timestamp>_NAME/migration.sql from the schema (PostgreSQL, MySQL/MariaDB, SQLite)."""
    from prisma_infra_prisma.migrate import create_migration

    try:
        resolved = _resolve(settings, environment, schema, url)
        folder = _migrations_dir(resolved, migrations)
        written = create_migration(resolved, folder, name)
    except PrismaInfraError as exc:
        raise _fail(exc) from exc
    typer.echo(f"wrote {written}" if written else "The schema matches the migrations: nothing to write.")


def register_cli(cli: typer.Typer) -> None:
    """Add the ``prisma``, ``db`` and ``migrate`` command groups to the ``prisma-infra`` CLI."""
    prisma = typer.Typer(name="prisma", help="The Prisma 7 toolchain (Node.js and npm packages).", no_args_is_help=True)
    prisma.command("install")(install_command)
    db = typer.Typer(name="db", help="Synchronise the database with the Prisma schema.", no_args_is_help=True)
    db.command("push")(push_command)
    migrate = typer.Typer(name="migrate", help="SQL migrations with Prisma's bookkeeping.", no_args_is_help=True)
    migrate.command("deploy")(deploy_command)
    migrate.command("status")(status_command)
    migrate.command("resolve")(resolve_command)
    migrate.command("create")(create_command)
    cli.add_typer(prisma)
    cli.add_typer(db)
    cli.add_typer(migrate)

"""``migrate deploy`` / ``status`` / ``resolve`` / ``create`` for PostgreSQL, MySQL/MariaDB and SQLite, offline.

Applies ``<migrations_dir>/<name>/migration.sql`` in folder-name order and
records each in Prisma's own ``_prisma_migrations`` table, with Prisma's
columns, checksums (SHA-256 of the file) and semantics, so the same database
can later be handed to ``prisma migrate deploy``:

- a migration is recorded when it starts; ``finished_at`` and
  ``applied_steps_count = 1`` are set when its script succeeded;
- a failed script leaves the row with ``finished_at`` NULL and the database
  error in ``logs``; deploy then refuses to run until it is resolved
  (`migrate_resolve`, like ``prisma migrate resolve``);
- rows with ``rolled_back_at`` set are ignored, so the migration runs again.

The SQL runs in Node through the pinned drivers (``pg``, ``mariadb``,
``@libsql/client``): no Python database driver is needed. A PostgreSQL script
runs as one multi-statement query (atomic); MySQL commits each DDL statement,
so a failed MySQL migration can be half applied, as with Prisma.

The migrations folder itself (listing, checksums, the lock file) is `prisma_infra_prisma.migrations`;
its names are re-exported here.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from prisma_infra_prisma.datasource import ResolvedDatabase, ScriptFailure, call_script
from prisma_infra_prisma.migrations import (
    Migration,
    MigrationError,
    check_lockfile,
    checksum,
    checksum_matches,
    list_migrations,
    new_migration_folder,
    write_lockfile,
)
from prisma_infra_prisma.schema_sync import diff_script

__all__ = [
    "AppliedMigration",
    "DeployResult",
    "Migration",
    "MigrationError",
    "MigrationStatus",
    "checksum",
    "checksum_matches",
    "create_migration",
    "list_migrations",
    "migrate_deploy",
    "migrate_resolve",
    "migrate_status",
]


@dataclass(frozen=True)
class AppliedMigration:
    """A row of ``_prisma_migrations``."""

    id: str
    migration_name: str
    checksum: str
    started_at: datetime | None
    finished_at: datetime | None
    rolled_back_at: datetime | None
    logs: str | None
    applied_steps_count: int

    @property
    def failed(self) -> bool:
        return self.finished_at is None and self.rolled_back_at is None


@dataclass(frozen=True)
class MigrationStatus:
    has_table: bool
    applied: list[str]
    pending: list[str]
    failed: list[str]
    modified: list[str]
    """Applied migrations whose file changed since (checksum mismatch)."""
    missing_locally: list[str]
    """Applied migrations with no folder in the migrations directory."""
    rows: list[AppliedMigration] = field(default_factory=list, repr=False)

    @property
    def up_to_date(self) -> bool:
        return not (self.pending or self.failed)


@dataclass(frozen=True)
class DeployResult:
    applied: list[str]
    warnings: list[str] = field(default_factory=list)


def _when(value: Any) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _rows(resolved: ResolvedDatabase) -> tuple[bool, list[AppliedMigration]]:
    out = _call("rows", resolved)
    rows = [
        AppliedMigration(
            id=r["id"],
            migration_name=r["migrationName"],
            checksum=r["checksum"],
            started_at=_when(r["startedAt"]),
            finished_at=_when(r["finishedAt"]),
            rolled_back_at=_when(r["rolledBackAt"]),
            logs=r["logs"],
            applied_steps_count=int(r["appliedStepsCount"]),
        )
        for r in out["rows"]
    ]
    return bool(out["hasTable"]), rows


def _call(op: str, resolved: ResolvedDatabase, **extra: Any) -> Any:
    request = {"op": op, "provider": resolved.provider, "url": resolved.url, **extra}
    try:
        return call_script("migrate.mjs", request)
    except ScriptFailure as exc:
        data = exc.data
        if exc.kind == "migration_failed":
            raise MigrationError(
                f"{exc.message}\n\nThe migration is recorded as failed in _prisma_migrations. Fix the database "
                f"and the script, then run `prisma-infra migrate resolve --rolled-back {data.get('migration')}` "
                "(or --applied if you completed it by hand).",
                migration=data.get("migration"),
                logs=data.get("logs"),
                applied=data.get("applied") or (),
            ) from exc
        if exc.kind == "failed_migrations":
            names = list(data.get("migrations") or [])
            raise MigrationError(
                f"{exc.message}. Resolve each with `prisma-infra migrate resolve --rolled-back NAME` "
                "(or --applied NAME) first.",
                migrations=names,
                logs="\n\n".join(str(log) for log in data.get("logs") or [] if log) or None,
            ) from exc
        raise MigrationError(f"{op} on {resolved.redacted_url()} failed: {exc.message}") from exc


def _status(resolved: ResolvedDatabase, migrations_dir: Path) -> MigrationStatus:
    local = list_migrations(migrations_dir)
    has_table, rows = _rows(resolved)
    live = [r for r in rows if r.rolled_back_at is None]
    by_name = {m.name: m for m in local}
    finished = {r.migration_name: r for r in live if r.finished_at is not None}
    failed = [r.migration_name for r in live if r.failed]
    modified = [
        name
        for name, row in finished.items()
        if name in by_name and not checksum_matches(by_name[name].raw, row.checksum)
    ]
    return MigrationStatus(
        has_table=has_table,
        applied=[r.migration_name for r in live if r.finished_at is not None],
        pending=[m.name for m in local if m.name not in finished and m.name not in failed],
        failed=failed,
        modified=modified,
        missing_locally=[name for name in finished if name not in by_name],
        rows=rows,
    )


async def migrate_status(resolved: ResolvedDatabase, migrations_dir: Path) -> MigrationStatus:
    """Applied, pending, failed, modified (checksum mismatch) and locally missing migrations."""
    return await asyncio.to_thread(_status, resolved, migrations_dir)


def _deploy(resolved: ResolvedDatabase, migrations_dir: Path, on_modified: Literal["warn", "error"]) -> DeployResult:
    check_lockfile(resolved.provider, migrations_dir)
    local = list_migrations(migrations_dir)
    warnings: list[str] = []
    status = _status(resolved, migrations_dir)
    if status.modified:
        message = (
            f"Applied migration(s) modified since they were applied (checksum mismatch): {', '.join(status.modified)}. "
            "Edits to applied migrations are not re-run; write a new migration instead."
        )
        if on_modified == "error":
            raise MigrationError(message, migrations=status.modified)
        warnings.append(message)
    if status.missing_locally:
        warnings.append(
            f"Migration(s) recorded in the database but missing from {migrations_dir}: "
            f"{', '.join(status.missing_locally)}."
        )
    out = _call(
        "deploy",
        resolved,
        migrations=[{"name": m.name, "script": m.script, "checksum": m.checksum} for m in local],
    )
    return DeployResult(applied=list(out["applied"]), warnings=warnings)


async def migrate_deploy(
    resolved: ResolvedDatabase,
    migrations_dir: Path,
    *,
    on_modified: Literal["warn", "error"] = "warn",
) -> DeployResult:
    """Apply the pending migrations of ``migrations_dir`` in order, like ``prisma migrate deploy``.

    :param on_modified: what an applied migration whose file changed causes: a warning in
        the result (Prisma's deploy ignores it) or a `MigrationError`.
    :returns: the migrations applied now (empty when up to date) and warnings.
    :raises MigrationError: a script failed (recorded as failed; names the migration and the
        database error), or an earlier failed migration is unresolved.
    """
    return await asyncio.to_thread(_deploy, resolved, migrations_dir, on_modified)


async def migrate_resolve(
    resolved: ResolvedDatabase,
    migrations_dir: Path,
    name: str,
    *,
    action: Literal["applied", "rolled_back"],
) -> None:
    """Mark a migration applied (without running it) or a failed one rolled back, like ``prisma migrate resolve``."""
    local = {m.name: m for m in list_migrations(migrations_dir)}
    if action == "applied" and name not in local:
        raise MigrationError(f"No migration named {name!r} in {migrations_dir}.", migration=name)
    digest = local[name].checksum if name in local else ""
    await asyncio.to_thread(_call, "resolve", resolved, name=name, action=action, checksum=digest)


def create_migration(
    resolved: ResolvedDatabase, migrations_dir: Path, name: str, *, now: datetime | None = None
) -> Path | None:
    """Write ``<migrations_dir>/<timestamp>_<name>/migration.sql`` with the SQL from the migrations to the schema.

    PostgreSQL (needs CREATEDB for a temporary shadow database) and SQLite only.
    :returns: the new file, or None when the schema matches the migrations already.
    """
    folder = new_migration_folder(migrations_dir, name, now or datetime.now(UTC))
    check_lockfile(resolved.provider, migrations_dir)
    existing = list_migrations(migrations_dir)
    script = diff_script(resolved, from_migrations=migrations_dir if existing else None)

    if not script.strip() or script.strip() == "-- This is an empty migration.":
        return None
    folder.mkdir(parents=True, exist_ok=False)
    target = folder / "migration.sql"
    target.write_text(script, encoding="utf-8")
    write_lockfile(resolved.provider, migrations_dir)
    return target

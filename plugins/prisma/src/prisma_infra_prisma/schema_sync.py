"""``db push`` and schema diffs through Prisma's schema engine (WebAssembly) and a driver adapter.

PostgreSQL and SQLite only: the wasm build of the schema engine has no MySQL
support, so MySQL/MariaDB projects keep SQL migration files and apply them
with `prisma_infra_prisma.migrate.migrate_deploy`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prisma_infra.errors import PrismaInfraError

from prisma_infra_prisma.datasource import ResolvedDatabase, ScriptFailure, call_script

__all__ = ["DataLossError", "PushResult", "SchemaSyncError", "db_push", "diff_script"]

_MYSQL_HINT = (
    "Prisma's schema engine (WebAssembly build) cannot drive MySQL/MariaDB. Keep SQL migration files in "
    "prisma/migrations/<timestamp>_<name>/migration.sql and apply them with `prisma-infra migrate deploy`."
)


class SchemaSyncError(PrismaInfraError):
    """The schema could not be synchronised with the database."""

    def __init__(
        self,
        message: str,
        *,
        warnings: Sequence[str] = (),
        unexecutable: Sequence[str] = (),
        detail: str | None = None,
    ) -> None:
        super().__init__(message, detail=detail)
        self.warnings = list(warnings)
        self.unexecutable = list(unexecutable)


class DataLossError(SchemaSyncError):
    """The push would lose data; nothing was changed. Push again with ``force=True`` to accept the loss."""


@dataclass(frozen=True)
class PushResult:
    executed_steps: int
    warnings: list[str] = field(default_factory=list)
    """Prisma's data-loss warnings (accepted, when the push was forced)."""
    unexecutable: list[str] = field(default_factory=list)


def _request(resolved: ResolvedDatabase, **extra: Any) -> dict[str, Any]:
    return {"provider": resolved.provider, "url": resolved.url, "files": resolved.files, **extra}


def _bullets(items: Sequence[str]) -> str:
    return "\n".join(f"  - {item.strip()}" for item in items)


def _push(resolved: ResolvedDatabase, force: bool) -> PushResult:
    if resolved.provider == "mysql":
        raise SchemaSyncError(f"db push is not available for {resolved.provider}. {_MYSQL_HINT}")
    try:
        out = call_script("push.mjs", _request(resolved, op="push", force=force))
    except ScriptFailure as exc:
        raise SchemaSyncError(f"db push to {resolved.redacted_url()} failed: {exc.message}", detail=exc.detail) from exc
    result = PushResult(
        executed_steps=int(out["executedSteps"]),
        warnings=[str(w) for w in out.get("warnings", [])],
        unexecutable=[str(u) for u in out.get("unexecutable", [])],
    )
    if result.unexecutable and result.executed_steps == 0:
        raise SchemaSyncError(
            f"db push cannot apply the schema to {resolved.redacted_url()}; nothing was changed:\n"
            f"{_bullets(result.unexecutable)}\n"
            "Fix the data (or reset the database) and push again.",
            warnings=result.warnings,
            unexecutable=result.unexecutable,
        )
    if result.warnings and not force and result.executed_steps == 0:
        raise DataLossError(
            f"db push would lose data in {resolved.redacted_url()}; nothing was changed:\n"
            f"{_bullets(result.warnings)}\n"
            "Push again with force (--force) to accept the loss.",
            warnings=result.warnings,
            unexecutable=result.unexecutable,
        )
    return result


async def db_push(resolved: ResolvedDatabase, *, force: bool = False) -> PushResult:
    """Make the database match the schema, like ``prisma db push``.

    :param force: accept changes that lose data (Prisma's ``--accept-data-loss``).
    :returns: steps executed (0 when already in sync) and the warnings accepted.
    :raises DataLossError: the change would lose data and ``force`` is false; names every loss.
    :raises SchemaSyncError: MySQL, an unreachable database, or steps that cannot run on this data.
    """
    return await asyncio.to_thread(_push, resolved, force)


def _migrations_target(migrations_dir: Path) -> dict[str, Any]:
    from prisma_infra_prisma.migrate import list_migrations

    lock = migrations_dir / "migration_lock.toml"
    return {
        "tag": "migrations",
        "baseDir": str(migrations_dir),
        "lockfile": {"path": "migration_lock.toml", "content": lock.read_text("utf-8") if lock.is_file() else None},
        "shadowDbInitScript": "",
        "migrationDirectories": [
            {
                "path": m.name,
                "migrationFile": {"path": "migration.sql", "content": {"tag": "ok", "value": m.script}},
            }
            for m in list_migrations(migrations_dir)
        ],
    }


def diff_script(resolved: ResolvedDatabase, *, from_migrations: Path | None = None) -> str:
    """The SQL that turns an empty database (or the state after ``from_migrations``) into the schema.

    PostgreSQL needs the database to be reachable (the engine asks it for its
    version; diffing from migrations also creates and drops a shadow database,
    which needs CREATEDB). SQLite needs nothing (an in-memory database).

    :raises SchemaSyncError: MySQL (no wasm support), or the engine failed.
    """
    if resolved.provider == "mysql":
        raise SchemaSyncError(
            "Generating SQL from the schema is not available for MySQL/MariaDB offline: "
            "the WebAssembly schema engine has no MySQL support. Write the migration.sql by hand, or run "
            "`prisma migrate diff --from-empty --to-schema <schema> --script` where Prisma's native engine "
            "can be downloaded."
        )
    url = ":memory:" if resolved.provider == "sqlite" else resolved.url
    request = _request(resolved, op="diff", url=url, script=True)
    if from_migrations is not None:
        request["from"] = _migrations_target(from_migrations)
    try:
        out = call_script("push.mjs", request)
    except ScriptFailure as exc:
        raise SchemaSyncError(f"Schema diff failed: {exc.message}", detail=exc.detail) from exc
    return str(out.get("script") or "")

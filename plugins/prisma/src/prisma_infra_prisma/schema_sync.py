"""``db push`` and schema diffs through Prisma's schema engine (WebAssembly) and a driver adapter.

PostgreSQL and SQLite go through the engine. Its wasm build has no MySQL
support, so for MySQL/MariaDB the tables are computed from the DMMF with
Prisma's mapping and diffed against ``information_schema``
(`prisma_infra_prisma.mysql_ddl`, `prisma_infra_prisma.mysql_diff`).
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from prisma_infra_sdk import PrismaInfraError

from prisma_infra_prisma.datasource import ResolvedDatabase, ScriptFailure, call_script
from prisma_infra_prisma.migrations import LOCK_FILE, list_migrations

__all__ = ["DataLossError", "PushResult", "SchemaSyncError", "db_push", "diff_script"]


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
        from prisma_infra_prisma.mysql_diff import push

        return push(resolved, force)
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
    :raises SchemaSyncError: an unreachable database, or steps that cannot run on this data.
    """
    return await asyncio.to_thread(_push, resolved, force)


def _migrations_target(migrations_dir: Path) -> dict[str, Any]:
    lock = migrations_dir / LOCK_FILE
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
    which needs CREATEDB). MySQL needs nothing from an empty start; from
    migrations it replays them into a scratch database (needs CREATE).
    SQLite needs nothing (an in-memory database).

    :raises SchemaSyncError: the engine failed, or a migration does not apply to an empty database.
    """
    replay = from_migrations is not None and bool(list_migrations(from_migrations))
    if resolved.provider == "mysql":
        from prisma_infra_prisma.mysql_diff import introspect, migration_script

        if not replay or from_migrations is None:
            return migration_script(resolved, {})
        with _replayed(resolved, from_migrations) as url:
            return migration_script(resolved, introspect(url))
    if replay and from_migrations is not None:
        return _diff_from_migrations(resolved, from_migrations)
    url = ":memory:" if resolved.provider == "sqlite" else resolved.url
    return _diff(_request(resolved, op="diff", url=url, script=True))


def _diff(request: dict[str, Any]) -> str:
    try:
        out = call_script("push.mjs", request)
    except ScriptFailure as exc:
        raise SchemaSyncError(f"Schema diff failed: {exc.message}", detail=exc.detail) from exc
    return str(out.get("script") or "")


@contextlib.contextmanager
def _scratch_database(resolved: ResolvedDatabase) -> Iterator[str]:
    """URL of an empty throwaway database of the same provider, dropped afterwards."""
    if resolved.provider == "sqlite":
        with tempfile.TemporaryDirectory(prefix="prisma-infra-shadow-") as scratch:
            yield f"file:{Path(scratch) / 'shadow.db'}"
        return
    name = f"prisma_infra_shadow_{uuid.uuid4().hex}"
    parts = urlsplit(resolved.url)
    url = urlunsplit(parts._replace(path=f"/{name}"))
    admin = {"op": "execute", "provider": resolved.provider, "url": resolved.url}
    create, drop = f'CREATE DATABASE "{name}"', f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    if resolved.provider == "mysql":  # the server itself, not the project's database (it may not exist yet)
        admin["url"] = urlunsplit(parts._replace(path="/"))
        create = f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        drop = f"DROP DATABASE IF EXISTS `{name}`"
    try:
        call_script("migrate.mjs", {**admin, "script": create})
    except ScriptFailure as exc:
        raise SchemaSyncError(
            f"Cannot create a scratch database to replay the migrations (needs CREATEDB): {exc.message}"
        ) from exc
    try:
        yield url
    finally:
        with contextlib.suppress(ScriptFailure):
            call_script("migrate.mjs", {**admin, "script": drop})


@contextlib.contextmanager
def _replayed(resolved: ResolvedDatabase, migrations_dir: Path) -> Iterator[str]:
    """URL of a scratch database holding the state after ``migrations_dir``'s scripts."""
    with _scratch_database(resolved) as url:
        for migration in list_migrations(migrations_dir):
            request = {"op": "execute", "provider": resolved.provider, "url": url, "script": migration.script}
            try:
                call_script("migrate.mjs", request)
            except ScriptFailure as exc:
                raise SchemaSyncError(
                    f"Migration {migration.name} does not apply to an empty database: {exc.message}"
                ) from exc
        yield url


def _diff_from_migrations(resolved: ResolvedDatabase, migrations_dir: Path) -> str:
    # The engine's own shadow databases are unreliable through the adapters
    # (libsql's ":memory:" shadow runs only the first statement of each script;
    # adapter-pg's shadow pool reuses the main database when given a pool), so
    # replay the scripts into a scratch database with the migrate executor and
    # diff from that database's live schema.
    with _replayed(resolved, migrations_dir) as url:
        source = {
            "tag": "schemaDatasource",
            "files": [{"path": path, "content": text} for path, text in resolved.files],
            "configDir": str(resolved.schema_path.parent),
        }
        return _diff(_request(resolved, op="diff", url=url, script=True, **{"from": source}))

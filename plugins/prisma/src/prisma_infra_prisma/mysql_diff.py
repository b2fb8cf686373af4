"""``db push`` and ``migrate create`` for MySQL/MariaDB: the schema's tables against the live database.

The live schema is read from ``information_schema`` (columns, indexes,
foreign keys; MariaDB's ``JSON`` is ``LONGTEXT`` with a ``json_valid`` check)
and compared with `prisma_infra_prisma.mysql_ddl.schema_tables`. The steps
follow Prisma's order (drop foreign keys and indexes, alter tables, drop and
create tables, create indexes, add foreign keys). As with Prisma, a push that
would lose data (a non-empty table or column dropped, a column narrowed or
cast, enum values removed, a unique index on existing rows) is refused
without ``force``, and one that cannot run on the existing rows (a required
column without default added to a non-empty table, a column made required
over NULLs) is refused always. ``_prisma_migrations`` is never touched.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from prisma_infra_prisma.datasource import ResolvedDatabase, ScriptFailure, call_script, parse_datasource
from prisma_infra_prisma.mysql_ddl import (
    Column,
    ForeignKey,
    Index,
    IndexColumn,
    Table,
    quote,
    render_add_foreign_key,
    render_column,
    render_create_index,
    render_create_table,
    render_step,
    schema_tables,
)
from prisma_infra_prisma.mysql_types import canon_default, enum_values, is_widening, norm_type
from prisma_infra_prisma.schema_sync import DataLossError, PushResult, SchemaSyncError

__all__ = ["Check", "Plan", "desired_tables", "introspect", "plan", "push", "server_url"]

_IGNORED_TABLES = {"_prisma_migrations"}


# --- the two schemas ----------------------------------------------------------------


def desired_tables(resolved: ResolvedDatabase) -> list[Table]:
    """The tables the schema asks for (relationMode from the datasource, default foreign keys)."""
    from prisma_infra_prisma.dmmf import load_datamodel
    from prisma_infra_prisma.preview import mark_views

    sources = [source for _, source in resolved.files]
    # A multi-file schema means the same as its files together (one datasource among them).
    datamodel = mark_views(load_datamodel("\n".join(sources)), sources)
    mode = "foreignKeys"
    for source in sources:
        written = parse_datasource(source).get("relationMode")
        if written:
            mode = written.strip("\"'")
    return schema_tables(datamodel, relation_mode=mode, sources=sources)


_QUERIES = [
    "SELECT VERSION() AS v",
    "SELECT c.TABLE_NAME AS t, c.COLUMN_NAME AS c, c.COLUMN_TYPE AS ty, c.IS_NULLABLE AS n, "
    "c.COLUMN_DEFAULT AS d, c.EXTRA AS x FROM information_schema.COLUMNS c JOIN information_schema.TABLES tb "
    "ON tb.TABLE_SCHEMA = c.TABLE_SCHEMA AND tb.TABLE_NAME = c.TABLE_NAME AND tb.TABLE_TYPE = 'BASE TABLE' "
    "WHERE c.TABLE_SCHEMA = DATABASE() ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION",
    "SELECT TABLE_NAME AS t, INDEX_NAME AS i, NON_UNIQUE AS nu, COLUMN_NAME AS c, SUB_PART AS len, "
    "INDEX_TYPE AS ty, COLLATION AS o FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() "
    "ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX",
    "SELECT k.TABLE_NAME AS t, k.CONSTRAINT_NAME AS i, k.COLUMN_NAME AS c, k.REFERENCED_TABLE_NAME AS rt, "
    "k.REFERENCED_COLUMN_NAME AS rc, r.DELETE_RULE AS del, r.UPDATE_RULE AS upd "
    "FROM information_schema.KEY_COLUMN_USAGE k JOIN information_schema.REFERENTIAL_CONSTRAINTS r "
    "ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME "
    "AND r.TABLE_NAME = k.TABLE_NAME WHERE k.TABLE_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_NAME IS NOT NULL "
    "ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION",
]
#: MariaDB only (MySQL's view has no TABLE_NAME, and MySQL has a real JSON type).
_JSON_CHECKS = (
    "SELECT TABLE_NAME AS t, CHECK_CLAUSE AS cc FROM information_schema.CHECK_CONSTRAINTS "
    "WHERE CONSTRAINT_SCHEMA = DATABASE() AND CHECK_CLAUSE LIKE 'json_valid(%'"
)


def _queries(url: str, statements: Sequence[tuple[str, list[Any]]]) -> list[list[dict[str, Any]]]:
    request = {"op": "queries", "provider": "mysql", "url": url}
    rows: list[list[dict[str, Any]]] = call_script(
        "migrate.mjs", {**request, "queries": [{"sql": s, "params": p} for s, p in statements]}
    )
    return rows


def _live_default(raw: Any, extra: str, mariadb: bool) -> str | None:
    if raw is None or (mariadb and str(raw) == "NULL"):
        return None
    text = str(raw)
    if mariadb or "DEFAULT_GENERATED" in extra.upper():
        return text  # MariaDB quotes literals; MySQL marks expressions
    return "'" + text.replace("'", "''") + "'"


def introspect(url: str) -> dict[str, Table]:
    """The base tables of the database at ``url`` (types as the server writes them)."""
    version, columns, indexes, keys = _queries(url, [(q, []) for q in _QUERIES])
    mariadb = "mariadb" in str(version[0]["v"]).lower()
    json_columns: set[tuple[str, str]] = set()
    if mariadb:
        for row in _queries(url, [(_JSON_CHECKS, [])])[0]:
            found = re.match(r"json_valid\(`(.+)`\)$", str(row["cc"]))
            if found:
                json_columns.add((str(row["t"]), found.group(1)))
    tables: dict[str, Table] = {}
    for row in columns:
        table = tables.setdefault(str(row["t"]), Table(name=str(row["t"])))
        json = (table.name, str(row["c"])) in json_columns and str(row["ty"]).lower() == "longtext"
        table.columns.append(
            Column(
                name=str(row["c"]),
                type="json" if json else str(row["ty"]),
                not_null=row["n"] == "NO",
                default=_live_default(row["d"], str(row["x"] or ""), mariadb),
                auto_increment="auto_increment" in str(row["x"] or "").lower(),
            )
        )
    grouped: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in indexes:
        grouped.setdefault((str(row["t"]), str(row["i"])), []).append(row)
    for (table_name, name), rows in grouped.items():
        if table_name not in tables:
            continue
        cols = tuple(
            IndexColumn(str(r["c"]), int(r["len"]) if r["len"] is not None else None, r["o"] == "D") for r in rows
        )
        if name == "PRIMARY":
            tables[table_name].primary_key = cols
            continue
        kind = "fulltext" if rows[0]["ty"] == "FULLTEXT" else "unique" if int(rows[0]["nu"]) == 0 else "normal"
        tables[table_name].indexes.append(Index(name, kind, cols))  # type: ignore[arg-type]
    fks: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in keys:
        fks.setdefault((str(row["t"]), str(row["i"])), []).append(row)
    for (table_name, name), rows in fks.items():
        tables[table_name].foreign_keys.append(
            ForeignKey(
                name=name,
                columns=tuple(str(r["c"]) for r in rows),
                ref_table=str(rows[0]["rt"]),
                ref_columns=tuple(str(r["rc"]) for r in rows),
                on_delete=str(rows[0]["del"]),
                on_update=str(rows[0]["upd"]),
            )
        )
    return tables


# --- comparing ----------------------------------------------------------------------


def _same_column(want: Column, have: Column) -> bool:
    return (
        norm_type(want.type) == norm_type(have.type)
        and want.not_null == have.not_null
        and want.auto_increment == have.auto_increment
        and canon_default(want.default, want.type) == canon_default(have.default, have.type)
    )


@dataclass(frozen=True)
class Check:
    """A step's possible loss, confirmed (or not) by counting the rows it touches."""

    kind: str
    """drop_table, drop_column, cast, enum_values, unique, primary_key, add_required, make_required."""
    table: str
    column: str | None = None
    detail: str = ""

    @property
    def blocking(self) -> bool:
        """Whether the step cannot run at all on existing rows (force does not help)."""
        return self.kind in ("add_required", "make_required")

    def message(self, count: int | None) -> str:
        table, column, n = f"`{self.table}`", f"`{self.column}`", count
        rows = f" ({n} rows)" if n is not None else ""
        return {
            "drop_table": f"You are about to drop the {table} table" + (f", which is not empty{rows}." if n else "."),
            "primary_key": f"The primary key for the {table} table will be changed. If it partially fails, "
            "the table could be left without primary key constraint.",
            "drop_column": f"You are about to drop the column {column} on the {table} table"
            + (f", which still contains {n} non-null values." if n else ". All the data in the column will be lost."),
            "cast": f"You are about to alter the column {column} on the {table} table"
            + (f", which contains {n} non-null values." if n else ".")
            + f" The data in that column will be cast from {self.detail}.",
            "enum_values": f"The values {self.detail} on the column {column} of the {table} table will be removed. "
            "If these variants are still used in the database, this will fail.",
            "unique": f"A unique constraint covering the columns {self.detail} on the table {table} will be added. "
            "If there are existing duplicate values, this will fail.",
            "add_required": f"Added the required column {column} to the {table} table without a default value."
            + (
                f" There are {n} rows in this table, it is not possible to execute this step."
                if n
                else " This is not possible if the table is not empty."
            ),
            "make_required": f"Made the column {column} on table {table} required"
            + (
                f", but there are {n} existing NULL values." if n else ". This fails if there are existing NULL values."
            ),
        }[self.kind]

    def count_sql(self) -> str:
        table = quote(self.table)
        if self.kind in ("drop_table", "unique", "primary_key", "add_required"):
            return f"SELECT COUNT(*) AS n FROM {table}"
        condition = "IS NULL" if self.kind == "make_required" else "IS NOT NULL"
        return f"SELECT COUNT(*) AS n FROM {table} WHERE {quote(self.column or '')} {condition}"


@dataclass
class Plan:
    steps: list[tuple[str, list[str]]] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)

    def add(self, kind: str, statements: Iterable[str]) -> None:
        """One step per statement (Prisma's layout), but an ALTER TABLE holds all of a table's column changes."""
        self.steps.extend((kind, [statement]) for statement in statements)

    def script(self) -> str:
        return "\n".join(render_step(kind, statements) for kind, statements in self.steps)


def _alter_table(want: Table, have: Table, plan: Plan) -> list[str]:
    clauses: list[str] = []
    wanted = {c.name for c in want.columns}
    for column in have.columns:
        if column.name not in wanted:
            clauses.append(f"DROP COLUMN {quote(column.name)}")
            plan.checks.append(Check("drop_column", want.name, column.name))
    if have.primary_key and have.primary_key != want.primary_key:
        clauses.append("DROP PRIMARY KEY")
        plan.checks.append(Check("primary_key", want.name))
    for column in want.columns:
        old = have.column(column.name)
        if old is None:
            clauses.append(f"ADD COLUMN {render_column(column)}")
            if column.not_null and column.default is None and not column.auto_increment:
                plan.checks.append(Check("add_required", want.name, column.name))
            continue
        if _same_column(column, old):
            continue
        clauses.append(f"MODIFY {render_column(column)}")
        old_type, new_type = norm_type(old.type), norm_type(column.type)
        old_values, new_values = enum_values(old.type), enum_values(column.type)
        if old_values is not None and new_values is not None and not set(old_values) <= set(new_values):
            removed = "[" + ", ".join(v for v in old_values if v not in new_values) + "]"
            plan.checks.append(Check("enum_values", want.name, column.name, removed))
        elif not is_widening(old_type, new_type):
            plan.checks.append(Check("cast", want.name, column.name, f"`{old.type}` to `{column.type}`"))
        if column.not_null and not old.not_null:
            plan.checks.append(Check("make_required", want.name, column.name))
    if want.primary_key and have.primary_key != want.primary_key:
        columns = ", ".join(quote(c.name) + (f"({c.length})" if c.length else "") for c in want.primary_key)
        clauses.append(f"ADD PRIMARY KEY ({columns})")
    return [f"ALTER TABLE {quote(want.name)} " + ",\n    ".join(clauses)] if clauses else []


def _dropped_indexes(want: Table, have: Table) -> list[Index]:
    # MySQL's own index for a foreign key, named after it, stays while the key stays.
    implicit = {k.name for k in want.foreign_keys} - {i.name for i in want.indexes}
    return [i for i in have.indexes if i not in set(want.indexes) and i.name not in implicit]


def _rebuilt_keys(desired: Sequence[Table], live: dict[str, Table]) -> set[tuple[str, ForeignKey]]:
    """Kept foreign keys MySQL would not let the steps run under: dropped first, added again last.

    A column of the key (either side) is modified, or an index dropped is the one serving the key.
    """
    modified = {
        (t.name, c.name)
        for t in desired
        if t.name in live
        for c in t.columns
        if (old := live[t.name].column(c.name)) is not None and not _same_column(c, old)
    }
    rebuilt = set()
    for table in (t for t in desired if t.name in live):
        have = live[table.name]
        dropped = _dropped_indexes(table, have)
        remaining = [i for i in have.indexes if i not in dropped] + list(table.indexes)
        for key in set(table.foreign_keys) & set(have.foreign_keys):
            width = len(key.columns)

            def serves(index: Index, key: ForeignKey = key, width: int = width) -> bool:
                return tuple(c.name for c in index.columns[:width]) == key.columns

            touched = any((table.name, c) in modified for c in key.columns) or any(
                (key.ref_table, c) in modified for c in key.ref_columns
            )
            unserved = any(serves(i) for i in dropped) and not any(serves(i) for i in remaining)
            if touched or unserved:
                rebuilt.add((table.name, key))
    return rebuilt


def plan(desired: Sequence[Table], live: dict[str, Table]) -> Plan:
    """The steps that turn ``live`` into ``desired``, with the checks they need."""
    steps = Plan()
    wanted = {t.name: t for t in desired}
    existing = [t for t in desired if t.name in live]
    dropped = [t for name, t in sorted(live.items()) if name not in wanted and name not in _IGNORED_TABLES]
    rebuilt = _rebuilt_keys(desired, live)

    def kept(table: str, key: ForeignKey) -> bool:
        return table in wanted and key in wanted[table].foreign_keys and (table, key) not in rebuilt

    stale_keys = [(t.name, k) for t in live.values() if t.name not in _IGNORED_TABLES for k in t.foreign_keys]
    stale_keys = [(name, k) for name, k in stale_keys if not kept(name, k)]
    steps.add("DropForeignKey", (f"ALTER TABLE {quote(n)} DROP FOREIGN KEY {quote(k.name)}" for n, k in stale_keys))
    for table in existing:
        drop = _dropped_indexes(table, live[table.name])
        steps.add("DropIndex", (f"DROP INDEX {quote(i.name)} ON {quote(table.name)}" for i in drop))
    for table in existing:
        steps.add("AlterTable", _alter_table(table, live[table.name], steps))
    for table in dropped:
        steps.add("DropTable", [f"DROP TABLE {quote(table.name)}"])
        steps.checks.append(Check("drop_table", table.name))
    for table in desired:
        if table.name not in live:
            steps.add("CreateTable", [render_create_table(table)])
    for table in existing:
        for index in (i for i in table.indexes if i not in set(live[table.name].indexes)):
            steps.add("CreateIndex", [render_create_index(table.name, index)])
            if index.kind == "unique":
                columns = "[" + ",".join(c.name for c in index.columns) + "]"
                steps.checks.append(Check("unique", table.name, None, columns))
    for table in desired:
        have = set(live[table.name].foreign_keys) if table.name in live else set()
        added = [k for k in table.foreign_keys if k not in have or (table.name, k) in rebuilt]
        steps.add("AddForeignKey", (render_add_foreign_key(table.name, k) for k in added))
    return steps


# --- push ---------------------------------------------------------------------------


def server_url(url: str, database: str = "") -> str:
    """``url`` pointing at ``database`` on the same server ("" for none)."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{database}"))


def _introspect_or_create(resolved: ResolvedDatabase) -> dict[str, Table]:
    try:
        return introspect(resolved.url)
    except ScriptFailure as exc:
        name = unquote(urlsplit(resolved.url).path.lstrip("/"))
        if "unknown database" not in exc.message.lower() or not name:
            raise SchemaSyncError(f"db push to {resolved.redacted_url()} failed: {exc.message}") from exc
    # Like Prisma's db push: a missing database is created.
    create = f"CREATE DATABASE IF NOT EXISTS {quote(name)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
    _execute(server_url(resolved.url), create, resolved)
    return introspect(resolved.url)


def _execute(url: str, script: str, resolved: ResolvedDatabase) -> None:
    try:
        call_script("migrate.mjs", {"op": "execute", "provider": "mysql", "url": url, "script": script})
    except ScriptFailure as exc:
        raise SchemaSyncError(f"db push to {resolved.redacted_url()} failed: {exc.message}") from exc


def _bullets(items: Sequence[str]) -> str:
    return "\n".join(f"  - {item}" for item in items)


def push(resolved: ResolvedDatabase, force: bool) -> PushResult:
    """`prisma_infra_prisma.schema_sync.db_push` for MySQL/MariaDB."""
    steps = plan(desired_tables(resolved), _introspect_or_create(resolved))
    counts = _queries(resolved.url, [(c.count_sql(), []) for c in steps.checks]) if steps.checks else []
    warnings: list[str] = []
    unexecutable: list[str] = []
    for check, rows in zip(steps.checks, counts, strict=True):
        count = int(rows[0]["n"])
        if count:
            (unexecutable if check.blocking else warnings).append(check.message(count))
    where = resolved.redacted_url()
    if unexecutable:
        raise SchemaSyncError(
            f"db push cannot apply the schema to {where}; nothing was changed:\n{_bullets(unexecutable)}\n"
            "Fix the data (or reset the database) and push again.",
            warnings=warnings,
            unexecutable=unexecutable,
        )
    if warnings and not force:
        raise DataLossError(
            f"db push would lose data in {where}; nothing was changed:\n{_bullets(warnings)}\n"
            "Push again with force (--force) to accept the loss.",
            warnings=warnings,
        )
    if steps.steps:
        _execute(resolved.url, steps.script(), resolved)
    return PushResult(executed_steps=len(steps.steps), warnings=warnings)


def migration_script(resolved: ResolvedDatabase, live: dict[str, Table]) -> str:
    """The migration from ``live`` (an empty dict: from nothing) to the schema, Prisma's warnings on top."""
    steps = plan(desired_tables(resolved), live)
    if not steps.steps:
        return ""
    warnings = [c.message(None) for c in steps.checks]
    header = "/*\n  Warnings:\n\n" + "".join(f"  - {w}\n" for w in warnings) + "\n*/\n" if warnings else ""
    return header + steps.script()

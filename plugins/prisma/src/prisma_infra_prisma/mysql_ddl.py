"""MySQL/MariaDB tables from the Prisma datamodel, rendered as Prisma's schema engine renders them.

The WebAssembly schema engine cannot drive MySQL, so the tables a MySQL
schema implies are computed here from the DMMF with Prisma's own mapping
(``VARCHAR(191)`` strings, ``DATETIME(3)``, ``DECIMAL(65, 30)``, enums as
``ENUM(...)``, constraint names ``{table}_{columns}_key|_idx|_fkey`` cut to
64 bytes, implicit many-to-many tables ``_AToB``) and rendered in the layout
``prisma migrate diff`` writes (``-- CreateTable`` steps, foreign keys last).
`prisma_infra_prisma.mysql_diff` compares these tables with a live database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from prisma_infra_sdk import ConfigurationError

from prisma_infra_prisma.mysql_source import SourceModel, read_models

__all__ = [
    "Column",
    "ForeignKey",
    "Index",
    "IndexColumn",
    "Table",
    "quote",
    "render_add_foreign_key",
    "render_column",
    "render_create_index",
    "render_create_table",
    "render_script",
    "render_step",
    "schema_tables",
]

IndexKind = Literal["unique", "normal", "fulltext"]

#: MySQL's identifier limit, which Prisma's generated names respect.
_MAX_IDENTIFIER = 64
_CHARSET = " DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
#: Prisma's column type for a scalar without a native type attribute.
_DEFAULT_TYPES = {
    "String": "VARCHAR(191)",
    "Boolean": "BOOLEAN",
    "Int": "INTEGER",
    "BigInt": "BIGINT",
    "Float": "DOUBLE",
    "Decimal": "DECIMAL(65, 30)",
    "DateTime": "DATETIME(3)",
    "Json": "JSON",
    "Bytes": "LONGBLOB",
}
_PLAIN_NATIVE = {
    "Int": "INTEGER",
    "UnsignedInt": "INTEGER UNSIGNED",
    "SmallInt": "SMALLINT",
    "UnsignedSmallInt": "SMALLINT UNSIGNED",
    "TinyInt": "TINYINT",
    "UnsignedTinyInt": "TINYINT UNSIGNED",
    "MediumInt": "MEDIUMINT",
    "UnsignedMediumInt": "MEDIUMINT UNSIGNED",
    "BigInt": "BIGINT",
    "UnsignedBigInt": "BIGINT UNSIGNED",
    "Float": "FLOAT",
    "Double": "DOUBLE",
    "TinyBlob": "TINYBLOB",
    "Blob": "BLOB",
    "MediumBlob": "MEDIUMBLOB",
    "LongBlob": "LONGBLOB",
    "TinyText": "TINYTEXT",
    "Text": "TEXT",
    "MediumText": "MEDIUMTEXT",
    "LongText": "LONGTEXT",
    "Date": "DATE",
    "Year": "YEAR",
    "Json": "JSON",
}
_SIZED_NATIVE = {"Bit", "Char", "VarChar", "Binary", "VarBinary", "Time", "DateTime", "Timestamp", "Decimal"}
_ACTIONS = {
    "Cascade": "CASCADE",
    "Restrict": "RESTRICT",
    "NoAction": "NO ACTION",
    "SetNull": "SET NULL",
    "SetDefault": "SET DEFAULT",
}


@dataclass(frozen=True)
class IndexColumn:
    name: str
    length: int | None = None
    descending: bool = False


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    """The SQL type as Prisma renders it (``VARCHAR(191)``, ``ENUM('A', 'B')``)."""
    not_null: bool
    default: str | None = None
    """The SQL default expression (``'x'``, ``0``, ``CURRENT_TIMESTAMP(3)``), or None."""
    auto_increment: bool = False
    field: str | None = None
    """The Prisma field (for messages)."""


@dataclass(frozen=True)
class Index:
    name: str
    kind: IndexKind
    columns: tuple[IndexColumn, ...]


@dataclass(frozen=True)
class ForeignKey:
    name: str
    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]
    on_delete: str = "RESTRICT"
    on_update: str = "CASCADE"


@dataclass
class Table:
    name: str
    columns: list[Column] = field(default_factory=list)
    primary_key: tuple[IndexColumn, ...] = ()
    indexes: list[Index] = field(default_factory=list)
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    model: str | None = None
    """The Prisma model (None for an implicit many-to-many table)."""

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


def quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def _cut(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes on a character boundary (Prisma's rule)."""
    raw = text.encode("utf-8")
    if len(raw) < limit:
        return text
    return raw[:limit].decode("utf-8", errors="ignore")


def constraint_name(table: str, columns: Sequence[str], suffix: str) -> str:
    """Prisma's default name: ``{table}_{col1_col2}{suffix}``, cut so the whole fits 64 bytes."""
    return _cut(f"{table}_{'_'.join(columns)}", _MAX_IDENTIFIER - len(suffix)) + suffix


# --- the datamodel as tables --------------------------------------------------------


class _Datamodel:
    def __init__(self, datamodel: dict[str, Any], source: dict[str, SourceModel]) -> None:
        self.source = source
        self.models: dict[str, dict[str, Any]] = {m["name"]: m for m in datamodel["models"]}
        self.enums: dict[str, dict[str, Any]] = {e["name"]: e for e in datamodel.get("enums", [])}
        self.indexes: list[dict[str, Any]] = list(datamodel.get("indexes", []))

    def table(self, model: str) -> str:
        return str(self.models[model].get("dbName") or model)

    def is_view(self, model: str) -> bool:
        return bool(self.models[model].get("isView"))

    def field(self, model: str, name: str) -> dict[str, Any]:
        return next(f for f in self.models[model]["fields"] if f["name"] == name)

    def column(self, model: str, name: str) -> str:
        unsupported = self.source.get(model, SourceModel()).unsupported.get(name)
        if unsupported is not None:  # in an index, but not among the DMMF's fields
            return unsupported.column
        return str(self.field(model, name).get("dbName") or name)

    def enum_value(self, enum: str, value: str) -> str:
        for item in self.enums[enum]["values"]:
            if item["name"] == value:
                return str(item.get("dbName") or value)
        return value

    def id_fields(self, model: str) -> list[str]:
        fields = [f["name"] for f in self.models[model]["fields"] if f.get("isId")]
        primary = self.models[model].get("primaryKey")
        return fields or (list(primary["fields"]) if primary else [])


def _native_type(scalar: str, native: list[Any]) -> str | None:
    name, args = str(native[0]), [str(a) for a in native[1]]
    if name == "TinyInt" and scalar == "Boolean":
        return "BOOLEAN"
    if name in _PLAIN_NATIVE:
        return _PLAIN_NATIVE[name]
    if name in _SIZED_NATIVE:
        return name.upper() + (f"({', '.join(args)})" if args else "")
    return None


def _column_type(dm: _Datamodel, model: str, fld: dict[str, Any]) -> str:
    if fld["kind"] == "enum":
        enum = dm.enums[fld["type"]]
        return "ENUM(" + ", ".join(_string(str(v.get("dbName") or v["name"])) for v in enum["values"]) + ")"
    native = _native_type(fld["type"], fld["nativeType"]) if fld.get("nativeType") else None
    if native is None and (fld.get("nativeType") or fld["type"] not in _DEFAULT_TYPES):
        written = f"@db.{fld['nativeType'][0]}" if fld.get("nativeType") else fld["type"]
        raise ConfigurationError(f"{model}.{fld['name']}: the type {written} has no MySQL column type here.")
    return native or _DEFAULT_TYPES[fld["type"]]


def _precision(sql_type: str) -> int:
    match = re.fullmatch(r"(?:DATETIME|TIMESTAMP|TIME)\((\d+)\)", sql_type)
    return int(match.group(1)) if match else 3


def _default(dm: _Datamodel, fld: dict[str, Any], sql_type: str) -> tuple[str | None, bool]:
    """(SQL default, auto_increment) for a field, as Prisma renders them."""
    if "default" not in fld:
        return None, False
    value = fld["default"]
    if isinstance(value, dict):
        function, args = value.get("name"), value.get("args") or []
        if function == "autoincrement":
            return None, True
        if function == "now":
            return f"CURRENT_TIMESTAMP({_precision(sql_type)})", False
        if function == "dbgenerated":
            return (str(args[0]) if args and args[0] else None), False
        return None, False  # uuid(), cuid(), nanoid(), ulid(): the client makes the value
    if fld["type"] in ("Json", "Bytes"):
        return None, False  # MySQL takes no literal default on JSON and BLOB columns (Prisma skips them)
    if isinstance(value, bool):
        return ("true" if value else "false"), False
    if isinstance(value, int | float):
        return str(value), False
    if fld["kind"] == "enum":
        return _string(dm.enum_value(fld["type"], str(value))), False
    if fld["type"] in ("Int", "BigInt", "Float", "Decimal"):
        return str(value), False
    if fld["type"] == "DateTime":
        return _string(_datetime_literal(str(value), sql_type)), False
    return _string(str(value)), False


def _datetime_literal(value: str, sql_type: str) -> str:
    """A DateTime default in UTC without offset: MariaDB rejects Prisma's RFC 3339 text (``T``, ``+00:00``)."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    if sql_type == "DATE":
        return moment.strftime("%Y-%m-%d")
    text = moment.strftime("%Y-%m-%d %H:%M:%S" if sql_type.startswith(("DATETIME", "TIMESTAMP")) else "%H:%M:%S")
    digits = _precision(sql_type) if "(" in sql_type else 0
    return text + (f".{moment.microsecond:06d}"[: digits + 1] if digits else "")


def _model_columns(dm: _Datamodel, model: str, source: SourceModel) -> list[Column]:
    columns: dict[str, Column] = {}
    for fld in dm.models[model]["fields"]:
        if fld["kind"] == "object" or fld.get("isList"):
            continue
        sql_type = _column_type(dm, model, fld)
        default, auto_increment = _default(dm, fld, sql_type)
        columns[fld["name"]] = Column(
            name=str(fld.get("dbName") or fld["name"]),
            type=sql_type,
            not_null=bool(fld["isRequired"]),
            default=default,
            auto_increment=auto_increment,
            field=fld["name"],
        )
    for item in source.unsupported.values():  # Prisma renders the type as written
        columns[item.field] = Column(item.column, item.type, not item.nullable, item.default, field=item.field)
    order = {name: index for index, name in enumerate(source.fields)}
    return sorted(columns.values(), key=lambda c: order.get(c.field or "", len(order)))


def _model_indexes(dm: _Datamodel, model: str) -> tuple[tuple[IndexColumn, ...], list[Index]]:
    table = dm.table(model)
    primary: tuple[IndexColumn, ...] = ()
    indexes: list[Index] = []
    for entry in (i for i in dm.indexes if i["model"] == model):
        columns = tuple(
            IndexColumn(
                dm.column(model, f["name"]),
                length=f.get("length"),
                descending=str(f.get("sortOrder", "")).lower() == "desc",
            )
            for f in entry["fields"]
        )
        if entry["type"] == "id":
            primary = columns
            continue
        kind: IndexKind = entry["type"] if entry["type"] in ("unique", "fulltext") else "normal"
        suffix = "_key" if kind == "unique" else "_idx"
        name = entry.get("dbName") or constraint_name(table, [c.name for c in columns], suffix)
        indexes.append(Index(name=str(name), kind=kind, columns=columns))
    return primary, indexes


def _foreign_keys(dm: _Datamodel, model: str, maps: dict[str, str]) -> list[ForeignKey]:
    table = dm.table(model)
    keys = []
    for fld in dm.models[model]["fields"]:
        if fld["kind"] != "object" or not fld.get("relationFromFields") or dm.is_view(fld["type"]):
            continue
        columns = [dm.column(model, name) for name in fld["relationFromFields"]]
        target = fld["type"]
        # Prisma's default follows the relation field's arity.
        on_delete = fld.get("relationOnDelete") or ("Restrict" if fld["isRequired"] else "SetNull")
        on_update = fld.get("relationOnUpdate") or "Cascade"
        keys.append(
            ForeignKey(
                name=maps.get(fld["name"]) or constraint_name(table, columns, "_fkey"),
                columns=tuple(columns),
                ref_table=dm.table(target),
                ref_columns=tuple(dm.column(target, name) for name in fld["relationToFields"]),
                on_delete=_ACTIONS[on_delete],
                on_update=_ACTIONS[on_update],
            )
        )
    return keys


def _implicit_many_to_many(dm: _Datamodel) -> list[Table]:
    """Prisma's ``_{relation}`` tables: ``A`` references the model whose name sorts first.

    In Prisma's order: by the schema position of model A's field (model, then field).
    """
    relations: list[tuple[str, str, str]] = []
    for owner in dm.models.values():
        for fld in owner["fields"]:
            if (
                fld["kind"] != "object"
                or not fld.get("isList")
                or fld.get("relationFromFields")
                or dm.is_view(fld["type"])
            ):
                continue
            back = [
                f
                for f in dm.models[fld["type"]]["fields"]
                if f.get("relationName") == fld["relationName"] and f is not fld
            ]
            if back and back[0].get("isList") and (owner["name"], fld["name"]) <= (fld["type"], back[0]["name"]):
                relations.append((fld["relationName"], owner["name"], fld["type"]))
    tables = []
    for relation, first, second in relations:
        # Prisma's own cuts for these names (not configurable, so chosen never to collide).
        name = f"_{relation}"[:_MAX_IDENTIFIER]
        stem = name[: _MAX_IDENTIFIER - len("_fkey") - 2]
        columns = []
        for letter, model in (("A", first), ("B", second)):
            (id_field,) = dm.id_fields(model)
            columns.append((letter, model, id_field, _column_type(dm, model, dm.field(model, id_field))))
        tables.append(
            Table(
                name=name,
                columns=[Column(letter, sql_type, True) for letter, _, _, sql_type in columns],
                indexes=[
                    Index(f"{name[: _MAX_IDENTIFIER - 10]}_AB_unique", "unique", (IndexColumn("A"), IndexColumn("B"))),
                    Index(f"{name[: _MAX_IDENTIFIER - 8]}_B_index", "normal", (IndexColumn("B"),)),
                ],
                foreign_keys=[
                    ForeignKey(
                        name=f"{stem}_{letter}_fkey",
                        columns=(letter,),
                        ref_table=dm.table(model),
                        ref_columns=(dm.column(model, id_field),),
                        on_delete="CASCADE",
                    )
                    for letter, model, id_field, _ in columns
                ],
            )
        )
    return tables


def schema_tables(
    datamodel: dict[str, Any], *, relation_mode: str = "foreignKeys", sources: Iterable[str] = ()
) -> list[Table]:
    """The tables of a MySQL schema: one per model (schema order), then the implicit many-to-many tables.

    :param relation_mode: the datasource's ``relationMode``; ``"prisma"`` makes no foreign keys.
    :param sources: the schema texts, read for what the DMMF leaves out (`prisma_infra_prisma.mysql_source`).
    """
    source = read_models(sources)
    dm = _Datamodel(datamodel, source)
    tables = []
    for model in (m for m in dm.models if not dm.is_view(m)):  # views are not tables (Prisma skips them)
        primary, indexes = _model_indexes(dm, model)
        tables.append(
            Table(
                name=dm.table(model),
                columns=_model_columns(dm, model, source.get(model, SourceModel())),
                primary_key=primary,
                indexes=indexes,
                foreign_keys=_foreign_keys(dm, model, source.get(model, SourceModel()).relation_maps),
                model=model,
            )
        )
    tables.extend(_implicit_many_to_many(dm))
    if relation_mode == "prisma":
        for table in tables:
            table.foreign_keys = []
    return tables


# --- rendering ------------------------------------------------------------------------


def render_column(column: Column) -> str:
    parts = [quote(column.name), column.type, "NOT NULL" if column.not_null else "NULL"]
    if column.default is not None:
        parts.append(f"DEFAULT {column.default}")
    if column.auto_increment:
        parts.append("AUTO_INCREMENT")
    return " ".join(parts)


def _index_columns(columns: Sequence[IndexColumn]) -> str:
    rendered = []
    for column in columns:
        text = quote(column.name)
        if column.length is not None:
            text += f"({column.length})"
        if column.descending:
            text += " DESC"
        rendered.append(text)
    return ", ".join(rendered)


_KEYWORDS = {"unique": "UNIQUE INDEX", "normal": "INDEX", "fulltext": "FULLTEXT INDEX"}


def render_create_table(table: Table) -> str:
    lines = [render_column(c) for c in table.columns]
    keys = [f"{_KEYWORDS[i.kind]} {quote(i.name)}({_index_columns(i.columns)})" for i in table.indexes]
    if table.primary_key:
        keys.append(f"PRIMARY KEY ({_index_columns(table.primary_key)})")
    body = ",\n".join(f"    {line}" for line in lines)
    if keys:
        body += ",\n\n" + ",\n".join(f"    {key}" for key in keys)
    return f"CREATE TABLE {quote(table.name)} (\n{body}\n){_CHARSET}"


def render_create_index(table: str, index: Index) -> str:
    keyword = {"unique": "CREATE UNIQUE INDEX", "normal": "CREATE INDEX", "fulltext": "CREATE FULLTEXT INDEX"}
    return f"{keyword[index.kind]} {quote(index.name)} ON {quote(table)}({_index_columns(index.columns)})"


def render_add_foreign_key(table: str, key: ForeignKey) -> str:
    return (
        f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(key.name)} FOREIGN KEY "
        f"({', '.join(quote(c) for c in key.columns)}) REFERENCES {quote(key.ref_table)}"
        f"({', '.join(quote(c) for c in key.ref_columns)}) ON DELETE {key.on_delete} ON UPDATE {key.on_update}"
    )


def render_step(kind: str, statements: Sequence[str]) -> str:
    """One step of a migration script, as Prisma writes it: ``-- Kind`` and the statements."""
    return f"-- {kind}\n" + "".join(f"{statement};\n" for statement in statements)


def render_script(tables: Sequence[Table]) -> str:
    """The migration that creates ``tables`` in an empty database (``prisma migrate diff --from-empty``)."""
    steps = [render_step("CreateTable", [render_create_table(t)]) for t in tables]
    steps += [render_step("AddForeignKey", [render_add_foreign_key(t.name, k)]) for t in tables for k in t.foreign_keys]
    return "\n".join(steps)

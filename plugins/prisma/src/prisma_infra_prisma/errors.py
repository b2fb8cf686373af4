"""Prisma's errors, as the bridge reports them, mapped to prisma-infra's exceptions.

Prisma and the databases echo values in their messages (``invalid input syntax
for type integer: "alice@example.com"``, ``Duplicate entry '...' for key``,
``Key (email)=(...)``, the arguments tree of a validation error). `scrub` masks
them before any text reaches an exception (message, ``detail``, ``meta``), and so
the caller, the logs and the monitor: quoted values (names of constraints,
columns, tables and relations stay), values after ``=`` in key lists, numbers of
the arguments tree, and whatever the PII detectors find.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from prisma_infra_sdk import (
    EngineError,
    EngineUnavailableError,
    ForeignKeyConstraintError,
    OperationTimeoutError,
    PrismaInfraError,
    RecordNotFoundError,
    TransactionError,
    UniqueConstraintError,
    ValidationError,
    mask_sql,
    mask_text,
)

__all__ = ["BridgeLogMasking", "fields_for_index", "scrub", "to_exception"]

#: Prisma codes meaning the database cannot be reached or the connection broke.
_UNAVAILABLE = frozenset({"P1001", "P1002", "P1008", "P1017"})
#: Codes for a value the database refused: the caller's input, not an engine failure (a 422, not a 500).
#: The engine's text may quote the value, so the message is ours.
_REFUSED_VALUES = {
    "P2000": "a value is too long for its column",
    "P2005": "a stored value is invalid for its field's type",
    "P2006": "a value is not valid for its field",
    "P2007": "the data failed the database's validation",
    "P2011": "a required column would be null",
    "P2012": "a required value is missing",
    "P2019": "the database refused the input",
    "P2020": "a value is out of range for its column's type",
    "P2023": "a column's data is inconsistent with its type",
    "P2033": "a number does not fit in a 64-bit integer",
}
_ARGUMENT = re.compile(r"(?:Argument|Unknown argument|Unknown field|field) `([^`]+)`")


#: A quoted name right after one of these words (or before one of `_NAME_AFTER`) is an identifier, kept.
_NAME_BEFORE = frozenset(
    {"relation", "key", "constraint", "table", "column", "index", "field", "model", "type", "database", "schema",
     "enum", "argument", "function", "sequence", "view", "trigger", "role", "user"}
)  # fmt: skip
_NAME_AFTER = frozenset({"record", "records", "model", "relation", "table", "column", "field", "constraint"})
_QUOTED = re.compile(r"(?P<q>[\"'])(?P<body>(?:(?!(?P=q)).)*)(?P=q)")
_KEY_VALUES = re.compile(r"\)=\((?P<values>[^)]*)\)")
_TREE_LINE = re.compile(r"^(?P<key>\s+[\w$]+\??:\s*)(?P<rest>.*)$", re.MULTILINE)
_NUMBER = re.compile(r"(?<![\w.])-?\d[\d_]*(?:\.\d+)?(?:[eE][+-]?\d+)?n?(?![\w.])")
_MASK = "***"
#: A ``log_queries`` line of the bridge: ``query: <sql> (<n> params, <ms> ms)``.
_QUERY_LINE = re.compile(r"query: (?P<sql>.*)(?P<tail> \(\S+ params, \S+ ms\))", re.DOTALL)


def _quoted(match: re.Match[str]) -> str:
    text = match.string
    before = re.findall(r"[\w]+", text[max(0, match.start() - 24) : match.start()])
    after = re.findall(r"[\w]+", text[match.end() : match.end() + 24])
    if (before and before[-1].lower() in _NAME_BEFORE) or (after and after[0].lower() in _NAME_AFTER):
        return match.group(0)
    return f"{match.group('q')}{_MASK}{match.group('q')}"


def _tree_line(match: re.Match[str]) -> str:
    rest = match.group("rest")
    if rest.startswith(("{", "}")) or match.group("key").lstrip().startswith(("?", "+")):
        return match.group(0)
    return match.group("key") + _NUMBER.sub(_MASK, rest)


def scrub(text: str) -> str:
    """``text`` from Prisma or a database with the values it echoes masked (see the module doc)."""
    if not text:
        return text
    text = _QUOTED.sub(_quoted, text)
    text = _KEY_VALUES.sub(f")=({_MASK})", text)
    text = _TREE_LINE.sub(_tree_line, text)
    return mask_text(text)


class BridgeLogMasking(logging.Filter):
    """Masks what the bridge logs (Prisma's warnings and errors, the ``log_queries`` lines) with `scrub`;
    a query line also loses the literals of its SQL. Installed on ``prisma_infra.engine.bridge``."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        query = _QUERY_LINE.fullmatch(text)
        if query is not None:  # SQL: its literals go, its quoted names stay
            text = mask_text(f"query: {mask_sql(query.group('sql'))}{query.group('tail')}")
        else:
            text = scrub(text)
        record.msg, record.args = text, None
        return True


def _install_log_masking() -> None:
    logger = logging.getLogger("prisma_infra.engine.bridge")
    if not any(isinstance(f, BridgeLogMasking) for f in logger.filters):
        logger.addFilter(BridgeLogMasking())


def _scrub_meta(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, Mapping):
        return {k: _scrub_meta(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub_meta(v) for v in value]
    return value


def _cause(meta: Mapping[str, Any] | None) -> Mapping[str, Any]:
    if not meta:
        return {}
    adapter = meta.get("driverAdapterError")
    if isinstance(adapter, Mapping):
        cause = adapter.get("cause")
        if isinstance(cause, Mapping):
            return cause
    return {}


def _constraint(meta: Mapping[str, Any] | None) -> tuple[list[str], str | None]:
    """Fields and constraint name from P2002/P2003 ``meta`` (Prisma 7 and older shapes)."""
    fields: list[str] = []
    name: str | None = None
    found = _cause(meta).get("constraint")
    if isinstance(found, Mapping):
        if isinstance(found.get("fields"), list):
            fields = [str(f) for f in found["fields"]]
        if isinstance(found.get("index"), str):
            name = found["index"]
    if meta and not fields:
        target = meta.get("target")
        if isinstance(target, list):
            fields = [str(f) for f in target]
        elif isinstance(target, str):
            name = name or target
        if isinstance(meta.get("field_name"), str):
            name = name or meta["field_name"]
    # SQLite reports fields as "Table.column".
    fields = [f.rsplit(".", 1)[-1].strip('"`') for f in fields]
    return fields, name


def fields_for_index(index: str, datamodel: Mapping[str, Any]) -> tuple[str | None, list[str]]:
    """The model and field names behind a unique index name, from Prisma's naming convention.

    Prisma names a unique index ``<Table>_<column>[_<column>...]_key``; an explicit
    ``map:`` name cannot be resolved from the datamodel and yields no fields.
    """
    for model in datamodel.get("models", ()):
        table = model.get("dbName") or model["name"]
        columns = {f["name"]: f.get("dbName") or f["name"] for f in model.get("fields", ())}
        candidates: list[list[str]] = [[f["name"]] for f in model.get("fields", ()) if f.get("isUnique")]
        candidates += [list(u["fields"]) for u in model.get("uniqueIndexes", ()) if u.get("fields")]
        candidates += [list(u) for u in model.get("uniqueFields", ()) if u]
        primary = model.get("primaryKey")
        if primary and primary.get("fields"):
            candidates.append(list(primary["fields"]))
        for fields in candidates:
            default = f"{table}_{'_'.join(columns.get(f, f) for f in fields)}_key"
            if index in (default, f"{table}_pkey", "PRIMARY"):
                return model["name"], fields
    return None, []


def _short(message: str) -> str:
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "invalid arguments"


def to_exception(error: Mapping[str, Any], model: str | None, action: str) -> PrismaInfraError:
    """The kernel exception for an error payload ``{code, name, message, meta}`` from the bridge."""
    code = error.get("code")
    message = scrub(str(error.get("message") or "engine error").strip())
    meta = _scrub_meta(error.get("meta")) if isinstance(error.get("meta"), Mapping) else None
    model = (meta or {}).get("modelName") or model
    where = f"{model}.{action}" if model else action
    if code == "P2002":
        fields, name = _constraint(meta)
        shown = ", ".join(fields) or name or "unknown"
        return UniqueConstraintError(
            f"Unique constraint failed on {model or 'record'} ({shown}) in {where}",
            model=model,
            fields=fields,
            constraint=name,
            detail=message,
        )
    if code == "P2003":
        fields, name = _constraint(meta)
        shown = ", ".join(fields) or name or "unknown"
        return ForeignKeyConstraintError(
            f"Foreign key constraint failed on {model or 'record'} ({shown}) in {where}",
            model=model,
            fields=fields,
            constraint=name,
            detail=message,
        )
    if code in _REFUSED_VALUES:
        column = (meta or {}).get("column_name") or (meta or {}).get("column")
        place = f" ({column})" if isinstance(column, str) and column.isidentifier() else ""
        return ValidationError(
            f"{where}: {_REFUSED_VALUES[code]}{place} [{code}]", model=model, field=None, detail=message
        )
    if code in ("P2025", "P2001", "P2018"):
        return RecordNotFoundError(f"{where}: {_short(message)}", model=model)
    if code in ("P2028", "P2034"):
        return TransactionError(f"{where}: {_short(message)}", detail=message)
    if code == "P2024":
        return OperationTimeoutError(f"{where}: no database connection became free in time", detail=message)
    if code in _UNAVAILABLE or error.get("kind") == "initialization":
        return EngineUnavailableError(f"{where}: {_short(message)}", code=code, meta=meta, detail=message)
    if code is None and error.get("kind") == "validation":
        short = _short(message)
        found = _ARGUMENT.search(short) or _ARGUMENT.search(message)
        return ValidationError(
            f"Invalid {where}() arguments: {short}",
            model=model,
            field=found.group(1) if found else None,
            detail=message,
        )
    if code is None and error.get("name") == "BridgeError":
        return ValidationError(f"{where}: {message}", model=model)
    return EngineError(f"{where}: {_short(message)}", code=code, meta=meta, detail=message)


_install_log_masking()

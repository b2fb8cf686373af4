"""MySQL/MariaDB column types and defaults, compared as Prisma writes them and as the server reports them.

``INTEGER`` and ``int(11)``, ``BOOLEAN`` and ``tinyint(1)``, ``'x'`` (MariaDB) and
``x`` (MySQL), ``CURRENT_TIMESTAMP(0)`` and ``current_timestamp()`` are the same;
`is_widening` says whether a type change keeps every value (no data-loss warning).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = ["canon_default", "enum_values", "is_widening", "norm_type"]

_INT_RANKS = {"tinyint": 1, "smallint": 2, "mediumint": 3, "int": 4, "bigint": 5}
_TEXT_SIZES = {"tinytext": 255, "text": 65535, "mediumtext": 16777215, "longtext": 4294967295}
_BLOB_SIZES = {"tinyblob": 255, "blob": 65535, "mediumblob": 16777215, "longblob": 4294967295}
_NUMERIC = re.compile(r"(tinyint|smallint|mediumint|int|bigint|decimal|double|float|bit)\b")


def enum_values(sql_type: str) -> list[str] | None:
    if not sql_type.lower().startswith("enum("):
        return None
    return [v.replace("''", "'") for v in re.findall(r"'((?:[^']|'')*)'", sql_type)]


def norm_type(sql_type: str) -> str:
    """A comparable form of a column type, as written by Prisma or by the server."""
    values = enum_values(sql_type)
    if values is not None:
        return "enum(" + ",".join(values) + ")"
    text = re.sub(r"\s*,\s*", ",", sql_type.strip().lower())
    text = {"integer": "int", "boolean": "tinyint(1)", "bool": "tinyint(1)"}.get(text, text)
    text = re.sub(r"^integer\b", "int", text)
    if text != "tinyint(1)":
        text = re.sub(r"^(tinyint|smallint|mediumint|int|bigint|year)\(\d+\)", r"\1", text)
    text = re.sub(r"^(datetime|timestamp|time)\(0\)", r"\1", text)  # 0 is the default precision
    return re.sub(r"\s+", " ", text)


def canon_default(sql: str | None, sql_type: str) -> tuple[str, Any] | None:
    if sql is None:
        return None
    text = sql.strip()
    numeric = bool(_NUMERIC.match(norm_type(sql_type)))
    if len(text) >= 2 and text[0] == text[-1] == "'":
        text = text[1:-1].replace("''", "'")
        if not numeric:
            return ("str", text)
    if text.lower() in ("true", "false"):
        return ("num", Decimal(text.lower() == "true"))
    try:
        return ("num", Decimal(text).normalize())
    except InvalidOperation:
        expression = re.sub(r"\s+", "", text.lower())
        while expression.startswith("(") and expression.endswith(")"):
            expression = expression[1:-1]
        # CURRENT_TIMESTAMP(0), MariaDB's current_timestamp() and now() are one default.
        expression = re.sub(r"^(?:current_timestamp|now)(?:\((0?)\))?$", "current_timestamp", expression)
        expression = re.sub(r"^now\((\d)\)$", r"current_timestamp(\1)", expression)
        return ("expr", expression)


def _length(sql_type: str) -> int | None:
    found = re.search(r"\((\d+)\)", sql_type)
    return int(found.group(1)) if found else None


def _capacity(sql_type: str) -> tuple[str, int] | None:
    """(family, size) of character and binary types."""
    base = sql_type.split("(")[0]
    if base in ("char", "varchar"):
        return "text", _length(sql_type) or 1
    if base in ("binary", "varbinary"):
        return "binary", _length(sql_type) or 1
    if base in _TEXT_SIZES:
        return "text", _TEXT_SIZES[base]
    if base in _BLOB_SIZES:
        return "binary", _BLOB_SIZES[base]
    return None


def is_widening(old: str, new: str) -> bool:
    """Whether every value of type ``old`` fits ``new`` unchanged (normalised types)."""
    if old == new:
        return True
    old_values, new_values = enum_values(old), enum_values(new)
    if old_values is not None and new_values is not None:
        return set(old_values) <= set(new_values)
    old_base, new_base = old.split(" ")[0], new.split(" ")[0]
    if old_base in _INT_RANKS and new_base in _INT_RANKS:
        old_unsigned, new_unsigned = old.endswith("unsigned"), new.endswith("unsigned")
        rank = _INT_RANKS[new_base] - _INT_RANKS[old_base]
        return (old_unsigned == new_unsigned and rank >= 0) or (old_unsigned and not new_unsigned and rank > 0)
    if old.startswith("decimal") and new.startswith("decimal"):
        (p1, s1), (p2, s2) = (tuple(int(x) for x in re.findall(r"\d+", t)[:2]) for t in (old, new))
        return s2 >= s1 and p2 - s2 >= p1 - s1
    if (old, new) == ("float", "double"):
        return True
    for family in ("datetime", "timestamp", "time"):
        if old.split("(")[0] == new.split("(")[0] == family:
            return (_length(new) or 0) >= (_length(old) or 0)
    old_cap, new_cap = _capacity(old), _capacity(new)
    return bool(old_cap and new_cap and old_cap[0] == new_cap[0] and new_cap[1] >= old_cap[1])

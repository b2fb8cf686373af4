"""Which models a raw SQL statement reads or writes, from its table names.

A heuristic, deliberately conservative: a write whose tables cannot all be
mapped to models invalidates everything, and a raw read whose tables cannot
all be mapped is not cached. Callers can declare models in ``args["models"]``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from prisma_infra.schema.model import Schema

__all__ = ["TableMap", "read_tables", "written_tables"]

_IDENT = r'(?:"[^"]+"|`[^`]+`|\[[^\]]+\]|[A-Za-z_][\w$]*)'
_NAME = rf"{_IDENT}(?:\s*\.\s*{_IDENT})*"
_WRITE = re.compile(
    r"\b(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|REPLACE\s+INTO|MERGE\s+INTO|UPDATE(?:\s+OR\s+\w+)?(?:\s+ONLY)?"
    r"|DELETE\s+FROM(?:\s+ONLY)?|ALTER\s+TABLE(?:\s+IF\s+EXISTS)?(?:\s+ONLY)?"
    r"|DROP\s+TABLE(?:\s+IF\s+EXISTS)?|TRUNCATE(?:\s+TABLE)?(?:\s+ONLY)?)\s+"
    rf"({_NAME}(?:\s*,\s*{_NAME})*)",
    re.IGNORECASE,
)
_READ = re.compile(
    r"\b(?:FROM|JOIN)\s+(.*?)(?=\b(?:WHERE|GROUP|ORDER|LIMIT|OFFSET|FETCH|HAVING|WINDOW|UNION|INTERSECT|EXCEPT"
    r"|JOIN|INNER|LEFT|RIGHT|FULL|CROSS|NATURAL|ON|USING|FOR|RETURNING)\b|[()];?|;|$)",
    re.IGNORECASE | re.DOTALL,
)
_LEADING_NAME = re.compile(rf"\s*(?:ONLY\s+)?({_NAME})")
_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)
_STRINGS = re.compile(r"'(?:[^']|'')*'")


def _names(group: str) -> list[str]:
    """The table of each comma-separated item (``public.users u`` → ``users``)."""
    out = []
    for part in group.split(","):
        match = _LEADING_NAME.match(part)
        if match:
            out.append(re.findall(_IDENT, match.group(1))[-1].strip('"`[]'))
    return out


def _clean(sql: str) -> str:
    return _STRINGS.sub("''", _COMMENTS.sub(" ", sql))


class TableMap:
    """Table names (``@@map`` or model name, case-insensitive) → model names, built once per schema."""

    def __init__(self, schema: Schema) -> None:
        self.by_table: dict[str, str] = {}
        for model in schema.models:
            self.by_table[model.name.lower()] = model.name
            self.by_table[model.table_name.lower()] = model.name

    def models(self, tables: Iterable[str]) -> tuple[frozenset[str], bool]:
        """Models for ``tables`` and whether every table was known."""
        found: set[str] = set()
        complete = True
        for table in tables:
            model = self.by_table.get(table.lower())
            if model is None:
                complete = False
            else:
                found.add(model)
        return frozenset(found), complete


def written_tables(sql: str) -> list[str]:
    """Tables written by INSERT/UPDATE/DELETE/TRUNCATE/ALTER/DROP/MERGE/REPLACE statements."""
    out: list[str] = []
    for match in _WRITE.finditer(_clean(sql)):
        out.extend(_names(match.group(1)))
    return out


def read_tables(sql: str) -> tuple[list[str], set[str]]:
    """Tables after FROM/JOIN, and the names of common table expressions (which are not tables)."""
    text = _clean(sql)
    ctes = {m.group(1).strip('"`[]').lower() for m in re.finditer(rf"({_IDENT})\s+AS\s*\(", text, re.IGNORECASE)}
    tables = []
    for match in _READ.finditer(text):
        tables.extend(_names(match.group(1)))
    return [t for t in tables if t.lower() not in ctes], ctes

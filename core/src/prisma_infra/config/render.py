"""Render an effective configuration (already masked) as rows or as a TOML settings file."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["flatten", "to_toml", "toml_value"]

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Leaves of nested settings by dotted key (``{"cache": {"ttl": 60}}`` → ``{"cache.ttl": 60}``)."""
    rows: dict[str, Any] = {}
    for key, value in data.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping) and value:
            rows.update(flatten(value, path))
        else:
            rows[path] = value
    return rows


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else json.dumps(key)


def toml_value(value: Any) -> str:
    """A TOML literal for ``value`` (``None``, which TOML lacks, renders as ``null``)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Mapping):
        items = ", ".join(f"{_key(str(k))} = {toml_value(v)}" for k, v in value.items() if v is not None)
        return f"{{ {items} }}" if items else "{}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value if v is not None) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def to_toml(data: Mapping[str, Any], *, table: str, comments: Mapping[str, str] | None = None) -> str:
    """``data`` as TOML under ``[table]`` (an environment), each value followed by ``# comment``.

    Keys whose value is ``None`` are written commented out, since TOML has no null.
    """
    comments = comments or {}
    lines: list[str] = []

    def emit(path: list[str], mapping: Mapping[str, Any]) -> None:
        dotted = ".".join(path[1:])
        leaves = [(k, v) for k, v in mapping.items() if not (isinstance(v, Mapping) and v)]
        if leaves:
            if lines:
                lines.append("")
            lines.append(f"[{'.'.join(_key(p) for p in path)}]")
            for key, value in leaves:
                note = comments.get(f"{dotted}.{key}" if dotted else str(key))
                suffix = f"  # {note}" if note else ""
                if value is None:
                    lines.append(f"# {_key(str(key))} = (not set){suffix}")
                else:
                    lines.append(f"{_key(str(key))} = {toml_value(value)}{suffix}")
        for key, value in mapping.items():
            if isinstance(value, Mapping) and value:
                emit([*path, str(key)], value)

    emit([table], data)
    return "\n".join(lines) + "\n"

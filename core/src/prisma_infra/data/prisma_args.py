"""Shorthands accepted by repositories and the query builder, turned into Prisma's argument shapes.

Everything here is a pure function of its input and costs well under a
microsecond for the common shapes, so repositories call it on every call.

- ``include``/``select`` given as a list of names (``["posts", "posts.tags"]``)
  become ``{"posts": {"include": {"tags": True}}}``;
- ``order_by`` given as ``"name"``/``"-createdAt"`` or a list of those and dicts
  becomes Prisma's list of ``{field: "asc"|"desc"}``;
- ``distinct`` given as one name becomes a list;
- aggregate selections given as a list of names become ``{name: True}``;
- keyset (``after``) filters over a primary key, single or compound.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from prisma_infra.errors import ValidationError
from prisma_infra.schema._rules import describe

__all__ = [
    "after_where",
    "and_where",
    "build_args",
    "distinct",
    "flags",
    "key_of",
    "keys_where",
    "merge",
    "order_by",
    "selection",
]


def selection(value: Any, nested_key: str) -> Any:
    """A ``select``/``include`` value: a mapping passes through; names (dotted for depth) become a mapping.

    :param nested_key: ``"select"`` or ``"include"``: the key used for the dotted levels.
    """
    if value is None or isinstance(value, Mapping):
        return value
    if isinstance(value, str):
        value = (value,)
    out: dict[str, Any] = {}
    for name in value:
        head, _, rest = str(name).partition(".")
        if not rest:
            out.setdefault(head, True)
            continue
        current = out.get(head)
        if not isinstance(current, dict):
            current = {}
        inner = selection([rest], nested_key)
        current[nested_key] = merge(current.get(nested_key), inner)
        out[head] = current
    return out


def merge(left: Any, right: Any) -> Any:
    """Deep-merge two selections; ``True`` never replaces a nested selection."""
    if not isinstance(left, dict) or not isinstance(right, dict):
        return left if isinstance(left, dict) and right is True else right
    merged = dict(left)
    for key, value in right.items():
        merged[key] = merge(merged.get(key), value) if key in merged else value
    return merged


def order_by(value: Any) -> Any:
    """Prisma ``orderBy``: ``"name"`` is ascending, ``"-name"`` descending; dicts pass through."""
    if value is None or isinstance(value, Mapping):
        return value
    if isinstance(value, str):
        return [_one_order(value)]
    return [_one_order(item) if isinstance(item, str) else item for item in value]


def _one_order(name: str) -> dict[str, str]:
    if name.startswith("-"):
        return {name[1:]: "desc"}
    return {name.lstrip("+"): "asc"}


def distinct(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


def flags(value: Any) -> Any:
    """An aggregate selection (``_sum``, ``_count``, ...): a list of names becomes ``{name: True}``."""
    if value is None or value is True or isinstance(value, Mapping):
        return value
    if isinstance(value, str):
        return {value: True}
    return {name: True for name in value}


def and_where(*wheres: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Combine filters with AND, dropping empty ones; one filter is returned as is."""
    present = [w for w in wheres if w]
    if not present:
        return None
    if len(present) == 1:
        return dict(present[0])
    return {"AND": present}


def key_of(record: Mapping[str, Any], fields: Sequence[str]) -> Any:
    """The value of a key in ``record``: a scalar for one field, a tuple for several."""
    if len(fields) == 1:
        return record[fields[0]]
    return tuple(record[f] for f in fields)


def _as_tuple(value: Any, fields: Sequence[str]) -> tuple[Any, ...]:
    if isinstance(value, Mapping):
        try:
            return tuple(value[f] for f in fields)
        except KeyError as exc:
            raise ValidationError(f"A cursor over ({', '.join(fields)}) lacks the key field {exc.args[0]!r}") from None
    if len(fields) == 1:
        return (value,)
    if isinstance(value, list | tuple) and len(value) == len(fields):
        return tuple(value)
    raise ValidationError(
        f"A cursor over ({', '.join(fields)}) needs {len(fields)} values, got {describe(value)}"  # never the value
    )


def after_where(fields: Sequence[str], after: Any, *, descending: bool = False) -> dict[str, Any]:
    """Rows strictly after ``after`` in the order of ``fields`` (keyset pagination).

    ``after`` is a scalar for a one-field key, a tuple/list or mapping for a compound key.
    For ``(a, b)`` this is ``a > A OR (a = A AND b > B)``.
    """
    values = _as_tuple(after, fields)
    op = "lt" if descending else "gt"
    if len(fields) == 1:
        return {fields[0]: {op: values[0]}}
    branches: list[dict[str, Any]] = []
    for i, name in enumerate(fields):
        branch: dict[str, Any] = {fields[j]: values[j] for j in range(i)}
        branch[name] = {op: values[i]}
        branches.append(branch)
    return {"OR": branches}


def keys_where(fields: Sequence[str], keys: Iterable[Any]) -> dict[str, Any]:
    """Rows whose key is one of ``keys``: ``{f: {in: [...]}}``, or an OR of equalities for compound keys."""
    if len(fields) == 1:
        return {fields[0]: {"in": list(keys)}}
    return {"OR": [dict(zip(fields, _as_tuple(k, fields), strict=True)) for k in keys]}


_ALIASES = {
    "order_by": "orderBy",
    "skip_duplicates": "skipDuplicates",
    "relation_load_strategy": "relationLoadStrategy",
    "count": "_count",
    "avg": "_avg",
    "sum": "_sum",
    "min": "_min",
    "max": "_max",
}


def _select(value: Any) -> Any:
    return selection(value, "select")


def _include(value: Any) -> Any:
    return selection(value, "include")


_NORMALIZE: dict[str, Any] = {
    "select": _select,
    "include": _include,
    "orderBy": order_by,
    "distinct": distinct,
    "by": distinct,
    "_count": flags,
    "_avg": flags,
    "_sum": flags,
    "_min": flags,
    "_max": flags,
}


def build_args(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Prisma arguments from Python keywords: snake_case aliases, shorthands expanded, ``None`` dropped."""
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if value is None:
            continue
        key = _ALIASES.get(key, key)
        normalize = _NORMALIZE.get(key)
        out[key] = normalize(value) if normalize is not None else value
    return out

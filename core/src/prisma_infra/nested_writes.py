"""The nested writes inside a write's data, read the same way by access policies and the audit trail.

Prisma nests writes under relation fields: ``{"posts": {"create": [...], "connect": {...}}}``.
`relation_writes` finds them in one data mapping; `data_under` gives the data mappings one
nested operation writes (which may nest further); `named_rows` the where-uniques by which it
names existing rows; `walk` goes through all of them, at any depth.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from prisma_infra.schema.model import Field, Model, Relation, Schema

__all__ = ["NestedWrite", "data_under", "items", "named_rows", "relation_writes", "to_one_update", "walk"]

#: Nested operations whose argument (or each item of it) is a where-unique of an existing row.
_NAMING = frozenset({"connect", "set"})
#: Nested operations of a to-many whose items carry a ``where`` naming an existing row.
_ITEM_WHERE = frozenset({"update", "upsert", "connectOrCreate"})


def items(value: Any) -> list[Any]:
    """A nested operation's argument as a list (Prisma takes one item or a list)."""
    return list(value) if isinstance(value, list | tuple) else [value]


def relation_writes(model: Model, data: Any) -> Iterator[tuple[str, Field, Relation, Mapping[str, Any]]]:
    """``(key, field, relation, operations)`` for each relation field of ``data`` given nested operations."""
    if not isinstance(data, Mapping):
        return
    for key, value in data.items():
        field = model.get_field(key) if isinstance(key, str) else None
        if field is None or field.relation is None or not isinstance(value, Mapping):
            continue
        yield key, field, field.relation, value


def to_one_update(target: Model, arg: Any) -> tuple[Any, Any]:
    """``(where, data)`` of a to-one nested ``update``: ``{where, data}`` (Prisma 5+) or the data itself."""
    wrapped = (
        isinstance(arg, Mapping)
        and "data" in arg
        and set(arg) <= {"where", "data"}
        and not (target.has_field("data") or target.has_field("where"))
    )
    if wrapped:
        return arg.get("where"), arg["data"]
    return None, arg


def data_under(field: Field, target: Model, op: str, arg: Any) -> list[Mapping[str, Any]]:
    """The data mappings ``op`` writes to ``target`` rows (create rows, update data...): where deeper writes sit."""
    found: list[Any] = []
    if op == "create":
        found = items(arg)
    elif op in ("createMany", "updateMany") and isinstance(arg, Mapping | list | tuple):
        found = [d for i in items(arg) if isinstance(i, Mapping) for d in items(i.get("data"))]
    elif op == "connectOrCreate":
        found = [i.get("create") for i in items(arg) if isinstance(i, Mapping)]
    elif op == "upsert":
        found = [i.get(k) for i in items(arg) if isinstance(i, Mapping) for k in ("create", "update")]
    elif op == "update":
        found = (
            [i.get("data") for i in items(arg) if isinstance(i, Mapping)]
            if field.is_list
            else [to_one_update(target, arg)[1]]
        )
    return [d for d in found if isinstance(d, Mapping)]


def named_rows(field: Field, op: str, arg: Any) -> list[Mapping[str, Any]]:
    """The where-uniques by which ``op`` names existing ``target`` rows (to link them, or change them)."""
    found: list[Any] = []
    if op in _NAMING or (op in ("disconnect", "delete") and field.is_list):
        found = items(arg)
    elif op in _ITEM_WHERE and (field.is_list or op == "connectOrCreate"):
        found = [i.get("where") for i in items(arg) if isinstance(i, Mapping)]
    return [w for w in found if isinstance(w, Mapping)]


@dataclass(frozen=True, slots=True)
class NestedWrite:
    """One nested operation: ``op`` on ``field`` of ``model``, reached through ``path`` (relation keys)."""

    path: tuple[str, ...]
    model: Model
    field: Field
    relation: Relation
    target: Model
    op: str
    arg: Any


def walk(
    schema: Schema, model: Model, data: Any, path: tuple[str, ...] = (), depth: int = 100
) -> Iterator[NestedWrite]:
    """Every nested operation under ``data`` written to ``model``, parents before children, in argument order."""
    if depth <= 0:
        return
    for key, field, relation, ops in relation_writes(model, data):
        target = schema.model(field.type)
        here = (*path, key)
        for op, arg in ops.items():
            yield NestedWrite(here, model, field, relation, target, op, arg)
            for inner in data_under(field, target, op, arg):
                yield from walk(schema, target, inner, here, depth - 1)

"""The relation graph: which models relate, depend, or are touched by an operation.

`models_touched` gives the cache tags of a read: the model, every model reached
through ``include``/``select`` (``_count`` too), relation filters in ``where``
and relation ordering in ``orderBy``, at any depth. `models_written` gives the
tags a write invalidates: the model, nested writes, and rows changed by
referential actions. Both over-approximate rather than miss a model, and
ignore names they do not know (`prisma_infra.schema.validate` reports those).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeAlias, TypeGuard

if TYPE_CHECKING:
    from prisma_infra.operation import Action
    from prisma_infra.schema.model import Model, Schema

__all__ = ["ModelRef", "dependents", "models_touched", "models_written", "related_models"]

ModelRef: TypeAlias = "str | Model"

_LOGICAL = ("AND", "OR", "NOT")
_RELATION_FILTERS = ("some", "every", "none", "is", "isNot")
_NESTED_DATA_OPS = ("create", "update", "upsert", "connectOrCreate", "createMany", "updateMany")
_DELETE_ACTIONS = frozenset({"delete", "deleteMany"})


def _is_map(value: Any) -> TypeGuard[Mapping[str, Any]]:
    # dict first: the ABC check costs more than the rest of a simple walk.
    return type(value) is dict or (
        type(value) not in (str, int, float, bool, list, tuple) and isinstance(value, Mapping)
    )


def related_models(schema: Schema, model: ModelRef) -> frozenset[str]:
    m = schema.model(model)
    return frozenset(f.type for f in m.fields if f.kind == "object")


def dependents(schema: Schema, model: ModelRef) -> frozenset[str]:
    """Models with a foreign key to ``model``, and its implicit many-to-many partners (the join table)."""
    name = schema.model(model).name
    out: set[str] = set()
    for m in schema.models:
        for f in m.fields:
            rel = f.relation
            if rel is None or rel.to_model != name:
                continue
            if rel.holds_foreign_key or rel.is_implicit_many_to_many:
                out.add(m.name)
    return frozenset(out)


def models_touched(schema: Schema, model: ModelRef, args: Mapping[str, Any] | None = None) -> frozenset[str]:
    m = schema.model(model)
    out = {m.name}
    if args:
        _walk_args(schema, m, args, out)
    return frozenset(out)


def _walk_args(schema: Schema, m: Model, args: Mapping[str, Any], out: set[str]) -> None:
    for key in ("select", "include"):
        selection = args.get(key)
        if selection:
            _walk_selection(schema, m, selection, out)
    where = args.get("where")
    if _is_map(where):
        _walk_where(schema, m, where, out)
    order = args.get("orderBy")
    if order:
        _walk_order(schema, m, order, out)


def _walk_selection(schema: Schema, m: Model, selection: Any, out: set[str]) -> None:
    items = ((name, True) for name in selection) if isinstance(selection, list | tuple) else selection.items()
    for key, value in items:
        if not value:
            continue
        if key == "_count":
            _walk_count(schema, m, value, out)
            continue
        f = m.get_field(key)
        if f is None or f.kind != "object":
            continue
        target = schema.model(f.type)
        out.add(target.name)
        if _is_map(value):
            _walk_args(schema, target, value, out)


def _walk_count(schema: Schema, m: Model, value: Any, out: set[str]) -> None:
    counted = value.get("select") if _is_map(value) else None
    if not _is_map(counted):  # ``_count: true`` counts every to-many relation
        out.update(f.type for f in m.fields if f.kind == "object" and f.is_list)
        return
    for key, sub in counted.items():
        f = m.get_field(key)
        if f is None or f.kind != "object" or not sub:
            continue
        target = schema.model(f.type)
        out.add(target.name)
        if _is_map(sub) and _is_map(sub.get("where")):
            _walk_where(schema, target, sub["where"], out)


def _walk_where(schema: Schema, m: Model, where: Mapping[str, Any], out: set[str]) -> None:
    for key, value in where.items():
        if key in _LOGICAL:
            for sub in value if isinstance(value, list | tuple) else (value,):
                if _is_map(sub):
                    _walk_where(schema, m, sub, out)
            continue
        f = m.get_field(key)
        if f is None or f.kind != "object":
            continue
        target = schema.model(f.type)
        out.add(target.name)
        if not _is_map(value):
            continue
        if any(op in value for op in _RELATION_FILTERS):
            for op in _RELATION_FILTERS:
                sub = value.get(op)
                if _is_map(sub):
                    _walk_where(schema, target, sub, out)
        else:  # to-one shorthand: ``{author: {name: "x"}}``
            _walk_where(schema, target, value, out)


def _walk_order(schema: Schema, m: Model, order: Any, out: set[str]) -> None:
    for item in order if isinstance(order, list | tuple) else (order,):
        if not _is_map(item):
            continue
        for key, value in item.items():
            f = m.get_field(key)
            if f is None or f.kind != "object":
                continue
            target = schema.model(f.type)
            out.add(target.name)
            if _is_map(value) and "_count" not in value:
                _walk_order(schema, target, value, out)


def models_written(
    schema: Schema, model: ModelRef, action: Action | str, args: Mapping[str, Any] | None = None
) -> frozenset[str]:
    """Models whose rows a write may change: the model, nested writes, and referential actions of deletes."""
    m = schema.model(model)
    out = {m.name}
    act = getattr(action, "value", action)
    if args:
        for key in ("data", "create", "update"):
            data = args.get(key)
            for item in data if isinstance(data, list | tuple) else (data,):
                if _is_map(item):
                    _walk_data(schema, m, item, out)
    if act in _DELETE_ACTIONS:
        _walk_delete(schema, m, out, set())
    return frozenset(out)


def _walk_data(schema: Schema, m: Model, data: Mapping[str, Any], out: set[str]) -> None:
    for key, value in data.items():
        f = m.get_field(key)
        if f is None or f.relation is None or not _is_map(value):
            continue
        rel = f.relation
        target = schema.model(rel.to_model)
        # Any nested operation changes target rows, or the join table, or the FK the target holds;
        # only connect/disconnect of a to-one whose FK lives on this side leave the target untouched.
        if set(value) - {"connect", "disconnect"} or not rel.holds_foreign_key:
            out.add(target.name)
        if "delete" in value or "deleteMany" in value:
            _walk_delete(schema, target, out, set())
        for op in _NESTED_DATA_OPS:
            payload = value.get(op)
            for item in payload if isinstance(payload, list | tuple) else (payload,):
                if _is_map(item):
                    _walk_nested(schema, target, op, item, out)


def _walk_nested(schema: Schema, target: Model, op: str, item: Mapping[str, Any], out: set[str]) -> None:
    if op == "create":
        _walk_data(schema, target, item, out)
    elif op in ("update", "updateMany"):
        data = item.get("data", item)
        if _is_map(data):
            _walk_data(schema, target, data, out)
    else:  # upsert, connectOrCreate, createMany
        for key in ("create", "update", "data"):
            sub = item.get(key)
            for d in sub if isinstance(sub, list | tuple) else (sub,):
                if _is_map(d):
                    _walk_data(schema, target, d, out)


def _walk_delete(schema: Schema, m: Model, out: set[str], seen: set[str]) -> None:
    """Rows removed or nulled by ``onDelete`` (Prisma's default: SetNull if optional, Restrict if required)."""
    if m.name in seen:
        return
    seen.add(m.name)
    for other in schema.models:
        for f in other.fields:
            rel = f.relation
            if rel is None or rel.to_model != m.name:
                continue
            if rel.is_implicit_many_to_many:
                out.add(other.name)
                continue
            if not rel.holds_foreign_key:
                continue
            action = rel.on_delete or ("Restrict" if rel.is_required else "SetNull")
            if action in ("Cascade", "SetNull", "SetDefault"):
                out.add(other.name)
            if action == "Cascade":
                _walk_delete(schema, other, out, seen)

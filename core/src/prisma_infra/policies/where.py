"""Helpers that put a row filter into Prisma arguments, and find the relations a filter reads."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from prisma_infra.errors import ValidationError

if TYPE_CHECKING:
    from prisma_infra.schema import Model, Schema

__all__ = ["expand_unique", "fields_read", "include_for", "merge_where", "relations_needed"]


def merge_where(where: Any, extra: Mapping[str, Any] | None) -> dict[str, Any]:
    """``where`` AND ``extra``, keeping ``where``'s own keys at the top.

    Unique keys must stay at the top level of a where-unique (``update``,
    ``delete``, ``findUnique``), so the filter joins through ``AND``.
    """
    if where is None:
        where = {}
    if not isinstance(where, Mapping):
        raise ValidationError(f"where must be an object of field filters, got {type(where).__name__}.")
    merged = dict(where)
    if not extra:
        return merged
    existing = merged.get("AND")
    if existing is None:
        merged["AND"] = [dict(extra)]
    elif isinstance(existing, list | tuple):
        merged["AND"] = [*existing, dict(extra)]
    else:
        merged["AND"] = [existing, dict(extra)]
    return merged


def expand_unique(model: Model, where: Mapping[str, Any]) -> dict[str, Any]:
    """A where-unique as a plain where: compound keys (``a_b: {a, b}``) become field equalities.

    Used when ``findUnique`` runs as ``findFirst`` (plain wheres have no compound keys).
    """
    compounds = {key: fields for key, fields in model.unique_keys.items() if len(fields) > 1}
    out: dict[str, Any] = {}
    parts: list[dict[str, Any]] = []
    for key, value in where.items():
        if key in compounds and isinstance(value, Mapping) and not model.has_field(key):
            parts.append({name: value[name] for name in compounds[key] if name in value})
        else:
            out[key] = value
    if parts:
        existing = out.get("AND")
        if existing is None:
            out["AND"] = parts
        elif isinstance(existing, list | tuple):
            out["AND"] = [*existing, *parts]
        else:
            out["AND"] = [existing, *parts]
    return out


def relations_needed(schema: Schema, model: str | Model, where: Any) -> dict[str, Any]:
    """The relation tree a filter reads: ``{"author": {"org": {}}}`` for ``author.is.org.is``."""
    tree: dict[str, Any] = {}
    _walk(schema, schema.model(model), where, tree)
    return tree


def _walk(schema: Schema, model: Model, where: Any, tree: dict[str, Any]) -> None:
    if not isinstance(where, Mapping):
        return
    for key, value in where.items():
        if key in ("AND", "OR", "NOT"):
            for item in value if isinstance(value, list | tuple) else [value]:
                _walk(schema, model, item, tree)
            continue
        field = model.get_field(key)
        if field is None or not field.is_relation:
            continue
        sub = tree.setdefault(key, {})
        if not isinstance(value, Mapping):
            continue
        target = schema.model(field.type)
        ops = set(value) <= {"is", "isNot", "some", "every", "none"} and bool(value)
        for inner in value.values() if ops else [value]:
            _walk(schema, target, inner, sub)


def fields_read(schema: Schema, model: str | Model, where: Any) -> tuple[set[str], set[str]]:
    """The scalar fields (compound keys expanded) and the relations a filter reads on ``model`` itself."""
    found = schema.model(model)
    scalars: set[str] = set()
    relations: set[str] = set()
    stack = [where]
    while stack:
        item = stack.pop()
        if isinstance(item, list | tuple):
            stack.extend(item)
            continue
        if not isinstance(item, Mapping):
            continue
        for key, value in item.items():
            if key in ("AND", "OR", "NOT"):
                stack.append(value)
                continue
            field = found.get_field(key)
            if field is not None and field.is_relation:
                relations.add(key)
            elif field is not None:
                scalars.add(key)
            else:
                scalars.update(found.unique_keys.get(key, (key,)))
    return scalars, relations


def include_for(tree: Mapping[str, Any]) -> dict[str, Any]:
    """A Prisma ``include`` that loads a relation tree."""
    return {key: ({"include": include_for(sub)} if sub else True) for key, sub in tree.items()}

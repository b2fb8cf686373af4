"""Per-model validation rules, computed once per schema and model, and the shared error helpers."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn, TypeGuard

from prisma_infra.errors import UnknownFieldError, ValidationError, closest_match
from prisma_infra.schema.limits import safe_name
from prisma_infra.schema.model import Model, Schema
from prisma_infra.schema.types import NUMERIC_TYPES, value_checker

__all__ = [
    "FieldRule",
    "ModelRules",
    "bad_value",
    "describe",
    "is_mapping",
    "rules_for",
    "unknown_field",
    "unknown_key",
]

_EQUALITY = frozenset({"equals", "not", "in", "notIn"})
_ORDERED = _EQUALITY | {"lt", "lte", "gt", "gte"}
_STRING = _ORDERED | {"contains", "startsWith", "endsWith", "mode", "search"}
_LIST = frozenset({"equals", "has", "hasSome", "hasEvery", "isEmpty"})
_JSON = frozenset(
    {
        "equals",
        "not",
        "path",
        "mode",
        "string_contains",
        "string_starts_with",
        "string_ends_with",
        "array_contains",
        "array_starts_with",
        "array_ends_with",
        "lt",
        "lte",
        "gt",
        "gte",
    }
)
_FILTER_OPS: dict[str, frozenset[str]] = {
    "String": _STRING,
    "Int": _ORDERED,
    "BigInt": _ORDERED,
    "Float": _ORDERED,
    "Decimal": _ORDERED,
    "DateTime": _ORDERED,
    "Boolean": frozenset({"equals", "not"}),
    "Bytes": _EQUALITY,
    "Json": _JSON,
}
_NUMERIC_UPDATE = frozenset({"set", "increment", "decrement", "multiply", "divide"})


@dataclass(frozen=True, slots=True)
class FieldRule:
    name: str
    kind: str
    type: str
    is_list: bool
    nullable: bool
    """``None`` is a valid value (an optional, non-list scalar or to-one relation)."""
    check: Callable[[Any], bool]
    """Accepts one element of the field's type."""
    expected: str
    filter_ops: frozenset[str]
    update_ops: frozenset[str]
    target: str | None = None
    """The related model, for relation fields."""
    to_many: bool = False
    numeric: bool = False
    skip_in_nested_create: tuple[str, ...] = ()
    """For relation fields: fields of ``target`` that a create nested through this field must not need."""
    holds_key: bool = False
    """For relation fields: this model holds the foreign key (connecting writes this model only)."""


@dataclass(frozen=True, slots=True)
class ModelRules:
    name: str
    fields: dict[str, FieldRule]
    scalars: tuple[str, ...]
    relations: tuple[str, ...]
    unique_keys: dict[str, tuple[str, ...]]
    compound_keys: dict[str, tuple[str, ...]]
    create_required: tuple[tuple[str, tuple[str, ...]], ...]
    """Fields a create must set, each with the relation fields that can set it instead."""
    where_names: tuple[str, ...]
    is_view: bool = False


def rules_for(schema: Schema, model: str | Model) -> ModelRules:
    """The rules of ``model`` (any case), built on first use and memoized on the schema."""
    memo: dict[Any, ModelRules] = schema._memo.setdefault("rules", {})
    key = model if isinstance(model, str) else model.name
    found = memo.get(key)
    if found is None:
        m = schema.model(model)
        found = memo.get(m.name) or _build(schema, m)
        memo[m.name] = memo[key] = found
    return found


def _build(schema: Schema, m: Model) -> ModelRules:
    fields: dict[str, FieldRule] = {}
    for f in m.fields:
        if f.kind == "object":
            rel = f.relation
            skip: tuple[str, ...] = ()
            if rel is not None and rel.opposite_field:
                target = schema.model(rel.to_model)
                back = target.field(rel.opposite_field)
                skip = (back.name, *(back.relation.fields if back.relation and back.relation.holds_foreign_key else ()))
            fields[f.name] = FieldRule(
                name=f.name,
                kind="object",
                type=f.type,
                is_list=f.is_list,
                nullable=not f.is_list and not f.is_required,
                check=_never,
                expected=f.type,
                filter_ops=frozenset(),
                update_ops=frozenset(),
                target=f.type,
                to_many=f.is_list,
                skip_in_nested_create=skip,
                holds_key=rel is not None and rel.holds_foreign_key,
            )
            continue
        enum_values = frozenset(schema.enum(f.type).value_names) if f.kind == "enum" else None
        expected = (
            "one of " + ", ".join(repr(v) for v in sorted(enum_values)) + f" (enum {f.type})"
            if enum_values is not None
            else f.type
        )
        if f.is_list:
            ops, update_ops = _LIST, frozenset({"set", "push"})
        elif f.kind == "enum":
            ops, update_ops = _EQUALITY, frozenset({"set"})
        else:
            ops = _FILTER_OPS.get(f.type, frozenset())
            update_ops = _NUMERIC_UPDATE if f.type in NUMERIC_TYPES else frozenset({"set"})
        fields[f.name] = FieldRule(
            name=f.name,
            kind=f.kind,
            type=f.type,
            is_list=f.is_list,
            nullable=not f.is_list and not f.is_required,
            check=value_checker(f.type, enum_values),
            expected=f"list of {expected}" if f.is_list else expected,
            filter_ops=ops,
            update_ops=update_ops,
            numeric=f.type in NUMERIC_TYPES and not f.is_list,
        )

    covers: dict[str, list[str]] = {}
    for f in m.fields:
        if f.relation is not None and f.relation.holds_foreign_key:
            for fk in f.relation.fields:
                covers.setdefault(fk, []).append(f.name)
    create_required = tuple(
        (f.name, tuple(covers.get(f.name, ())))
        for f in m.fields
        if f.kind in ("scalar", "enum") and f.is_required and not (f.is_list or f.has_default or f.is_updated_at)
    )
    unique_keys = m.unique_keys
    compound = {k: v for k, v in unique_keys.items() if len(v) > 1}
    return ModelRules(
        name=m.name,
        fields=fields,
        scalars=tuple(f.name for f in m.fields if f.kind != "object"),
        relations=tuple(f.name for f in m.fields if f.kind == "object"),
        unique_keys=unique_keys,
        compound_keys=compound,
        create_required=create_required,
        where_names=(*fields, *compound, "AND", "OR", "NOT"),
        is_view=m.is_view,
    )


_NOT_MAPPINGS = frozenset({str, int, float, bool, type(None), list, tuple, bytes})


def is_mapping(value: Any) -> TypeGuard[Mapping[str, Any]]:
    """``isinstance(value, Mapping)`` without the ABC check for the common types (validation is hot)."""
    t = type(value)
    return t is dict or (t not in _NOT_MAPPINGS and isinstance(value, Mapping))


def _never(v: Any) -> bool:
    return False


def describe(value: Any) -> str:
    """The type of a rejected value, and its length for sized ones: never the value (it may be PII)."""
    name = type(value).__name__
    if isinstance(value, str | bytes | bytearray):
        return f"{name} of length {len(value)}"
    if isinstance(value, Mapping | list | tuple | set | frozenset):
        return f"{name} of {len(value)} items"
    return name


def bad_value(rules: ModelRules, rule: FieldRule, value: Any, path: str, expected: str | None = None) -> NoReturn:
    raise ValidationError(
        f"Invalid value for {rules.name}.{rule.name} in {path}: expected {expected or rule.expected}, "
        f"got {describe(value)}.",
        model=rules.name,
        field=rule.name,
    )


def unknown_key(
    rules: ModelRules, key: str, known: Iterable[str], path: str, what: str = "argument", field: str | None = None
) -> NoReturn:
    """An unknown operator or argument (not a field): names the model, the place and the closest match."""
    known = list(known)
    match = closest_match(key, known) if isinstance(key, str) else None
    hint = f" Did you mean {match!r}?" if match else f" Expected one of: {', '.join(known)}."
    subject = f"{rules.name}.{field}" if field else rules.name
    raise ValidationError(
        f"Unknown {what} {safe_name(key)} for {subject} in {path}.{hint}", model=rules.name, field=field
    )


def unknown_field(rules: ModelRules, key: Any, known: Iterable[str], path: str) -> NoReturn:
    """An unknown field; a key that is not a plain identifier is named by type and length only."""
    if not (isinstance(key, str) and safe_name(key).startswith("'")):
        raise ValidationError(
            f"Unknown field ({safe_name(key)}) on model {rules.name!r} in {path}.", model=rules.name, field=None
        )
    raise UnknownFieldError(rules.name, key, known, where=path)

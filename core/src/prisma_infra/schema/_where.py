"""Validation of ``where`` (and ``cursor``/unique wheres, ``having``): fields, operators, value types."""

from __future__ import annotations

from typing import Any

from prisma_infra.errors import ValidationError
from prisma_infra.schema._rules import (
    FieldRule,
    ModelRules,
    bad_value,
    describe,
    is_mapping,
    rules_for,
    unknown_field,
    unknown_key,
)
from prisma_infra.schema.model import Schema

__all__ = ["check_having", "check_value", "check_where", "check_where_unique"]

_LOGICAL = frozenset({"AND", "OR", "NOT"})
_TO_MANY_FILTERS = ("some", "every", "none")
_TO_ONE_FILTERS = ("is", "isNot")
_AGGREGATES = frozenset({"_count", "_avg", "_sum", "_min", "_max"})
_STRING_OPS = frozenset({"contains", "startsWith", "endsWith", "search"})
_ORDER_OPS = frozenset({"lt", "lte", "gt", "gte"})
_MODES = ("default", "insensitive")


def check_value(rules: ModelRules, rule: FieldRule, value: Any, path: str) -> None:
    """A whole value of the field: ``None`` if nullable, a list for list fields, else one element."""
    if value is None:
        if not rule.nullable:
            bad_value(rules, rule, value, path, f"{rule.expected} (the field is required)")
        return
    if rule.is_list:
        if not isinstance(value, list | tuple):
            bad_value(rules, rule, value, path)
        check = rule.check
        for item in value:
            if not check(item):
                bad_value(rules, rule, item, path, f"{rule.type} elements")
        return
    if not rule.check(value):
        bad_value(rules, rule, value, path)


def _check_element(rules: ModelRules, rule: FieldRule, value: Any, path: str) -> None:
    if not rule.check(value):
        bad_value(rules, rule, value, path, rule.type if rule.is_list else None)


def _check_elements(rules: ModelRules, rule: FieldRule, value: Any, path: str) -> None:
    if not isinstance(value, list | tuple | set | frozenset):
        bad_value(rules, rule, value, path, f"a list of {rule.type}")
    check = rule.check
    for item in value:
        if not check(item):
            bad_value(rules, rule, item, path, rule.type)


def check_where(schema: Schema, rules: ModelRules, where: Any, path: str) -> None:
    if not is_mapping(where):
        raise ValidationError(
            f"{path} on {rules.name} must be an object of field filters, got {type(where).__name__}.",
            model=rules.name,
        )
    fields = rules.fields
    for key, value in where.items():
        rule = fields.get(key)
        if rule is None:
            if key in _LOGICAL:
                _check_logical(schema, rules, key, value, path)
            elif key in rules.compound_keys:
                _check_compound(rules, key, value, path)
            else:
                unknown_field(rules, key, rules.where_names, path)
        elif rule.kind == "object":
            _check_relation_filter(schema, rules, rule, value, path)
        elif rule.kind != "unsupported":
            _check_scalar_filter(rules, rule, value, path)


def _check_logical(schema: Schema, rules: ModelRules, key: str, value: Any, path: str) -> None:
    sub_path = f"{path}.{key}"
    if is_mapping(value):
        check_where(schema, rules, value, sub_path)
    elif isinstance(value, list | tuple):
        for item in value:
            check_where(schema, rules, item, sub_path)
    else:
        raise ValidationError(
            f"{sub_path} on {rules.name} takes an object or a list of objects, got {type(value).__name__}.",
            model=rules.name,
        )


def _check_compound(rules: ModelRules, key: str, value: Any, path: str) -> None:
    parts = rules.compound_keys[key]
    if not is_mapping(value) or set(value) != set(parts):
        raise ValidationError(
            f"{path}.{key} on {rules.name} takes exactly the fields {', '.join(parts)}, got {describe(value)}.",
            model=rules.name,
            field=key,
        )
    for part in parts:
        check_value(rules, rules.fields[part], value[part], f"{path}.{key}")


def _check_relation_filter(schema: Schema, rules: ModelRules, rule: FieldRule, value: Any, path: str) -> None:
    assert rule.target is not None
    target = rules_for(schema, rule.target)
    sub_path = f"{path}.{rule.name}"
    if rule.to_many:
        if not is_mapping(value):
            bad_value(rules, rule, value, path, "a relation filter (some, every, none)")
        for op, sub in value.items():
            if op not in _TO_MANY_FILTERS:
                unknown_key(rules, op, _TO_MANY_FILTERS, path, "relation filter", rule.name)
            check_where(schema, target, sub, f"{sub_path}.{op}")
        return
    if value is None:
        if not rule.nullable:
            bad_value(rules, rule, value, path, "a relation filter (the relation is required)")
        return
    if not is_mapping(value):
        bad_value(rules, rule, value, path, "a relation filter (is, isNot) or a where on " + rule.type)
    if value and all(op in _TO_ONE_FILTERS for op in value):
        for op, sub in value.items():
            if sub is not None:
                check_where(schema, target, sub, f"{sub_path}.{op}")
    else:  # shorthand: a where on the related model
        check_where(schema, target, value, sub_path)


def _check_scalar_filter(rules: ModelRules, rule: FieldRule, value: Any, path: str) -> None:
    if not is_mapping(value):
        if rule.type == "Json" and not rule.is_list:
            bad_value(rules, rule, value, path, "a Json filter (equals, path, string_contains, ...)")
        check_value(rules, rule, value, path)
        return
    ops = rule.filter_ops
    for op, operand in value.items():
        if op not in ops:
            unknown_key(rules, op, sorted(ops), path, "filter", rule.name)
        if rule.type == "Json" and not rule.is_list:
            continue  # JSON values and paths pass through to the engine
        if op == "equals":
            check_value(rules, rule, operand, path)
        elif op == "not":
            if is_mapping(operand):
                _check_scalar_filter(rules, rule, operand, f"{path}.{rule.name}.not")
            else:
                check_value(rules, rule, operand, path)
        elif op in ("in", "notIn", "hasSome", "hasEvery"):
            _check_elements(rules, rule, operand, path)
        elif op in _ORDER_OPS or op == "has":
            _check_element(rules, rule, operand, path)
        elif op in _STRING_OPS:
            if not isinstance(operand, str):
                bad_value(rules, rule, operand, path, f"String for {op!r}")
        elif op == "mode":
            if operand not in _MODES:
                bad_value(rules, rule, operand, path, "'default' or 'insensitive' for 'mode'")
        elif op == "isEmpty" and not isinstance(operand, bool):
            bad_value(rules, rule, operand, path, "Boolean for 'isEmpty'")


def check_where_unique(schema: Schema, rules: ModelRules, where: Any, path: str) -> None:
    """A where that must select one record: at least one unique key, other filters allowed (Prisma 5+)."""
    check_where(schema, rules, where, path)
    unique = rules.unique_keys
    if not any(key in unique for key in where):
        keys = ", ".join(unique) or "(none: the model has no unique key)"
        raise ValidationError(
            f"{path} on {rules.name} must select one record by a unique key: one of {keys}; "
            f"got {', '.join(where) or 'nothing'}.",
            model=rules.name,
        )


def check_having(schema: Schema, rules: ModelRules, having: Any, path: str) -> None:
    """``groupBy``'s ``having``: a where whose scalar fields may also filter on aggregates."""
    if not is_mapping(having):
        raise ValidationError(f"{path} on {rules.name} must be an object, got {type(having).__name__}.")
    for key, value in having.items():
        if key in _LOGICAL:
            for item in value if isinstance(value, list | tuple) else (value,):
                check_having(schema, rules, item, f"{path}.{key}")
            continue
        rule = rules.fields.get(key)
        if rule is None or rule.kind == "object":
            unknown_field(rules, key, rules.scalars, path)
        if is_mapping(value) and any(k in _AGGREGATES for k in value):
            for agg, sub in value.items():
                if agg in _AGGREGATES:
                    continue  # aggregate filters compare counts/averages, not field values
                _check_scalar_filter(rules, rule, {agg: sub}, path)
        elif rule.kind != "unsupported":
            _check_scalar_filter(rules, rule, value, path)

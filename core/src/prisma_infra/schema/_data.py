"""Validation of write payloads: ``data`` of create/update, nested writes, upsert's ``create``/``update``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from prisma_infra.errors import ReadOnlyViewError, ValidationError
from prisma_infra.schema._rules import (
    FieldRule,
    ModelRules,
    bad_value,
    is_mapping,
    rules_for,
    unknown_field,
    unknown_key,
)
from prisma_infra.schema._where import check_value, check_where, check_where_unique
from prisma_infra.schema.model import Schema

__all__ = ["check_create", "check_create_many", "check_update"]

_CREATE_OPS = {
    True: ("create", "createMany", "connect", "connectOrCreate"),
    False: ("create", "connect", "connectOrCreate"),
}
_UPDATE_OPS = {
    True: (
        "create",
        "createMany",
        "connect",
        "connectOrCreate",
        "set",
        "disconnect",
        "delete",
        "update",
        "updateMany",
        "deleteMany",
        "upsert",
    ),
    False: ("create", "connect", "connectOrCreate", "disconnect", "delete", "update", "upsert"),
}


_LINKS = frozenset({"connect", "disconnect", "set"})


def _require_mapping(rules: ModelRules, value: Any, path: str, what: str) -> Mapping[str, Any]:
    if not is_mapping(value):
        raise ValidationError(f"{path} on {rules.name} must be {what}, got {type(value).__name__}.", model=rules.name)
    return value


def _each(value: Any, many: bool) -> tuple[Any, ...]:
    """A nested to-many operation takes one item or a list of them."""
    if many and isinstance(value, list | tuple):
        return tuple(value)
    return (value,)


def check_create(
    schema: Schema, rules: ModelRules, data: Any, path: str, skip: tuple[str, ...] = (), scalars_only: bool = False
) -> None:
    """Create data: known fields, typed values, nested writes, and every required field present.

    ``skip`` names the back-relation and its foreign keys when the create is nested (Prisma fills them).
    """
    data = _require_mapping(rules, data, path, "an object of field values")
    fields = rules.fields
    for key, value in data.items():
        rule = fields.get(key)
        if rule is None:
            unknown_field(rules, key, fields, path)
        if rule.kind == "object":
            if scalars_only:
                raise ValidationError(
                    f"Relation field {rules.name}.{key} cannot be set in {path} (createMany takes scalar fields"
                    " only: set the foreign key instead).",
                    model=rules.name,
                    field=key,
                )
            _check_nested(schema, rules, rule, value, f"{path}.{key}", create=True)
        elif rule.kind != "unsupported" and not (rule.type == "Json" and value is not None):
            _check_scalar_set(rules, rule, value, path)
    missing = [
        name
        for name, covers in rules.create_required
        if name not in data and name not in skip and not any(c in data for c in covers)
    ]
    if missing:
        hints = []
        for name, covers in rules.create_required:
            if name in missing:
                hints.append(f"{name!r}" + (f" (or relation {' / '.join(map(repr, covers))})" if covers else ""))
        raise ValidationError(
            f"Missing required field{'s' if len(missing) > 1 else ''} for {rules.name} in {path}: {', '.join(hints)}.",
            model=rules.name,
            field=missing[0],
        )


def check_create_many(schema: Schema, rules: ModelRules, data: Any, path: str, skip: tuple[str, ...] = ()) -> None:
    for item in data if isinstance(data, list | tuple) else (data,):
        check_create(schema, rules, item, path, skip, scalars_only=True)


def _check_scalar_set(rules: ModelRules, rule: FieldRule, value: Any, path: str) -> None:
    """A scalar in create data: the value itself, or ``{set: value}`` for scalar lists."""
    if rule.is_list and is_mapping(value):
        for op, operand in value.items():
            if op != "set":
                unknown_key(rules, op, ("set",), path, "operation", rule.name)
            check_value(rules, rule, operand, path)
        return
    check_value(rules, rule, value, path)


def check_update(schema: Schema, rules: ModelRules, data: Any, path: str) -> None:
    """Update data: every field optional; atomic number operations, list ``set``/``push``, nested writes."""
    data = _require_mapping(rules, data, path, "an object of field values")
    fields = rules.fields
    for key, value in data.items():
        rule = fields.get(key)
        if rule is None:
            unknown_field(rules, key, fields, path)
        if rule.kind == "object":
            _check_nested(schema, rules, rule, value, f"{path}.{key}", create=False)
        elif rule.kind == "unsupported" or (rule.type == "Json" and not rule.is_list):
            continue  # a Json value may itself be an object
        elif is_mapping(value):
            for op, operand in value.items():
                if op not in rule.update_ops:
                    unknown_key(rules, op, sorted(rule.update_ops), path, "update operation", rule.name)
                if op == "set":
                    check_value(rules, rule, operand, path)
                elif op == "push":  # one element or a list of them
                    if isinstance(operand, list | tuple):
                        check_value(rules, rule, operand, path)
                    elif not rule.check(operand):
                        bad_value(rules, rule, operand, path, rule.type)
                elif not rule.check(operand):
                    bad_value(rules, rule, operand, path)
        else:
            check_value(rules, rule, value, path)


def _check_nested(schema: Schema, rules: ModelRules, rule: FieldRule, value: Any, path: str, *, create: bool) -> None:
    assert rule.target is not None
    target = rules_for(schema, rule.target)
    many = rule.to_many
    allowed = (_CREATE_OPS if create else _UPDATE_OPS)[many]
    value = _require_mapping(rules, value, path, f"a nested write ({', '.join(allowed)})")
    skip = rule.skip_in_nested_create
    for op, arg in value.items():
        if op not in allowed:
            unknown_key(rules, op, allowed, path, "nested write", rule.name)
        if target.is_view and not (op in _LINKS and rule.holds_key):
            # Linking through a foreign key this model holds writes this model only; anything else writes the view.
            raise ReadOnlyViewError(target.name, op, where=path)
        sub = f"{path}.{op}"
        if op == "create":
            for item in _each(arg, many):
                check_create(schema, target, item, sub, skip)
        elif op == "createMany":
            arg = _require_mapping(rules, arg, sub, "{data: [...], skipDuplicates?}")
            check_create_many(schema, target, arg.get("data"), f"{sub}.data", skip)
        elif op in ("connect", "set") or (op in ("disconnect", "delete") and many):
            for item in _each(arg, many):
                check_where_unique(schema, target, item, sub)
        elif op in ("disconnect", "delete"):  # to-one: true/false or a where on the related record
            if not isinstance(arg, bool):
                check_where(schema, target, arg, sub)
        elif op == "connectOrCreate":
            for item in _each(arg, many):
                item = _require_mapping(rules, item, sub, "{where, create}")
                check_where_unique(schema, target, item.get("where"), f"{sub}.where")
                check_create(schema, target, item.get("create"), f"{sub}.create", skip)
        elif op == "update":
            for item in _each(arg, many):
                item = _require_mapping(rules, item, sub, "an object")
                if many or ("data" in item and set(item) <= {"where", "data"}):
                    if "where" in item and many:
                        check_where_unique(schema, target, item["where"], f"{sub}.where")
                    elif "where" in item:
                        check_where(schema, target, item["where"], f"{sub}.where")
                    check_update(schema, target, item.get("data"), f"{sub}.data")
                else:
                    check_update(schema, target, item, sub)
        elif op == "updateMany":
            for item in _each(arg, many):
                item = _require_mapping(rules, item, sub, "{where, data}")
                check_where(schema, target, item.get("where", {}), f"{sub}.where")
                check_update(schema, target, item.get("data"), f"{sub}.data")
        elif op == "deleteMany":
            for item in _each(arg, many):
                check_where(schema, target, item, sub)
        elif op == "upsert":
            for item in _each(arg, many):
                item = _require_mapping(rules, item, sub, "{where, create, update}")
                if many or "where" in item:
                    (check_where_unique if many else check_where)(schema, target, item.get("where"), f"{sub}.where")
                check_create(schema, target, item.get("create"), f"{sub}.create", skip)
                check_update(schema, target, item.get("update"), f"{sub}.update")

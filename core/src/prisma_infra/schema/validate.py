"""`validate_args`: check Prisma-shaped arguments against the schema before they reach the engine.

Runs on every operation, so the per-model rules are precomputed once (`_rules`)
and the common path is a few dictionary lookups. Errors name the model, the
field, the place in the arguments (``where.posts.some``) and the closest match.
The only normalization is ``include``/``select`` given as a list of names,
which becomes ``{name: True}``; the caller's arguments are never mutated.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from prisma_infra.errors import ReadOnlyViewError, ValidationError, closest_match
from prisma_infra.operation import READ_ACTIONS, Action
from prisma_infra.schema._data import check_create, check_create_many, check_update
from prisma_infra.schema._rules import (
    ModelRules,
    bad_value,
    describe,
    is_mapping,
    rules_for,
    unknown_field,
    unknown_key,
)
from prisma_infra.schema._where import check_having, check_where, check_where_unique
from prisma_infra.schema.limits import check_input, safe_name
from prisma_infra.schema.model import Model, Schema

__all__ = ["validate_args"]

_SELECTION = frozenset({"select", "include", "omit", "relationLoadStrategy"})
_PAGING = frozenset({"where", "orderBy", "cursor", "take", "skip", "distinct"})
_AGGREGATES = frozenset({"_count", "_avg", "_sum", "_min", "_max"})
_DIRECTIONS = ("asc", "desc")


@dataclass(frozen=True, slots=True)
class _Spec:
    allowed: frozenset[str]
    required: tuple[str, ...] = ()
    unique_where: bool = False


_SPECS: dict[str, _Spec] = {
    "findUnique": _Spec(frozenset({"where"}) | _SELECTION, ("where",), True),
    "findFirst": _Spec(_PAGING | _SELECTION),
    "findMany": _Spec(_PAGING | _SELECTION),
    "create": _Spec(frozenset({"data"}) | _SELECTION, ("data",)),
    "createMany": _Spec(frozenset({"data", "skipDuplicates"}), ("data",)),
    "createManyAndReturn": _Spec(frozenset({"data", "skipDuplicates"}) | _SELECTION, ("data",)),
    "update": _Spec(frozenset({"where", "data"}) | _SELECTION, ("where", "data"), True),
    "updateMany": _Spec(frozenset({"where", "data", "limit"}), ("data",)),
    "upsert": _Spec(frozenset({"where", "create", "update"}) | _SELECTION, ("where", "create", "update"), True),
    "delete": _Spec(frozenset({"where"}) | _SELECTION, ("where",), True),
    "deleteMany": _Spec(frozenset({"where", "limit"})),
    "count": _Spec(_PAGING | {"select"}),
    "aggregate": _Spec(_PAGING - {"distinct"} | _AGGREGATES),
    "groupBy": _Spec(frozenset({"by", "where", "orderBy", "having", "take", "skip"}) | _AGGREGATES, ("by",)),
}
_SPECS["findUniqueOrThrow"] = _SPECS["findUnique"]
_SPECS["findFirstOrThrow"] = _SPECS["findFirst"]
_RAW = frozenset({Action.QUERY_RAW.value, Action.EXECUTE_RAW.value})
_READS = frozenset(a.value for a in READ_ACTIONS)
_NESTED_MANY = frozenset({"select", "include", "omit", "where", "orderBy", "cursor", "take", "skip", "distinct"})
_NESTED_ONE = frozenset({"select", "include", "omit"})


def validate_args(
    schema: Schema,
    model: str | Model | None,
    action: Action | str,
    args: Mapping[str, Any] | None,
    *,
    copy: bool = True,
    checked: bool = False,
) -> dict[str, Any]:
    """Validate ``args`` of ``model.action`` and return them normalized (a new dict; ``args`` is untouched).

    With ``copy=False``, ``args`` itself is returned when it is a dict that needs no
    normalization (the pipeline's hot path: no allocation for arguments already in shape).
    ``checked=True`` skips `check_input` (depth, keys, surrogates, NaN), for callers that ran it already.

    :raises UnknownModelError: ``model`` is not in the schema (with the closest match).
    :raises UnknownFieldError: a field in where/select/include/omit/orderBy/data/cursor/distinct/by/having.
    :raises ValidationError: an unknown argument, action or operator, or a value of the wrong type.
    """
    act: str = action.value if isinstance(action, Action) else action
    if not isinstance(act, str):
        raise ValidationError(f"An action is a string such as 'findMany', got {describe(act)}.")
    if act in _RAW:
        return dict(args or {})
    spec = _SPECS.get(act)
    if spec is None:
        match = closest_match(act, _SPECS)
        raise ValidationError(f"Unknown action {safe_name(act)}." + (f" Did you mean {match!r}?" if match else ""))
    if model is None:
        raise ValidationError(f"Action {act!r} needs a model.")
    if not isinstance(model, str | Model):
        raise ValidationError(f"A model is named by a string, got {describe(model)}.")
    rules = rules_for(schema, model)
    if rules.is_view and act not in _READS:
        raise ReadOnlyViewError(rules.name, act)
    if checked is False:
        check_input(rules.name, act, args, provider=schema.provider)
    if args is None:
        args = {}
    elif not is_mapping(args):
        raise ValidationError(f"Arguments of {rules.name}.{act} must be a mapping, got {type(args).__name__}.")
    out: dict[str, Any] = dict(args) if copy or type(args) is not dict else args
    for key, value in args.items():
        if key not in spec.allowed:
            unknown_key(rules, key, sorted(spec.allowed), act, "argument")
        if key == "where":
            if spec.unique_where:
                check_where_unique(schema, rules, value, "where")
            else:
                check_where(schema, rules, value, "where")
        elif key in ("select", "include", "omit"):
            if act == "count" and key == "select":
                _check_field_flags(rules, value, "select", allow_all=True)
            else:
                normalized = _selection(schema, rules, key, value, key)
                if normalized is not value:
                    if out is args:
                        out = dict(args)
                    out[key] = normalized
        elif key == "data":
            if act in ("createMany", "createManyAndReturn"):
                check_create_many(schema, rules, value, "data")
            elif act == "updateMany":
                check_update(schema, rules, value, "data")
            elif act == "create":
                check_create(schema, rules, value, "data")
            else:
                check_update(schema, rules, value, "data")
        elif key == "create":
            check_create(schema, rules, value, "create")
        elif key == "update":
            check_update(schema, rules, value, "update")
        elif key == "orderBy":
            _check_order(schema, rules, value, "orderBy", aggregates=act == "groupBy")
        elif key == "cursor":
            check_where_unique(schema, rules, value, "cursor")
        elif key in ("distinct", "by"):
            _check_scalar_names(rules, value, key)
        elif key in ("take", "skip", "limit"):
            _check_int(rules, key, value, non_negative=key != "take")
        elif key in _AGGREGATES:
            _check_aggregate(rules, key, value)
        elif key == "having":
            check_having(schema, rules, value, "having")
        elif key == "skipDuplicates" and not isinstance(value, bool):
            raise ValidationError(f"skipDuplicates of {rules.name}.{act} must be a boolean, got {describe(value)}.")
    for key in spec.required:
        if key not in args:
            raise ValidationError(f"{rules.name}.{act} needs the argument {key!r}.", model=rules.name)
    if "select" in args and ("include" in args or "omit" in args):
        raise ValidationError(f"{rules.name}.{act} takes either select or include/omit, not both.", model=rules.name)
    return out


def _selection(schema: Schema, rules: ModelRules, key: str, value: Any, path: str) -> Mapping[str, Any]:
    """``select``/``include``/``omit`` of ``rules``' model; returns the normalized mapping."""
    if isinstance(value, list | tuple):  # ["posts", "profile"] is {"posts": True, "profile": True}
        if not all(isinstance(name, str) for name in value):
            raise ValidationError(
                f"{path} on {rules.name} takes field names (strings) in a list, got {describe(value)}.",
                model=rules.name,
            )
        value = dict.fromkeys(value, True)
    elif not is_mapping(value):
        raise ValidationError(
            f"{path} on {rules.name} must be an object or a list of field names, got {type(value).__name__}.",
            model=rules.name,
        )
    fields = rules.fields
    out: dict[str, Any] | None = None
    for name, sub in value.items():
        rule = fields.get(name)
        if rule is None:
            if name == "_count" and key != "omit":
                _check_count_selection(schema, rules, sub, f"{path}._count")
                continue
            known = rules.relations if key == "include" else rules.scalars if key == "omit" else fields
            unknown_field(rules, name, (*known, "_count") if key != "omit" else known, path)
        if rule.kind != "object":
            if key == "include":
                raise ValidationError(
                    f"{rules.name}.{name} is a scalar field: include takes relations "
                    f"({', '.join(rules.relations) or 'none on this model'}); use select for scalar fields.",
                    model=rules.name,
                    field=name,
                )
            if not isinstance(sub, bool):
                bad_value(rules, rule, sub, path, "true or false")
            continue
        if key == "omit":
            raise ValidationError(
                f"{rules.name}.{name} is a relation: omit takes scalar fields only.", model=rules.name, field=name
            )
        if isinstance(sub, bool):
            continue
        if not is_mapping(sub):
            bad_value(rules, rule, sub, path, "true, false or nested arguments")
        normalized = _nested_args(schema, rules, name, sub, f"{path}.{name}")
        if normalized is not sub:
            out = out if out is not None else dict(value)
            out[name] = normalized
    return out if out is not None else value


def _nested_args(schema: Schema, rules: ModelRules, name: str, sub: Mapping[str, Any], path: str) -> Mapping[str, Any]:
    rule = rules.fields[name]
    assert rule.target is not None
    target = rules_for(schema, rule.target)
    allowed = _NESTED_MANY if rule.to_many else _NESTED_ONE
    out: dict[str, Any] | None = None
    for key, value in sub.items():
        if key not in allowed:
            unknown_key(rules, key, sorted(allowed), path, "argument", name)
        if key in ("select", "include", "omit"):
            normalized = _selection(schema, target, key, value, f"{path}.{key}")
            if normalized is not value:
                out = out if out is not None else dict(sub)
                out[key] = normalized
        elif key == "where":
            check_where(schema, target, value, f"{path}.where")
        elif key == "orderBy":
            _check_order(schema, target, value, f"{path}.orderBy")
        elif key == "cursor":
            check_where_unique(schema, target, value, f"{path}.cursor")
        elif key == "distinct":
            _check_scalar_names(target, value, f"{path}.distinct")
        else:
            _check_int(target, f"{path}.{key}", value, non_negative=key == "skip")
    if "select" in sub and ("include" in sub or "omit" in sub):
        raise ValidationError(f"{path} on {rules.name} takes either select or include/omit, not both.")
    return out if out is not None else sub


def _check_count_selection(schema: Schema, rules: ModelRules, value: Any, path: str) -> None:
    if isinstance(value, bool):
        return
    counted = value.get("select") if is_mapping(value) else None
    if not isinstance(counted, Mapping) or set(value) != {"select"}:
        raise ValidationError(
            f"{path} on {rules.name} takes true or {{select: {{relation: true}}}}, got {describe(value)}.",
            model=rules.name,
        )
    to_many = [n for n in rules.relations if rules.fields[n].to_many]
    for name, sub in counted.items():
        rule = rules.fields.get(name)
        if rule is None or not rule.to_many:
            unknown_field(rules, name, to_many, f"{path}.select")
        if is_mapping(sub):
            for key in sub:
                if key != "where":
                    unknown_key(rules, key, ("where",), f"{path}.select", "argument", name)
            assert rule.target is not None
            check_where(schema, rules_for(schema, rule.target), sub.get("where", {}), f"{path}.select.{name}.where")
        elif not isinstance(sub, bool):
            bad_value(rules, rule, sub, f"{path}.select", "true, false or {where: ...}")


def _check_order(schema: Schema, rules: ModelRules, order: Any, path: str, *, aggregates: bool = False) -> None:
    for item in order if isinstance(order, list | tuple) else (order,):
        if not is_mapping(item):
            raise ValidationError(
                f"{path} on {rules.name} takes {{field: 'asc' | 'desc'}} objects, got {describe(item)}.",
                model=rules.name,
            )
        for name, direction in item.items():
            rule = rules.fields.get(name)
            if rule is None:
                if name == "_relevance":
                    continue  # full-text relevance: fields/search/sort, checked by the engine
                if aggregates and name in _AGGREGATES:
                    _check_field_flags(rules, direction, f"{path}.{name}", directions=True)
                    continue
                unknown_field(rules, name, rules.fields, path)
            if rule.kind != "object":
                if direction in _DIRECTIONS:
                    continue
                if (
                    is_mapping(direction)
                    and direction.get("sort") in _DIRECTIONS
                    and direction.get("nulls", "first") in ("first", "last")
                    and set(direction) <= {"sort", "nulls"}
                ):
                    continue
                bad_value(rules, rule, direction, path, "'asc', 'desc' or {sort, nulls}")
            assert rule.target is not None
            if not is_mapping(direction):
                bad_value(rules, rule, direction, path, "an orderBy on the related model")
            if rule.to_many:
                if set(direction) != {"_count"} or direction["_count"] not in _DIRECTIONS:
                    bad_value(rules, rule, direction, path, "{_count: 'asc' | 'desc'} for a to-many relation")
            else:
                _check_order(schema, rules_for(schema, rule.target), direction, f"{path}.{name}")


def _check_scalar_names(rules: ModelRules, value: Any, path: str) -> None:
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list | tuple) or not names or not all(isinstance(n, str) for n in names):
        raise ValidationError(
            f"{path} on {rules.name} takes a field name or a non-empty list of them, got {describe(value)}.",
            model=rules.name,
        )
    for name in names:
        rule = rules.fields.get(name)
        if rule is None or rule.kind == "object":
            unknown_field(rules, name, rules.scalars, path)


def _check_field_flags(
    rules: ModelRules,
    value: Any,
    path: str,
    *,
    allow_all: bool = False,
    numeric: bool = False,
    directions: bool = False,
) -> None:
    if not is_mapping(value):
        raise ValidationError(
            f"{path} on {rules.name} takes an object of scalar fields, got {describe(value)}.", model=rules.name
        )
    candidates = [n for n in rules.scalars if not numeric or rules.fields[n].numeric]
    for name, flag in value.items():
        if not (allow_all and name == "_all"):
            rule = rules.fields.get(name)
            if rule is None or rule.kind == "object" or (numeric and not rule.numeric):
                if numeric and rule is not None and rule.kind != "object":
                    raise ValidationError(
                        f"{rules.name}.{name} is not numeric: {path} takes {', '.join(candidates)}.",
                        model=rules.name,
                        field=name,
                    )
                unknown_field(rules, name, candidates, path)
        ok = flag in _DIRECTIONS if directions else isinstance(flag, bool)
        if not ok:
            expected = "'asc' or 'desc'" if directions else "true or false"
            raise ValidationError(f"{path}.{name} on {rules.name} takes {expected}, got {describe(flag)}.")


def _check_aggregate(rules: ModelRules, key: str, value: Any) -> None:
    if key == "_count" and isinstance(value, bool):
        return
    _check_field_flags(rules, value, key, allow_all=key == "_count", numeric=key in ("_avg", "_sum"))


_INT64_MAX = 2**63 - 1


def _check_int(rules: ModelRules, path: str, value: Any, *, non_negative: bool) -> None:
    if (
        not isinstance(value, int)
        or isinstance(value, bool)
        or (non_negative and value < 0)
        or not -_INT64_MAX <= value <= _INT64_MAX
    ):
        expected = "a non-negative integer" if non_negative else "an integer"
        expected += f" within ±{_INT64_MAX}"
        raise ValidationError(f"{path} on {rules.name} takes {expected}, got {describe(value)}.", model=rules.name)

"""Results typed by the schema's fields: ``Float`` values come back as ``float``.

JSON numbers carry no type: the double ``2.0`` arrives from the bridge as ``2``. `decode_result`
makes the values of ``Float`` fields ``float`` again in records (included and selected relations at
any depth), in ``_sum``/``_min``/``_max`` of aggregates and groupBy (and every ``_avg``, a ``Float``
in Prisma whatever the field), and in the ``by`` fields of groupBy rows. Decimal (tagged) and
BigInt/Int values need nothing. Raw results are typed in the bridge from their columns' types
(``js/raw_floats.cjs``).

Planned once per schema: a model with no Float field, nor a relation leading to one, costs one
dict look-up per operation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from prisma_infra_sdk import Model, Schema

__all__ = ["decode_result", "reaching"]

_RECORD_ACTIONS = frozenset(
    {
        "findUnique",
        "findUniqueOrThrow",
        "findFirst",
        "findFirstOrThrow",
        "findMany",
        "create",
        "createManyAndReturn",
        "update",
        "updateManyAndReturn",
        "upsert",
        "delete",
    }
)
_TYPED_AGGREGATES = ("_sum", "_min", "_max")


def reaching(schema: Schema, own: Callable[[Model], bool]) -> frozenset[str]:
    """The models with a field ``own`` is about, or with a relation to such a model (transitively)."""
    found = {m.name for m in schema.models if own(m)}
    grew = True
    while grew:
        grew = False
        for model in schema.models:
            if model.name not in found and any(f.type in found for f in model.relation_fields):
                found.add(model.name)
                grew = True
    return frozenset(found)


def names(model: Model, scalar_type: str) -> frozenset[str]:
    return frozenset(f.name for f in model.scalar_fields if f.type == scalar_type)


class _FloatPlan:
    """Per model: its Float fields, and the relations leading to models with some."""

    __slots__ = ("floats", "relations")

    def __init__(self, floats: tuple[str, ...], relations: tuple[tuple[str, str], ...]) -> None:
        self.floats = floats
        self.relations = relations


#: What the plans give for a model name not spelled as the schema spells it.
_UNKNOWN = _FloatPlan((), ())


def _float_plans(schema: Schema) -> dict[str, _FloatPlan | None]:
    plans: dict[str, _FloatPlan | None] | None = schema._memo.get(_FloatPlan)
    if plans is None:
        leading = reaching(schema, lambda m: bool(names(m, "Float")))
        plans = {}
        for model in schema.models:
            relations = tuple((f.name, f.type) for f in model.relation_fields if f.type in leading)
            floats = tuple(sorted(names(model, "Float")))
            plans[model.name] = _FloatPlan(floats, relations) if floats or relations else None
        schema._memo[_FloatPlan] = plans
    return plans


def _as_float(value: Any) -> Any:
    kind = type(value)
    if kind is int:
        return float(value)
    if kind is list:  # Float[]
        return [float(v) if type(v) is int else v for v in value]
    return value


def _record(plans: dict[str, _FloatPlan | None], plan: _FloatPlan, record: dict[str, Any]) -> None:
    for name in plan.floats:
        item = record.get(name)
        if item is not None and type(item) is not float:
            record[name] = _as_float(item)
    for name, target in plan.relations:
        item = record.get(name)
        if item is not None:
            _records(plans, plans[target], item)


def _records(plans: dict[str, _FloatPlan | None], plan: _FloatPlan | None, value: Any) -> None:
    if plan is None:
        return
    kind = type(value)
    if kind is dict:
        _record(plans, plan, value)
    elif kind is list:
        for record in value:
            if type(record) is dict:
                _record(plans, plan, record)


def _aggregates(floats: Iterable[str], row: dict[str, Any]) -> None:
    avg = row.get("_avg")
    if type(avg) is dict:
        for name, item in avg.items():
            if type(item) is int:
                avg[name] = float(item)
    for key in _TYPED_AGGREGATES:
        values = row.get(key)
        if type(values) is dict:
            for name in floats:
                item = values.get(name)
                if type(item) is int:
                    values[name] = float(item)


def decode_result(schema: Schema, model: str | None, action: str, result: Any) -> Any:
    """``result`` of ``action`` on ``model`` with the values of Float fields as ``float`` (in place)."""
    if model is None or result is None:
        return result
    plans: dict[str, _FloatPlan | None] = schema._memo.get(_FloatPlan) or _float_plans(schema)
    plan = plans.get(model, _UNKNOWN)
    if plan is _UNKNOWN:
        found = schema.get_model(model)
        if found is None:
            return result
        plan = plans[found.name]
    if action in _RECORD_ACTIONS:
        _records(plans, plan, result)
    elif action == "aggregate" or action == "groupBy":
        floats = plan.floats if plan is not None else ()
        for row in result if type(result) is list else (result,):
            if type(row) is dict:
                _records(plans, plan, row)
                _aggregates(floats, row)
    return result

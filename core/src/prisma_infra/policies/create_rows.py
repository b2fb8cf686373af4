"""The row a create would produce, checked against the create filter in memory (top-level and nested creates).

The database cannot apply a filter to a row that does not exist yet, so the
data is turned into the record it would become (scalars, keys set through a
relation, literal defaults) and the filter decided on it; the to-one relations
the filter reads are loaded by their keys, in the operation's transaction.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from prisma_infra.operation import Action, Operation, OperationContext
from prisma_infra.policies.evaluator import MissingRelationError
from prisma_infra.policies.rules import AccessDeniedError, AccessPlan
from prisma_infra.policies.where import include_for, relations_needed

if TYPE_CHECKING:
    from prisma_infra.schema import Model, Relation, Schema

__all__ = ["check_create_row", "record_from_data"]

Execute = Callable[[Operation], Awaitable[Any]]


async def check_create_row(
    schema: Schema, model: Model, plan: AccessPlan, data: Mapping[str, Any], execute: Execute, ctx: OperationContext
) -> None:
    """Raise `AccessDeniedError` when the row ``data`` creates is outside ``plan``'s filter."""
    if plan.filter is None:
        return
    record = record_from_data(model, data)
    tree = relations_needed(schema, model, plan.filter)
    if tree:
        await _load_relations(model, record, tree, execute, ctx)
    try:
        decision = plan.decide(record, schema=schema)
    except MissingRelationError as exc:  # pragma: no cover - _load_relations fills every relation
        raise AccessDeniedError(exc.message, policy=plan.default_policy, model=model.name) from exc
    if not decision.allowed:
        raise AccessDeniedError(
            f"create on {model.name} denied: the data is outside what the policies allow. {decision.reason}",
            policy=decision.policy,
            rule=decision.rule,
            model=model.name,
            action="create",
        )


def record_from_data(model: Model, data: Mapping[str, Any]) -> dict[str, Any]:
    """The row a create would produce, as far as it is known: scalars, linked keys, literal defaults."""
    record: dict[str, Any] = {}
    for key, value in data.items():
        field = model.get_field(key)
        if field is not None and field.is_relation:
            relation = field.relation
            if relation is not None and relation.holds_foreign_key and isinstance(value, Mapping):
                record.update(_linked_keys(relation, value))
            continue
        record[key] = value
    for field in model.scalar_fields:
        if field.name not in record and field.default is not None and not field.default.is_function:
            record[field.name] = field.default.value
    return record


def _linked_keys(relation: Relation, ops: Mapping[str, Any]) -> dict[str, Any]:
    """The key values a ``connect``/``connectOrCreate``/``create`` on a to-one sets on this row."""
    source: Any = ops.get("connect")
    coc = ops.get("connectOrCreate")
    if not isinstance(source, Mapping) and isinstance(coc, Mapping):
        source = coc.get("where") if isinstance(coc.get("where"), Mapping) else coc.get("create")
    if not isinstance(source, Mapping):
        source = ops.get("create")
    if not isinstance(source, Mapping):
        return {}
    return {fk: source[ref] for fk, ref in zip(relation.fields, relation.references, strict=False) if ref in source}


async def _load_relations(
    model: Model, record: dict[str, Any], tree: Mapping[str, Any], execute: Execute, ctx: OperationContext
) -> None:
    """Fill the relations a create filter reads: to-one targets by foreign key, to-many as empty."""
    for key, subtree in tree.items():
        field = model.field(key)
        relation = field.relation
        if field.is_list:
            record[key] = []
            continue
        if relation is None or not relation.holds_foreign_key:
            record[key] = None
            continue
        keys = {ref: record.get(fk) for fk, ref in zip(relation.fields, relation.references, strict=False)}
        if any(v is None for v in keys.values()):
            record[key] = None
            continue
        args: dict[str, Any] = {"where": keys}
        if subtree:
            args["include"] = include_for(subtree)
        lookup = Operation(
            model=field.type,
            action=Action.FIND_FIRST,
            args=args,
            context=OperationContext(transaction=ctx.transaction, deadline=ctx.deadline),
        )
        record[key] = await execute(lookup)

"""The read side of access policies: what a query may filter, order, group and aggregate on.

`ReadScope` holds, for one actor and operation, the read plan and the read
restrictions (masked or hidden fields) of each model it touches. The walks
below rewrite the caller's arguments before they reach the engine:

- a field the actor may not read (a field rule with ``read = "mask"`` or
  ``"hide"``) is refused by name (`FieldReadDeniedError`) wherever it would be
  computed on: ``where`` (at any depth, through relation filters too),
  ``orderBy`` (``_relevance`` included), ``cursor``, ``distinct``, ``by``,
  ``having``, ``_count``/``_sum``/``_avg``/``_min``/``_max``, the selection of
  ``count``; with ``on_query = "drop"`` that part of the query is removed
  instead. ``unless`` exemptions hold per record, so they never lift it here;
- every relation filter of the caller's ``where`` (``some``/``every``/``none``/
  ``is``/``isNot`` and the bare to-one form, at every depth) gets the related
  model's row filter inside it, so related rows the actor may not read count as
  absent: ``some``/``none``/``is`` match readable rows only, ``every`` holds
  over readable rows, ``is: null`` means "none that the actor may read";
- ordering through a relation whose model has a row filter (a to-one field,
  a to-many ``_count``) cannot be narrowed to readable rows and is refused
  (after the related fields it names are checked, so a masked one is named);
- a ``cursor`` (top level, or of an included to-many) positions on the cursor
  row's values, whatever the filter: when the model has a row filter, one
  look-up with it (`prisma_infra.policies.cursors`, in the operation's transaction) decides
  whether the actor may read that row, and when not the read finds what a
  cursor on a missing row finds — nothing (its ``where`` becomes false).

The row filters of the policies themselves are trusted configuration: they are
AND-ed in after the walk and never checked against field rules.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from prisma_infra.errors import ValidationError
from prisma_infra.operation import Action, Operation, OperationContext
from prisma_infra.policies.actor import ActorView
from prisma_infra.policies.evaluator import FALSE_FILTER, MissingRelationError
from prisma_infra.policies.rules import (
    AccessDeniedError,
    AccessPlan,
    CompiledFieldRule,
    FieldReadDeniedError,
    actor_label,
)
from prisma_infra.policies.where import expand_unique, merge_where

if TYPE_CHECKING:
    from prisma_infra.policies.decider import PolicyDecider
    from prisma_infra.schema import Model

__all__ = [
    "MAX_DEPTH",
    "PreparedRead",
    "ReadScope",
    "kept_names",
    "prepare_read",
    "scope_read",
    "scope_result",
    "scope_selection",
    "scope_where",
]

#: How deep a ``where``/``orderBy``/selection may nest (beyond it: `ValidationError`, never ``RecursionError``).
MAX_DEPTH = 100

_LOGICAL = ("AND", "OR", "NOT")
_TO_ONE = frozenset({"is", "isNot"})
_AGGREGATES = ("_count", "_sum", "_avg", "_min", "_max")
_AS_FIRST = {Action.FIND_UNIQUE: Action.FIND_FIRST, Action.FIND_UNIQUE_OR_THROW: Action.FIND_FIRST_OR_THROW}
_DROP = object()


class ReadScope:
    """Per-operation memo of plans and read restrictions, so nested parts do not recompute them."""

    __slots__ = ("action", "actor", "cursors", "decider", "plans", "restricted")

    def __init__(self, decider: PolicyDecider, actor: ActorView, action: Action = Action.FIND_MANY) -> None:
        self.decider = decider
        self.actor = actor
        self.action = action
        self.plans: dict[str, AccessPlan] = {}
        self.restricted: dict[str, dict[str, CompiledFieldRule]] = {}
        #: Cursors on models with a row filter: (model, cursor, the args holding it), see `policies.cursors`.
        self.cursors: list[tuple[Model, Mapping[str, Any], dict[str, Any]]] = []

    @property
    def engine(self) -> PolicyDecider:
        """Deprecated name of `decider`."""
        return self.decider

    def read_plan(self, model: str) -> AccessPlan:
        plan = self.plans.get(model)
        if plan is None:
            plan = self.plans[model] = self.decider.plan(self.actor, model, Action.FIND_MANY)
        return plan

    def related_filter(self, model: str) -> Mapping[str, Any] | None:
        """What related rows of ``model`` the actor may read, as a filter (``None``: all)."""
        plan = self.read_plan(model)
        return FALSE_FILTER if plan.denial is not None else plan.filter

    def keep(self, model: str, field: str, usage: str, *, droppable: bool = True) -> bool:
        """Whether ``model.field`` may be used in ``usage``: ``False`` drops it; a refusal raises."""
        restricted = self.restricted.get(model)
        if restricted is None:
            restricted = self.restricted[model] = self.decider.read_restrictions(self.actor, model)
        rule = restricted.get(field)
        if rule is None:
            return True
        if rule.on_query == "drop" and droppable:
            return False
        raise FieldReadDeniedError(
            f"Field rule {rule.name!r} of policy {rule.policy!r} masks {model}.{field} for "
            f"{actor_label(self.actor)}: it cannot be used in {usage} ({self.action.value}).",
            field=field,
            policy=rule.policy,
            rule=rule.name,
            model=model,
            action=self.action.value,
        )


def _deeper(model: Model, depth: int) -> int:
    if depth >= MAX_DEPTH:
        raise ValidationError(f"The arguments on {model.name} nest deeper than {MAX_DEPTH} levels.", model=model.name)
    return depth + 1


def _and(where: Any, extra: Mapping[str, Any]) -> dict[str, Any]:
    if not where:
        return dict(extra)
    return {"AND": [where, dict(extra)]}


# -- where -------------------------------------------------------------------------------


def scope_where(scope: ReadScope, model: Model, where: Any, *, usage: str = "where", depth: int = 0) -> Any:
    """The caller's ``where`` with restricted fields refused (or dropped) and relation filters narrowed."""
    if not isinstance(where, Mapping):
        return where  # validation names the mistake
    depth = _deeper(model, depth)
    out: dict[str, Any] = {}
    for key, value in where.items():
        if key in _LOGICAL:
            if isinstance(value, list | tuple):
                out[key] = [scope_where(scope, model, item, usage=usage, depth=depth) for item in value]
            else:
                out[key] = scope_where(scope, model, value, usage=usage, depth=depth)
            continue
        field = model.get_field(key) if isinstance(key, str) else None
        if field is None:
            compound = model.unique_keys.get(key) if isinstance(key, str) else None
            if compound and all(scope.keep(model.name, name, usage) for name in compound):
                out[key] = value
            elif not compound:
                out[key] = value  # unknown: validation names it
            continue
        if not field.is_relation:
            if scope.keep(model.name, key, usage):
                out[key] = value
            continue
        target = scope.decider.schema.model(field.type)
        out[key] = _relation_filter(scope, target, field.is_list, value, usage, depth)
    return out


def _relation_filter(scope: ReadScope, target: Model, to_many: bool, value: Any, usage: str, depth: int) -> Any:
    allowed = scope.related_filter(target.name)
    if to_many:
        if not isinstance(value, Mapping):
            return value
        out: dict[str, Any] = {}
        for op, sub in value.items():
            inner = scope_where(scope, target, sub, usage=usage, depth=depth) if sub is not None else None
            if allowed is None:
                out[op] = inner
            elif op == "every":  # every readable row matches: no readable row fails it
                out[op] = {"OR": [{"NOT": dict(allowed)}, inner]} if inner else inner
            else:  # some / none: among readable rows
                out[op] = _and(inner, allowed)
        return out
    if value is None:
        return value if allowed is None else {"isNot": dict(allowed)}
    if not isinstance(value, Mapping):
        return value
    if not (value and set(value) <= _TO_ONE):  # the bare form: a where on the related row
        inner = scope_where(scope, target, value, usage=usage, depth=depth)
        return inner if allowed is None else {"is": _and(inner, allowed)}
    out = {}
    for op, sub in value.items():
        if sub is None:  # is null: no readable related row; isNot null: a readable one
            if allowed is None:
                out[op] = None
            else:
                out["isNot" if op == "is" else "is"] = dict(allowed)
            continue
        inner = scope_where(scope, target, sub, usage=usage, depth=depth)
        out[op] = inner if allowed is None else _and(inner, allowed)
    return out


# -- orderBy, cursor, distinct, groupBy, aggregates ----------------------------------------


def _names(scope: ReadScope, model: Model, value: Any, usage: str) -> Any:
    """A field name or a list of them (``distinct``, ``by``, ``_relevance.fields``) without dropped ones."""
    if isinstance(value, str):
        return value if scope.keep(model.name, value, usage) else _DROP
    if not isinstance(value, list | tuple):
        return value
    kept = [name for name in value if not isinstance(name, str) or scope.keep(model.name, name, usage)]
    return kept if kept else _DROP


def _flags(scope: ReadScope, model: Model, value: Any, usage: str) -> Any:
    """``{field: true}`` of an aggregate (``_all`` is a row count)."""
    if not isinstance(value, Mapping):
        return value
    kept = {k: v for k, v in value.items() if k == "_all" or not v or scope.keep(model.name, k, usage)}
    return kept if kept else _DROP


def scope_order(scope: ReadScope, model: Model, order: Any, *, depth: int = 0) -> Any:
    """``orderBy`` without restricted fields; `_DROP` when nothing is left."""
    depth = _deeper(model, depth)
    if isinstance(order, list | tuple):
        items = [scope_order(scope, model, item, depth=depth) for item in order]
        kept = [item for item in items if item is not _DROP]
        return kept if kept else _DROP
    if not isinstance(order, Mapping):
        return order
    out: dict[str, Any] = {}
    for name, direction in order.items():
        if name == "_relevance" and isinstance(direction, Mapping):
            fields = _names(scope, model, direction.get("fields"), "orderBy._relevance")
            if fields is not _DROP:
                out[name] = {**direction, "fields": fields}
            continue
        if name in _AGGREGATES:  # groupBy: order by an aggregate of fields
            flags = _flags(scope, model, direction, f"orderBy.{name}")
            if flags is not _DROP:
                out[name] = flags
            continue
        field = model.get_field(name) if isinstance(name, str) else None
        if field is None:
            out[name] = direction
        elif not field.is_relation:
            if scope.keep(model.name, name, "orderBy"):
                out[name] = direction
        else:
            target = scope.decider.schema.model(field.type)
            # the related fields first: a masked one is refused by name (or dropped) before the relation
            sub = scope_order(scope, target, direction, depth=depth) if not field.is_list else direction
            if sub is _DROP:
                continue
            if scope.related_filter(target.name) is not None:
                plan = scope.read_plan(target.name)
                raise AccessDeniedError(
                    f"orderBy through {model.name}.{name} would order by {target.name} rows that the policies "
                    f"may hide from {actor_label(scope.actor)}; order by fields of {model.name} instead.",
                    policy=plan.default_policy or (plan.denial.policy if plan.denial else None),
                    rule="relation-order",
                    model=model.name,
                    action=scope.action.value,
                )
            out[name] = sub
    return out if out else _DROP


def _scope_cursor(scope: ReadScope, model: Model, cursor: Any) -> Any:
    if not isinstance(cursor, Mapping):
        return cursor
    kept = scope_where(scope, model, cursor, usage="cursor")
    return kept if kept else _DROP


def scope_args(scope: ReadScope, model: Model, action: Action, args: Mapping[str, Any]) -> dict[str, Any]:
    """A read's arguments with restricted fields refused or dropped, relation filters narrowed."""
    out = dict(args)
    for key, value in args.items():
        if key == "where":
            scoped: Any = scope_where(scope, model, value)
        elif key == "orderBy":
            scoped = scope_order(scope, model, value)
        elif key == "cursor":
            scoped = _scope_cursor(scope, model, value)
        elif key == "distinct":
            scoped = _names(scope, model, value, key)
        elif key == "by":  # group keys come back in every row: never dropped, always refused
            for name in [value] if isinstance(value, str) else value if isinstance(value, list | tuple) else ():
                if isinstance(name, str):
                    scope.keep(model.name, name, "by", droppable=False)
            continue
        elif key in _AGGREGATES:
            scoped = _flags(scope, model, value, key)
        elif key == "having":
            scoped = scope_where(scope, model, value, usage="having")
        elif key == "select" and action is Action.COUNT:
            scoped = _flags(scope, model, value, "count select")
        else:
            continue
        if scoped is _DROP:
            del out[key]
        else:
            out[key] = scoped
    cursor = out.get("cursor")
    if isinstance(cursor, Mapping) and cursor and scope.related_filter(model.name) is not None:
        scope.cursors.append((model, cursor, out))  # this dict goes on to the engine: `check_cursors` edits it
    return out



def scope_read(
    scope: ReadScope, model: Model, action: Action, args: dict[str, Any]
) -> tuple[dict[str, Any], Action]:
    """A read's arguments and action as the engine gets them: checked, narrowed, the row filter AND-ed in."""
    plan = scope.decider.plan(scope.actor, model.name, action)
    if plan.denial is not None:
        raise plan.denial.error(model.name, action.value)
    args = scope_args(scope, model, action, args)
    if plan.filter is None:
        return args, action
    where = args.get("where")
    if action in _AS_FIRST:
        where = expand_unique(model, where or {})
        action = _AS_FIRST[action]
    args["where"] = merge_where(where, plan.filter)
    return args, action


# -- nested selections ---------------------------------------------------------------------


def scope_selection(scope: ReadScope, model: Model, args: dict[str, Any], *, depth: int = 0) -> dict[str, Any]:
    """``include``/``select``: to-many relations and ``_count`` get the related row filter; nested args checked."""
    schema = scope.decider.schema
    depth = _deeper(model, depth)
    for key in ("include", "select"):
        selection = args.get(key)
        if isinstance(selection, list | tuple) and all(isinstance(n, str) for n in selection):
            selection = dict.fromkeys(selection, True)  # validation's normal form, so relations are scoped
        if not isinstance(selection, Mapping):
            continue
        scoped: dict[str, Any] = {}
        for name, value in selection.items():
            field = model.get_field(name) if isinstance(name, str) else None
            if name == "_count" and isinstance(value, Mapping):
                scoped[name] = _scope_count(scope, model, value, depth)
                continue
            if field is None or not field.is_relation or value is False or value is None:
                scoped[name] = value
                continue
            target = schema.model(field.type)
            sub = dict(value) if isinstance(value, Mapping) else {}
            if field.is_list:
                sub = scope_args(scope, target, Action.FIND_MANY, sub)
                allowed = scope.related_filter(target.name)
                if allowed is not None:
                    sub["where"] = merge_where(sub.get("where"), allowed)
            sub = scope_selection(scope, target, sub, depth=depth)
            scoped[name] = sub if (sub or isinstance(value, Mapping)) else value
        args[key] = scoped
    return args


def _scope_count(scope: ReadScope, model: Model, value: Mapping[str, Any], depth: int) -> Any:
    select = value.get("select")
    if not isinstance(select, Mapping):
        return value
    out: dict[str, Any] = {}
    for name, item in select.items():
        field = model.get_field(name) if isinstance(name, str) else None
        if field is None or not field.is_relation or not item:
            out[name] = item
            continue
        target = scope.decider.schema.model(field.type)
        extra = scope.related_filter(target.name)
        sub = dict(item) if isinstance(item, Mapping) else {}
        if "where" in sub:
            sub["where"] = scope_where(scope, target, sub["where"], depth=depth)
        if extra is not None:
            sub["where"] = merge_where(sub.get("where"), extra)
        out[name] = sub if sub else item
    return {**value, "select": out}


# -- results -------------------------------------------------------------------------------


def scope_result(scope: ReadScope, model: Model, action: Action, result: Any) -> Any:
    """Field rules applied to what came back (nested records too); unreadable to-one records become ``None``."""
    if result is None or action is Action.COUNT:
        return result
    if action is Action.AGGREGATE and isinstance(result, Mapping):
        return mask_aggregates(scope, model, dict(result))
    if isinstance(result, list):
        if action is Action.GROUP_BY:
            return [mask_aggregates(scope, model, scope_record(scope, model, r)) for r in result]
        return [scope_record(scope, model, r) if isinstance(r, Mapping) else r for r in result]
    if isinstance(result, Mapping) and action not in (Action.CREATE_MANY, Action.UPDATE_MANY, Action.DELETE_MANY):
        return scope_record(scope, model, result)
    return result


def mask_aggregates(scope: ReadScope, model: Model, row: dict[str, Any]) -> dict[str, Any]:
    """Aggregates of restricted fields are refused up front; this masks whatever still names one."""
    rules = scope.decider.field_rules(scope.actor, model.name)
    if not rules:
        return row
    for key in _AGGREGATES:
        if isinstance(row.get(key), Mapping):
            row[key] = scope.decider.apply_field_rules(rules, scope.actor, model.name, row[key])
    return row


def scope_record(scope: ReadScope, model: Model, record: Mapping[str, Any]) -> dict[str, Any]:
    decider = scope.decider
    rules = decider.field_rules(scope.actor, model.name)
    out = decider.apply_field_rules(rules, scope.actor, model.name, record) if rules else dict(record)
    for key, value in out.items():
        field = model.get_field(key)
        if field is None or not field.is_relation or value is None:
            continue
        target = decider.schema.model(field.type)
        if isinstance(value, list):
            out[key] = [scope_record(scope, target, v) if isinstance(v, Mapping) else v for v in value]
        elif isinstance(value, Mapping):
            plan = scope.read_plan(target.name)
            if plan.governed:
                try:
                    allowed = plan.decide(value, schema=decider.schema).allowed
                except MissingRelationError:
                    allowed = False
                if not allowed:
                    out[key] = None
                    continue
            out[key] = scope_record(scope, target, value)
    return out


# -- one read outside the pipeline (the cache facade) --------------------------------------


def scoped_context(ctx: OperationContext, actor: ActorView) -> OperationContext:
    """The context the engine and the cache see: the actor's policy scope, its tenant."""
    if ctx.actor is None:
        return ctx
    extra = {**ctx.extra, "policy_scope": actor.scope()}
    return dataclasses.replace(ctx, extra=extra, tenant=ctx.tenant or actor.tenant)


@dataclasses.dataclass(frozen=True, slots=True)
class PreparedRead:
    """A read as the policies middleware would send it on, and how its result is scoped on the way back."""

    operation: Operation
    scope: ReadScope
    model: Model

    def finish(self, result: Any) -> Any:
        return scope_result(self.scope, self.model, self.operation.action, result)


def prepare_read(decider: PolicyDecider, operation: Operation) -> PreparedRead | None:
    """``operation`` (a model read) scoped exactly as `PolicyMiddleware` does; ``None``: policies do not apply."""
    from prisma_infra.policies.decider import policies_bypassed

    if not decider.enabled or policies_bypassed() or operation.model is None or operation.action.is_raw:
        return None
    if not decider.governs(operation.model) and not decider.models:
        return None
    actor = decider.view(operation.context.actor, operation.context.tenant)
    scope = ReadScope(decider, actor, operation.action)
    model = decider.schema.model(operation.model)
    args, action = scope_read(scope, model, operation.action, dict(operation.args))
    args = scope_selection(scope, model, args)
    scoped = dataclasses.replace(
        operation, action=action, args=args, context=scoped_context(operation.context, actor)
    )
    return PreparedRead(scoped, scope, model)


def kept_names(scope: ReadScope, model: str, names: Sequence[str], usage: str) -> list[str]:
    """Of ``names``, those ``usage`` may compute on (dropped ones left out; a refusal raises)."""
    return [name for name in names if scope.keep(model, name, usage)]

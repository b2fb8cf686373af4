"""The write side of access policies: field rules, linked rows and nested writes, at any depth.

`WriteCheck` walks the data of one create, update or upsert (and the ``Many``
forms) before it reaches the engine, and returns it rewritten:

- field rules: a relation that holds a foreign key stands for its key fields
  (``{"tenant": {"connect": ...}}`` writes ``tenantId``); a nested write that
  sets the *related* rows' key (``posts: {connect: ...}``, ``posts: {create: ...}``)
  writes those rows' key fields, checked against the related model's rules;
- links: ``connect``, ``connectOrCreate``, ``disconnect`` of a to-many, and a
  foreign key set directly, require the actor to read the linked row — and to
  update it when the key lives on that row. One look-up with the target's
  filter, in the operation's transaction, decides; missing and unreadable are
  refused alike (`AccessDeniedError`, rule ``link-unreadable``). The filter also
  joins the where-unique, so the write cannot reach a row that left the actor's
  scope in between;
- nested ``create``/``createMany``: checked like a top-level create (field
  rules, the target's create filter on the data in memory, at any depth);
- nested ``update``/``delete`` of a to-many by where-unique: a look-up with the
  target's update/delete filter refuses a row out of scope (rule
  ``nested-out-of-scope``) and the filter joins the where; ``updateMany``/
  ``deleteMany``: the filter joins the where (rows out of scope are left alone
  and not counted); a to-one ``update``/``delete``: the filter becomes the
  nested ``where`` (Prisma 5+), so a related row out of scope is "not found",
  as with a top-level update;
- ``upsert`` and ``connectOrCreate``: the filter joins the where, the create
  data is checked, and a row that exists but is out of scope is refused (as far
  as a create with the same key would tell that it exists);
- refused because the guarantee cannot be kept (rule ``nested-unchecked``):
  ``set`` into a model with a row filter (it disconnects rows it does not
  name), a to-one ``upsert`` into a model with an update filter (Prisma cannot
  filter it), ``disconnect`` of a to-one whose key is on the related row, when
  that model has an update filter.

Every where the caller gives in a nested write goes through the read-side
checks (`prisma_infra.policies.reads.scope_where`): a masked field in it is
refused like in a query.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from prisma_infra.errors import ValidationError
from prisma_infra.nested_writes import items, relation_writes, to_one_update
from prisma_infra.operation import Action, Operation, OperationContext
from prisma_infra.policies.create_rows import check_create_row
from prisma_infra.policies.reads import MAX_DEPTH, ReadScope, scope_where
from prisma_infra.policies.rules import AccessDeniedError, AccessPlan, all_of
from prisma_infra.policies.where import expand_unique, merge_where

if TYPE_CHECKING:
    from prisma_infra.schema import Field, Model, Relation

__all__ = ["WriteCheck", "with_foreign_keys"]

Execute = Callable[[Operation], Awaitable[Any]]

#: Nested operations on a relation that holds the foreign key which set (or clear) that key.
_SETS_KEY = frozenset({"connect", "connectOrCreate", "create", "disconnect", "upsert", "delete"})
#: Nested operations that change the related rows' key when the key lives on them.
_LINKS = frozenset({"connect", "connectOrCreate", "set", "disconnect"})


def with_foreign_keys(model: Model, data: Mapping[str, Any], extra: Sequence[str] = ()) -> dict[str, Any]:
    """The names ``data`` writes on ``model``, a relation that holds a key standing for its key fields.

    ``{"tenant": {"connect": ...}}`` writes ``tenantId`` as surely as ``{"tenantId": ...}``
    does, so field rules on the key fields must see it. ``extra``: key fields written
    implicitly (the related row's key of a nested create or connect).
    """
    names: dict[str, Any] = dict.fromkeys(data)
    for key, value in data.items():
        field = model.get_field(key) if isinstance(key, str) else None
        relation = field.relation if field is not None and field.is_relation else None
        if relation is None or not relation.holds_foreign_key or not isinstance(value, Mapping):
            continue
        if _SETS_KEY & set(value):
            names.update(dict.fromkeys(relation.fields))
    names.update(dict.fromkeys(extra))
    return names


def _known(model: Model, data: Any) -> dict[str, Any]:
    """The plain scalar values of ``data`` (what a nested create under it can take its key from)."""
    if not isinstance(data, Mapping):
        return {}
    out: dict[str, Any] = {}
    for key, value in data.items():
        field = model.get_field(key) if isinstance(key, str) else None
        if field is not None and not field.is_relation and not isinstance(value, Mapping | list | tuple):
            out[key] = value
    return out


class WriteCheck:
    """The checks of one write operation (see the module docstring); ``execute`` runs look-ups on the engine."""

    __slots__ = ("ctx", "execute", "scope")

    def __init__(self, scope: ReadScope, execute: Execute, ctx: OperationContext) -> None:
        self.scope = scope
        self.execute = execute
        self.ctx = ctx

    # -- entry points ------------------------------------------------------------------------

    def plan(self, model: str, action: Action) -> AccessPlan:
        """The plan of ``action`` on ``model``; an outright denial raises."""
        plan = self.scope.decider.plan(self.scope.actor, model, action)
        if plan.denial is not None:
            raise plan.denial.error(model, action.value)
        return plan

    async def create(
        self,
        model: Model,
        action: Action,
        data: Any,
        *,
        written: Sequence[str] = (),
        implied: Mapping[str, Any] | None = None,
        depth: int = 0,
    ) -> Any:
        """One row of a create (top-level or nested): checked and rewritten.

        ``written``/``implied``: key fields a nested create sets from its parent, and their values when known.
        """
        plan = self.plan(model.name, action)
        if not isinstance(data, Mapping):
            return data
        out = await self.data(model, action, data, known=_known(model, data), written=written, depth=depth)
        row = {**(implied or {}), **data}
        await check_create_row(self.scope.decider.schema, model, plan, row, self.execute, self.ctx)
        return out

    async def data(
        self,
        model: Model,
        action: Action,
        data: Any,
        *,
        known: Mapping[str, Any] | None = None,
        written: Sequence[str] = (),
        depth: int = 0,
    ) -> Any:
        """``data`` written to ``model`` by ``action``: field rules, links, nested writes; returns it rewritten.

        ``known``: values of the row being written (its key, for nested creates under it).
        """
        if not isinstance(data, Mapping):
            return data  # validation names the mistake
        if depth >= MAX_DEPTH:
            raise ValidationError(f"The data on {model.name} nests deeper than {MAX_DEPTH} levels.", model=model.name)
        decider = self.scope.decider
        decider.check_write(self.scope.actor, model.name, action, with_foreign_keys(model, data, written))
        await self._check_keys(model, data)
        out = dict(data)
        for key, field, relation, ops in relation_writes(model, data):
            out[key] = await self._relation(model, field, relation, ops, known or {}, depth + 1)
        return out

    # -- links -------------------------------------------------------------------------------

    async def _found(self, model: Model, where: Mapping[str, Any]) -> bool:
        keys = model.id_fields or tuple(f.name for f in model.scalar_fields[:1])
        lookup = Operation(
            model=model.name,
            action=Action.FIND_FIRST,
            args={"where": expand_unique(model, where), "select": dict.fromkeys(keys, True)},
            context=OperationContext(transaction=self.ctx.transaction, deadline=self.ctx.deadline),
        )
        return await self.execute(lookup) is not None

    def _link_scope(self, target: Model, key_on_target: bool) -> tuple[Mapping[str, Any] | None, str | None]:
        """The rows of ``target`` the actor may link (read, and update when the key is on them), and the policy."""
        read = self.scope.read_plan(target.name)
        if read.denial is not None:
            raise read.denial.error(target.name, "connect")
        parts = [read.filter]
        policy = read.default_policy
        if key_on_target:
            update = self.plan(target.name, Action.UPDATE)
            if update.filter != read.filter:  # one rule for all actions: the same filter once
                parts.append(update.filter)
            policy = policy or update.default_policy
        return all_of([p for p in parts if p is not None]), policy

    @staticmethod
    def _unreachable(model: Model, field: Field, target: Model, op: str, policy: str | None) -> AccessDeniedError:
        return AccessDeniedError(
            f"{model.name}.{field.name} ({op}) names a {target.name} that does not exist or that the actor may not "
            "read.",
            policy=policy,
            rule="link-unreadable",
            model=target.name,
            action=op,
        )

    async def _check_keys(self, model: Model, data: Mapping[str, Any]) -> None:
        """A foreign key set directly links a row like ``connect`` does: the actor must read it."""
        for field in model.relation_fields:
            relation = field.relation
            if relation is None or not relation.holds_foreign_key or not self.scope.decider.governs(field.type):
                continue
            given = {fk: data[fk] for fk in relation.fields if fk in data}
            if not given:
                continue
            given = {fk: v.get("set") if isinstance(v, Mapping) and set(v) == {"set"} else v for fk, v in given.items()}
            if all(v is None for v in given.values()):
                continue  # clearing the key links nothing
            target = self.scope.decider.schema.model(field.type)
            scope, policy = self._link_scope(target, key_on_target=False)
            if scope is None:
                continue
            if len(given) < len(relation.fields) or any(isinstance(v, Mapping) for v in given.values()):
                raise self._unreachable(model, field, target, "connect", policy)  # a partial or computed key
            keys = {ref: given[fk] for fk, ref in zip(relation.fields, relation.references, strict=False)}
            if not await self._found(target, merge_where(keys, scope)):
                raise self._unreachable(model, field, target, "connect", policy)

    async def _link(self, model: Model, field: Field, target: Model, where: Any, *, on_target: bool, op: str) -> Any:
        """A where-unique naming a row to link: refused when out of the actor's scope; returns it with the filter."""
        if not isinstance(where, Mapping):
            return where
        where = scope_where(self.scope, target, where)
        scope, policy = self._link_scope(target, on_target)
        if scope is None:
            return where
        where = merge_where(where, scope)
        if not await self._found(target, where):
            raise self._unreachable(model, field, target, op, policy)
        return where

    # -- nested writes -----------------------------------------------------------------------

    def _unchecked(self, model: Model, field: Field, op: str, why: str) -> AccessDeniedError:
        return AccessDeniedError(
            f"Nested '{op}' through {model.name}.{field.name} is refused: {why}. Write {field.type} with its own "
            "operation.",
            rule="nested-unchecked",
            model=field.type,
            action=op,
        )

    async def _relation(
        self,
        model: Model,
        field: Field,
        relation: Relation,
        ops: Mapping[str, Any],
        known: Mapping[str, Any],
        depth: int,
    ) -> dict[str, Any]:
        target = self.scope.decider.schema.model(field.type)
        # The key lives on the related rows (a back relation): linking or creating them sets it.
        on_target = not relation.holds_foreign_key and not relation.is_implicit_many_to_many
        back = relation.fields if on_target else ()
        pairs = zip(relation.fields, relation.references, strict=False)
        implied = {fk: known[ref] for fk, ref in pairs if ref in known}
        if on_target and _LINKS & set(ops):
            self.scope.decider.check_write(self.scope.actor, target.name, Action.UPDATE, dict.fromkeys(back))
        out: dict[str, Any] = {}
        for op, arg in ops.items():
            if op == "create":
                out[op] = await self._each(
                    arg, lambda row: self.create(target, Action.CREATE, row, written=back, implied=implied, depth=depth)
                )
            elif op == "createMany" and isinstance(arg, Mapping):
                rows = [
                    await self.create(target, Action.CREATE_MANY, row, written=back, implied=implied, depth=depth)
                    for row in items(arg.get("data"))
                ]
                out[op] = {**arg, "data": rows if isinstance(arg.get("data"), list | tuple) else rows[0]}
            elif op in ("connect", "disconnect") and (field.is_list or op == "connect"):
                out[op] = await self._each(arg, partial(self._link, model, field, target, on_target=on_target, op=op))
            elif op == "disconnect":  # a to-one: clears this row's key, or the related row's
                if on_target and self._link_scope(target, True)[0] is not None:
                    raise self._unchecked(model, field, op, f"the key is on {target.name}, which has a row filter")
                out[op] = arg
            elif op == "set":
                if self._link_scope(target, on_target)[0] is not None:
                    raise self._unchecked(model, field, op, "it disconnects rows it does not name")
                out[op] = await self._each(arg, partial(self._link, model, field, target, on_target=on_target, op=op))
            elif op == "connectOrCreate":
                out[op] = await self._each(
                    arg, lambda item: self._connect_or_create(model, field, target, item, back, implied, depth)
                )
            elif op in ("update", "delete", "upsert") and field.is_list:
                to_many = partial(self._to_many, model, field, target, op=op, back=back, implied=implied, depth=depth)
                out[op] = await self._each(arg, to_many)
            elif op in ("update", "delete", "upsert"):
                out[op] = await self._to_one(model, field, target, op, arg, back, implied, depth)
            elif op in ("updateMany", "deleteMany"):
                out[op] = await self._each(arg, partial(self._many, target, op=op, depth=depth))
            else:
                out[op] = arg  # not a nested write Prisma knows: its validation names it
        return out

    @staticmethod
    async def _each(arg: Any, check: Callable[[Any], Awaitable[Any]]) -> Any:
        if isinstance(arg, list | tuple):
            return [await check(item) for item in arg]
        return await check(arg)

    async def _connect_or_create(
        self,
        model: Model,
        field: Field,
        target: Model,
        item: Any,
        back: Sequence[str],
        implied: Mapping[str, Any],
        depth: int,
    ) -> Any:
        if not isinstance(item, Mapping):
            return item
        on_target = bool(back)
        create = await self.create(
            target, Action.CREATE, item.get("create"), written=back, implied=implied, depth=depth
        )
        where = scope_where(self.scope, target, item.get("where"))
        scope, policy = self._link_scope(target, on_target)
        if scope is not None and isinstance(where, Mapping):
            scoped = merge_where(where, scope)
            if not await self._found(target, scoped) and await self._found(target, where):
                raise self._unreachable(model, field, target, "connectOrCreate", policy)
            where = scoped
        return {**item, "where": where, "create": create}

    async def _to_many(
        self,
        model: Model,
        field: Field,
        target: Model,
        item: Any,
        *,
        op: str,
        back: Sequence[str],
        implied: Mapping[str, Any],
        depth: int,
    ) -> Any:
        """``update``/``delete``/``upsert`` of one related row named by a where-unique."""
        if not isinstance(item, Mapping):
            return item
        action = Action.DELETE if op == "delete" else Action.UPDATE
        where = scope_where(self.scope, target, item if op == "delete" else item.get("where"))
        plan = self.plan(target.name, action)
        out: dict[str, Any] = {} if op == "delete" else dict(item)
        if op == "update":
            out["data"] = await self.data(
                target, Action.UPDATE, item.get("data"), known=_known(target, where), depth=depth
            )
        elif op == "upsert":
            out["update"] = await self.data(
                target, Action.UPDATE, item.get("update"), known=_known(target, where), depth=depth
            )
            out["create"] = await self.create(
                target, Action.CREATE, item.get("create"), written=back, implied=implied, depth=depth
            )
        if plan.filter is not None and isinstance(where, Mapping):
            scoped = merge_where(where, plan.filter)
            # upsert: a row out of scope would not match and the create would run (or hit the key)
            if not await self._found(target, scoped) and (op != "upsert" or await self._found(target, where)):
                raise AccessDeniedError(
                    f"{model.name}.{field.name} ({op}) names a {target.name} that does not exist or that the actor "
                    f"may not {action.value}.",
                    policy=plan.default_policy,
                    rule="nested-out-of-scope",
                    model=target.name,
                    action=op,
                )
            where = scoped
        if op == "delete":
            return where
        out["where"] = where
        return out

    async def _to_one(
        self,
        model: Model,
        field: Field,
        target: Model,
        op: str,
        arg: Any,
        back: Sequence[str],
        implied: Mapping[str, Any],
        depth: int,
    ) -> Any:
        """``update``/``delete``/``upsert`` of the one related row: the filter becomes the nested ``where``."""
        plan = self.plan(target.name, Action.DELETE if op == "delete" else Action.UPDATE)
        if op == "delete":
            if plan.filter is None or arg is False:
                return arg
            given = scope_where(self.scope, target, arg) if isinstance(arg, Mapping) else {}
            return merge_where(given, plan.filter)
        if op == "upsert":
            if plan.filter is not None:
                raise self._unchecked(model, field, op, f"{target.name}'s update filter cannot be applied to it")
            if not isinstance(arg, Mapping):
                return arg
            update = await self.data(target, Action.UPDATE, arg.get("update"), depth=depth)
            create = await self.create(
                target, Action.CREATE, arg.get("create"), written=back, implied=implied, depth=depth
            )
            return {**arg, "update": update, "create": create}
        given, data = to_one_update(target, arg)
        where = scope_where(self.scope, target, given) if given is not None else None
        data = await self.data(target, Action.UPDATE, data, depth=depth)
        if plan.filter is not None:
            where = merge_where(where, plan.filter)
        return data if where is None else {"where": where, "data": data}

    async def _many(self, target: Model, item: Any, *, op: str, depth: int) -> Any:
        """``updateMany``/``deleteMany``: the filter joins the where, so rows out of scope are left alone."""
        if op == "deleteMany":
            plan = self.plan(target.name, Action.DELETE_MANY)
            where = scope_where(self.scope, target, item) if isinstance(item, Mapping) else item
            if plan.filter is None:
                return where
            return merge_where(where if isinstance(where, Mapping) else {}, plan.filter)
        if not isinstance(item, Mapping):
            return item
        plan = self.plan(target.name, Action.UPDATE_MANY)
        where = scope_where(self.scope, target, item.get("where"))
        data = await self.data(target, Action.UPDATE_MANY, item.get("data"), depth=depth)
        if plan.filter is not None:
            where = merge_where(where, plan.filter)
        return {**item, "where": where if where is not None else {}, "data": data}

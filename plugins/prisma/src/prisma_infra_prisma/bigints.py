"""Arguments typed by the schema's fields: every ``int`` of a ``BigInt`` field travels as BigInt.

An ``int`` sent as a JavaScript number is a double in the bridge: on SQLite ``increment: 1`` on
``2**53 + 1`` gave ``2**53`` (`codec.encode` tags only the ints beyond ``2**53 - 1``).
`encode_bigints` tags every ``int`` of a ``BigInt`` field, whatever its size: data and the update
operations (``set``, ``increment``, ``decrement``, ``multiply``, ``divide``), filters (``equals``,
``in``, ``gt``, ``not``, ...), where-uniques and compound keys, cursors, ``having``, createMany rows,
upserts and nested writes at any depth, and the wheres of included relations.

Planned once per schema: a model with no BigInt field, nor a relation leading to one, costs one
dict look-up per operation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prisma_infra_sdk import Schema

from prisma_infra_prisma.typed import names, reaching

__all__ = ["encode_bigints"]

_LOGICAL = ("AND", "OR", "NOT")
# In a BigInt field's filter these hold an Int (``_count``), a Float (``_avg``) or a word, not a BigInt.
_UNTYPED_FILTERS = frozenset({"_count", "_avg", "mode"})
_UNKNOWN: Any = object()


def _tag(value: Any) -> Any:
    """An ``int`` (never a bool) as a tagged BigInt; lists and operation dicts walked."""
    kind = type(value)
    if kind is int:
        return {"$type": "BigInt", "value": str(value)}
    if kind is list or kind is tuple:
        return [_tag(v) for v in value]
    if kind is dict and "$type" not in value:
        return {k: v if k in _UNTYPED_FILTERS else _tag(v) for k, v in value.items()}
    return value


class _BigIntWalk:
    """The argument walk for one schema (memoised on it)."""

    __slots__ = ("bigints", "names", "reaching", "relations", "schema", "uniques")

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.reaching = reaching(schema, lambda m: bool(names(m, "BigInt")))
        #: Model name as operations spell it -> the schema's name, or None when nothing is typed.
        self.names: dict[str, str | None] = {m.name: m.name if m.name in self.reaching else None for m in schema.models}
        self.bigints = {m.name: names(m, "BigInt") for m in schema.models}
        self.relations = {m.name: {f.name: (f.type, f.is_list) for f in m.relation_fields} for m in schema.models}
        # Compound where-unique keys (``a_b: {a, b}``) holding a BigInt field.
        self.uniques = {
            m.name: frozenset(
                u.key
                for u in ((m.primary_key,) if m.primary_key else ()) + m.unique_constraints
                if u.is_compound and any(f in self.bigints[m.name] for f in u.fields)
            )
            for m in schema.models
        }

    def args(self, model: str, args: Any) -> Any:
        if type(args) is not dict:
            return args
        out = dict(args)
        for key, value in args.items():
            if key in ("where", "having", "cursor"):
                out[key] = self.where(model, value)
            elif key in ("data", "create", "update"):
                out[key] = self.each(value, lambda d: self.data(model, d))
            elif key in ("include", "select"):
                out[key] = self.selection(model, value)
        return out

    def each(self, value: Any, walk: Callable[[Any], Any]) -> Any:
        if type(value) is list or type(value) is tuple:
            return [walk(v) for v in value]
        return walk(value)

    def where(self, model: str, where: Any) -> Any:
        if type(where) is not dict or model not in self.reaching:
            return where
        bigints, relations, uniques = self.bigints[model], self.relations[model], self.uniques[model]
        out = dict(where)
        for key, value in where.items():
            if key in bigints:
                out[key] = _tag(value)
            elif key in _LOGICAL:
                out[key] = self.each(value, lambda w: self.where(model, w))
            elif key in uniques:
                out[key] = self.where(model, value)
            elif key in relations:
                target, _ = relations[key]
                out[key] = self.relation_filter(target, value)
        return out

    def relation_filter(self, target: str, value: Any) -> Any:
        if type(value) is not dict:
            return value
        ops = ("some", "every", "none", "is", "isNot")
        if value and all(k in ops for k in value):
            return {k: self.where(target, v) for k, v in value.items()}
        return self.where(target, value)  # a to-one shorthand

    def selection(self, model: str, selection: Any) -> Any:
        if type(selection) is not dict:
            return selection
        relations = self.relations[model]
        out = dict(selection)
        for key, value in selection.items():
            if key == "_count" and type(value) is dict and "select" in value:
                out[key] = {**value, "select": self.selection(model, value["select"])}
            elif key in relations and type(value) is dict:
                out[key] = self.args(relations[key][0], value)
        return out

    def data(self, model: str, data: Any) -> Any:
        if type(data) is not dict or model not in self.reaching:
            return data
        bigints, relations = self.bigints[model], self.relations[model]
        out = dict(data)
        for key, value in data.items():
            if key in bigints:
                out[key] = _tag(value)
            elif key in relations and type(value) is dict:
                target, to_many = relations[key]
                out[key] = self.nested(target, to_many, value)
        return out

    def nested(self, target: str, to_many: bool, ops: dict[str, Any]) -> Any:
        out = dict(ops)
        for op, value in ops.items():
            if op in ("connect", "disconnect", "delete", "set", "deleteMany"):
                out[op] = self.each(value, lambda w: self.where(target, w))
            elif op == "create":
                out[op] = self.each(value, lambda d: self.data(target, d))
            elif op in ("connectOrCreate", "upsert", "updateMany", "createMany"):
                out[op] = self.each(value, lambda a: self.args(target, a))
            elif op == "update":
                out[op] = self.each(value, lambda u: self.update(target, to_many, u))
        return out

    def update(self, target: str, to_many: bool, value: Any) -> Any:
        # To-many updates are {where, data}; a to-one update is the data itself or {where?, data}.
        if type(value) is not dict:
            return value
        wrapped = "data" in value and {"where", "data"}.issuperset(value)
        if to_many or (wrapped and not self.schema.model(target).has_field("data")):
            return self.args(target, value)
        return self.data(target, value)


def encode_bigints(schema: Schema, model: str | None, args: Any) -> Any:
    """``args`` (already `codec.encode`-d) with every ``int`` of a BigInt field tagged as BigInt.

    Returns ``args`` itself for models that reach no BigInt field; otherwise a copy of what it walks.
    """
    if model is None or type(args) is not dict:
        return args
    walk: _BigIntWalk | None = schema._memo.get(_BigIntWalk)
    if walk is None:
        walk = schema._memo[_BigIntWalk] = _BigIntWalk(schema)
    name = walk.names.get(model, _UNKNOWN)
    if name is _UNKNOWN:
        found = schema.get_model(model)
        name = walk.names[model] = found.name if found is not None and found.name in walk.reaching else None
    return args if name is None else walk.args(name, args)

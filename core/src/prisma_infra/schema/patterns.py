"""``contains``/``startsWith``/``endsWith`` match their text literally, on every provider.

Prisma turns these filters (and Json's ``string_contains``/``string_starts_with``/
``string_ends_with``) into SQL ``LIKE`` and escapes nothing, so ``%``, ``_``
and ``\\`` in a value would act as wildcards (``contains: "%"`` matching every
row). `literal_patterns` escapes them with a backslash in the values of those
filters on String fields, wherever a ``where`` appears in an operation's
arguments: the top level, ``AND``/``OR``/``NOT``, relation filters at any depth,
``having``, the ``where`` of included or selected relations and of ``_count``
selections, and the wheres of nested writes inside ``data``. PostgreSQL and
MariaDB read ``\\`` as LIKE's escape character by default (for ``ILIKE`` too);
on SQLite the Prisma bridge adds ``ESCAPE '\\'`` to the patterns the query
compiler builds. The engine calls this on every model operation it sends, so the
database agrees with the in-memory evaluator (`prisma_infra.policies.evaluator`),
which compares the text as it is. Raw SQL is never touched.

The walk copies only what it changes: arguments without such a filter come back
as the very same object.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from prisma_infra.schema.model import Model, Schema

__all__ = ["escape_like", "literal_patterns"]

_LIKE_OPS = ("contains", "startsWith", "endsWith")
_JSON_LIKE_OPS = ("string_contains", "string_starts_with", "string_ends_with")
# ``not`` nests a filter; ``_min``/``_max`` filter aggregates of the field in ``having``.
_NESTED_OPS = ("not", "_min", "_max")
_LOGICAL = ("AND", "OR", "NOT")
_TO_MANY = ("some", "every", "none")
_TO_ONE = frozenset({"is", "isNot"})
_WHERE_WRITES = ("connect", "disconnect", "delete", "set", "deleteMany")
_NO_RELATIONS_IN_DATA = frozenset({"createMany", "createManyAndReturn", "updateMany", "updateManyAndReturn"})


def escape_like(text: str) -> str:
    """``text`` as a LIKE pattern matching itself: ``\\``, ``%`` and ``_`` escaped with ``\\``."""
    if "\\" in text or "%" in text or "_" in text:
        return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return text


def literal_patterns(schema: Schema, model: str, action: str, args: Any) -> Any:
    """``args`` of ``action`` on ``model`` (its exact name) with every LIKE filter value escaped (see the module)."""
    if not _is_map(args):
        return args
    walk: _Walk | None = schema._memo.get(_Walk)
    if walk is None:
        walk = schema._memo[_Walk] = _Walk(schema)
    if model not in walk.models:
        found = schema.get_model(model)
        if found is None:
            return args  # the engine reports the unknown model, as it would without this walk
        model = found.name
    return walk.args(model, args, action not in _NO_RELATIONS_IN_DATA)


def _is_map(value: Any) -> bool:
    # The exact type first: Mapping's isinstance costs more than the rest of a small walk.
    return type(value) is dict or isinstance(value, Mapping)


def _replace(mapping: Mapping[str, Any], changes: dict[str, Any] | None) -> Any:
    if changes is None:
        return mapping
    out = dict(mapping)
    out.update(changes)
    return out


def _each(value: Any, walk: Callable[[Any], Any]) -> Any:
    """``walk`` over one mapping or each of a list of them (``AND: [...]``, ``create: [...]``)."""
    if type(value) is list or type(value) is tuple:
        items = [walk(item) for item in value]
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    return walk(value)


def _escaped(value: Mapping[str, Any], ops: tuple[str, ...]) -> dict[str, Any] | None:
    changes: dict[str, Any] | None = None
    for op in ops:
        arg = value.get(op)
        if isinstance(arg, str):
            escaped = escape_like(arg)
            if escaped is not arg:
                changes = changes or {}
                changes[op] = escaped
    return changes


def _json_filter(value: Any) -> Any:
    # Its ``not`` is a Json value, not a filter.
    return _replace(value, _escaped(value, _JSON_LIKE_OPS)) if _is_map(value) else value


def _string_filter(value: Any) -> Any:
    if not _is_map(value):
        return value  # equality: no pattern
    changes = _escaped(value, _LIKE_OPS)
    for op in _NESTED_OPS:
        sub = value.get(op)
        if _is_map(sub):
            new = _string_filter(sub)
            if new is not sub:
                changes = changes or {}
                changes[op] = new
    return _replace(value, changes)


@dataclass(frozen=True, slots=True)
class _Relation:
    target: str
    to_many: bool


#: Per model, the fields the walk looks at: ``"String"``, ``"Json"`` or a relation.
_Kinds = dict[str, "str | _Relation"]


def _kinds(model: Model) -> _Kinds:
    kinds: _Kinds = {}
    for field in model.fields:
        if field.kind == "object":
            kinds[field.name] = _Relation(field.type, field.is_list)
        elif field.kind == "scalar" and field.type in ("String", "Json") and not field.is_list:
            kinds[field.name] = field.type
    return kinds


class _Walk:
    """The walk for one schema (made once per schema: `Schema` memoises it)."""

    __slots__ = ("models", "schema")

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.models = {model.name: _kinds(model) for model in schema.models}

    def args(self, model: str, args: Mapping[str, Any], relations_in_data: bool = True) -> Any:
        """The arguments of an operation or of an included/selected relation."""
        changes: dict[str, Any] | None = None
        for key, value in args.items():
            if key in ("where", "having"):
                new = self.where(model, value)
            elif key in ("include", "select"):
                new = self.selection(model, value)
            elif key in ("data", "create", "update") and relations_in_data:  # create/update: upsert
                new = _each(value, partial(self.data, model))
            else:
                continue
            if new is not value:
                changes = changes or {}
                changes[key] = new
        return _replace(args, changes)

    def where(self, model: str, where: Any) -> Any:
        if not _is_map(where):
            return where
        kinds = self.models[model]
        changes: dict[str, Any] | None = None
        for key, value in where.items():
            kind = kinds.get(key)
            if kind is None:
                if key not in _LOGICAL:
                    continue  # another scalar, or a compound unique key: no pattern
                new = _each(value, partial(self.where, model))
            elif kind == "String":
                new = _string_filter(value)
            elif kind == "Json":
                new = _json_filter(value)
            else:
                assert isinstance(kind, _Relation)
                new = self.relation_filter(kind, value)
            if new is not value:
                changes = changes or {}
                changes[key] = new
        return _replace(where, changes)

    def relation_filter(self, relation: _Relation, value: Any) -> Any:
        if not _is_map(value):
            return value
        target = relation.target
        if relation.to_many:
            ops: Any = _TO_MANY
        elif value and _TO_ONE.issuperset(value):
            ops = _TO_ONE
        else:  # a to-one shorthand: a where on the related model
            return self.where(target, value)
        changes: dict[str, Any] | None = None
        for op in ops:
            sub = value.get(op)
            new = self.where(target, sub)
            if new is not sub:
                changes = changes or {}
                changes[op] = new
        return _replace(value, changes)

    def selection(self, model: str, selection: Any) -> Any:
        """``include``/``select``: the arguments of each relation, and ``_count: {select: {rel: {where}}}``."""
        if not _is_map(selection):
            return selection
        kinds = self.models[model]
        changes: dict[str, Any] | None = None
        for key, value in selection.items():
            if not _is_map(value):
                continue
            if key == "_count":
                new = _replace(value, self.changed(model, "select", value, self.selection))
            else:
                kind = kinds.get(key)
                if not isinstance(kind, _Relation):
                    continue
                new = self.args(kind.target, value)
            if new is not value:
                changes = changes or {}
                changes[key] = new
        return _replace(selection, changes)

    def changed(
        self, model: str, key: str, value: Mapping[str, Any], walk: Callable[[str, Any], Any]
    ) -> dict[str, Any] | None:
        sub = value.get(key)
        new = walk(model, sub)
        return None if new is sub else {key: new}

    def data(self, model: str, data: Any) -> Any:
        """Nested writes: the wheres they carry, and the data of nested creates and updates."""
        if not _is_map(data):
            return data
        kinds = self.models[model]
        changes: dict[str, Any] | None = None
        for key, value in data.items():
            kind = kinds.get(key)
            if not isinstance(kind, _Relation) or not _is_map(value):
                continue  # a value written, not a filter
            new = self.nested(kind, value)
            if new is not value:
                changes = changes or {}
                changes[key] = new
        return _replace(data, changes)

    def nested(self, relation: _Relation, ops: Mapping[str, Any]) -> Any:
        target = relation.target
        changes: dict[str, Any] | None = None
        for op, value in ops.items():
            if op in _WHERE_WRITES:
                new = _each(value, partial(self.where, target))
            elif op == "create":
                new = _each(value, partial(self.data, target))
            elif op in ("connectOrCreate", "upsert", "updateMany"):
                new = _each(value, partial(self.args, target, relations_in_data=op != "updateMany"))
            elif op == "update":
                new = _each(value, partial(self.update, target, relation.to_many))
            else:
                continue  # createMany: rows without relations
            if new is not value:
                changes = changes or {}
                changes[op] = new
        return _replace(ops, changes)

    def update(self, target: str, to_many: bool, value: Any) -> Any:
        # To-many updates are {where, data}; a to-one update is the data itself or {where?, data}.
        if not _is_map(value):
            return value
        wrapped = "data" in value and {"where", "data"}.issuperset(value)
        if to_many or (wrapped and not self.schema.model(target).has_field("data")):
            return self.args(target, value)
        return self.data(target, value)

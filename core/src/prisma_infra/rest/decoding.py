"""Request bodies and JSON ``where`` filters of the REST API as Prisma arguments.

`decode_input` reads a create/update body: every key must be a visible field of the model (else
`UnknownFieldError` with the closest visible match); scalar values are converted by type
(`prisma_infra.rest.values.decode_value`), including inside update operations
(``{"views": {"increment": 1}}``) and scalar lists; a relation field holds nested writes
(``create``, ``connect``, ``connectOrCreate``, ``update``, ``upsert``, ``set``, ``delete``...) kept as
operations, their data and where-uniques converted by the related model. `decode_where` converts
the values of a Prisma ``where`` (logical operators, scalar filters, relation filters, compound
unique keys) the same way. Neither checks more than names and encodings: the pipeline's input
check judges the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any, Final

from prisma_infra.errors import UnknownFieldError, ValidationError, closest_match
from prisma_infra.nested_writes import to_one_update
from prisma_infra.rest.values import Hidden, decode_value

if TYPE_CHECKING:
    from prisma_infra.schema import Field, Model, Schema

__all__ = ["decode_input", "decode_where"]

#: Update operations of a scalar field (their value has the field's type; ``push`` an element or a list).
_SCALAR_UPDATES: Final = frozenset({"set", "increment", "decrement", "multiply", "divide", "push"})
#: Filters of a scalar field whose value has the field's type (``in``/``notIn``/``has*``: a list of them).
_VALUE_FILTERS: Final = frozenset(
    {"equals", "lt", "lte", "gt", "gte", "contains", "startsWith", "endsWith", "has", "search"}
)
_LIST_FILTERS: Final = frozenset({"in", "notIn", "hasSome", "hasEvery"})
_NESTED_WRITES: Final = (
    "create",
    "createMany",
    "connect",
    "connectOrCreate",
    "disconnect",
    "set",
    "update",
    "updateMany",
    "upsert",
    "delete",
    "deleteMany",
)
_LOGICAL: Final = frozenset({"AND", "OR", "NOT"})


class _Decoder:
    """One request's walk: the schema, what is hidden, and where in the request it is."""

    __slots__ = ("hidden", "schema")

    def __init__(self, schema: Schema, hidden: Hidden | None) -> None:
        self.schema = schema
        self.hidden = hidden

    # names ---------------------------------------------------------------------------------------

    def _visible(self, model: Model) -> list[str]:
        hidden = self.hidden
        return [f.name for f in model.fields if hidden is None or not hidden(model.name, f.name)]

    def field(self, model: Model, name: Any, where: str) -> Field:
        found = model.get_field(name) if isinstance(name, str) else None
        if found is None or (self.hidden is not None and self.hidden(model.name, found.name)):
            raise UnknownFieldError(model.name, str(name), self._visible(model), where=where)
        return found

    def _shape(self, model: Model, what: str, where: str) -> ValidationError:
        return ValidationError(
            f"Invalid {what} for model {model.name!r} in {where}: expected an object.", model=model.name
        )

    # data ----------------------------------------------------------------------------------------

    def data(self, model: Model, data: Any, where: str) -> Any:
        if isinstance(data, list):
            return [self.data(model, item, f"{where}[{i}]") for i, item in enumerate(data)]
        if not isinstance(data, Mapping):
            raise self._shape(model, "data", where)
        out: dict[str, Any] = {}
        for key, value in data.items():
            field = self.field(model, key, where)
            place = f"{where}.{key}"
            if field.kind == "object":
                out[key] = self.nested(model, field, value, place)
            else:
                out[key] = self.scalar_data(model, field, value, place)
        return out

    def scalar_data(self, model: Model, field: Field, value: Any, where: str) -> Any:
        if isinstance(value, Mapping) and (field.type != "Json" or field.is_list):
            return {op: self._scalar_operand(model, field, op, arg, where) for op, arg in value.items()}
        return self.value(model, field, value, where)

    def _scalar_operand(self, model: Model, field: Field, op: Any, arg: Any, where: str) -> Any:
        if op not in _SCALAR_UPDATES:
            return arg  # the input check names an unknown operation
        if op == "push" and not isinstance(arg, list):
            return decode_value(field, arg, model=model.name, where=f"{where}.{op}")
        return self.value(model, field, arg, f"{where}.{op}")

    def value(self, model: Model, field: Field, value: Any, where: str) -> Any:
        if field.is_list and isinstance(value, list):
            return [decode_value(field, v, model=model.name, where=where) for v in value]
        return decode_value(field, value, model=model.name, where=where)

    # nested writes -------------------------------------------------------------------------------

    def nested(self, model: Model, field: Field, ops: Any, where: str) -> Any:
        if not isinstance(ops, Mapping):
            raise ValidationError(
                f"Invalid nested write for {model.name}.{field.name} in {where}: expected an object of "
                f"operations ({', '.join(_NESTED_WRITES)}).",
                model=model.name,
                field=field.name,
            )
        target = self.schema.model(field.type)
        out: dict[str, Any] = {}
        for op, arg in ops.items():
            if op not in _NESTED_WRITES:
                hint = closest_match(str(op), _NESTED_WRITES)
                suggestion = f" Did you mean {hint!r}?" if hint else ""
                raise ValidationError(
                    f"Unknown nested write {str(op)!r} for {model.name}.{field.name} in {where}.{suggestion}",
                    model=model.name,
                    field=field.name,
                )
            out[op] = self._each(arg, partial(self._operation, field, target, op), f"{where}.{op}")
        return out

    @staticmethod
    def _each(arg: Any, convert: Callable[[Any, str], Any], where: str) -> Any:
        if isinstance(arg, list):
            return [convert(item, f"{where}[{i}]") for i, item in enumerate(arg)]
        return convert(arg, where)

    def _operation(self, field: Field, target: Model, op: str, arg: Any, where: str) -> Any:
        if isinstance(arg, bool) and op in ("disconnect", "delete"):
            return arg
        if op == "create":
            return self.data(target, arg, where)
        if op in ("connect", "set", "disconnect", "delete"):
            return self.where(target, arg, where)
        if op == "deleteMany":
            return self.where(target, arg, where)
        if not isinstance(arg, Mapping):
            raise self._shape(target, op, where)
        if op == "createMany":
            return {**arg, "data": self._each(arg.get("data"), lambda d, p: self.data(target, d, p), f"{where}.data")}
        if op == "connectOrCreate":
            return self._parts(target, arg, where, where_key=True, data_keys=("create",))
        if op == "upsert":
            return self._parts(target, arg, where, where_key=True, data_keys=("create", "update"))
        if op == "updateMany":
            return self._parts(target, arg, where, where_key=True, data_keys=("data",))
        # update: to-many {where, data}; to-one the data itself or {where, data}
        if field.is_list:
            return self._parts(target, arg, where, where_key=True, data_keys=("data",))
        _, data = to_one_update(target, arg)
        if data is arg:
            return self.data(target, arg, where)
        return self._parts(target, arg, where, where_key=True, data_keys=("data",))

    def _parts(
        self, target: Model, arg: Mapping[str, Any], where: str, *, where_key: bool, data_keys: tuple[str, ...]
    ) -> dict[str, Any]:
        out = dict(arg)
        if where_key and "where" in arg:
            out["where"] = self.where(target, arg["where"], f"{where}.where")
        for key in data_keys:
            if key in arg:
                out[key] = self.data(target, arg[key], f"{where}.{key}")
        return out

    # where ---------------------------------------------------------------------------------------

    def where(self, model: Model, filter_: Any, where: str) -> Any:
        if not isinstance(filter_, Mapping):
            raise self._shape(model, "where", where)
        out: dict[str, Any] = {}
        compounds = model.unique_keys
        for key, value in filter_.items():
            place = f"{where}.{key}"
            if key in _LOGICAL:
                out[key] = self._each(value, lambda item, p: self.where(model, item, p), place)
            elif isinstance(key, str) and key not in model.field_names and len(compounds.get(key, ())) > 1:
                out[key] = self._compound(model, compounds[key], value, place)
            else:
                field = self.field(model, key, where)
                if field.kind == "object":
                    out[key] = self._relation_filter(field, value, place)
                else:
                    out[key] = self._scalar_filter(model, field, value, place)
        return out

    def _compound(self, model: Model, fields: tuple[str, ...], value: Any, where: str) -> Any:
        if not isinstance(value, Mapping):
            raise self._shape(model, "compound key", where)
        allowed = set(fields)
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key not in allowed:
                raise UnknownFieldError(model.name, str(key), list(fields), where=where)
            field = self.field(model, key, where)
            out[key] = self.value(model, field, item, f"{where}.{key}")
        return out

    def _relation_filter(self, field: Field, value: Any, where: str) -> Any:
        target = self.schema.model(field.type)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            raise self._shape(target, "relation filter", where)
        keys = ("some", "every", "none") if field.is_list else ("is", "isNot")
        if not field.is_list and not set(value) & set(keys):
            return self.where(target, value, where)  # a to-one filter given directly
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key in keys:
                out[key] = None if item is None else self.where(target, item, f"{where}.{key}")
            else:
                out[key] = item  # the input check names an unknown relation filter
        return out

    def _scalar_filter(self, model: Model, field: Field, value: Any, where: str) -> Any:
        if not isinstance(value, Mapping) or field.type == "Json":
            return self.value(model, field, value, where)
        out: dict[str, Any] = {}
        for op, arg in value.items():
            place = f"{where}.{op}"
            if op in _VALUE_FILTERS:
                out[op] = self.value(model, field, arg, place)
            elif op in _LIST_FILTERS and isinstance(arg, list):
                out[op] = [decode_value(field, v, model=model.name, where=place) for v in arg]
            elif op == "not":
                out[op] = self._scalar_filter(model, field, arg, place)
            else:
                out[op] = arg  # mode, isEmpty, ... and unknown operations for the input check
        return out


def decode_input(model: Model, schema: Schema, data: Any, *, where: str, hidden: Hidden | None = None) -> Any:
    """A create/update body (a mapping, or a list of them for many rows) as Prisma ``data``.

    :raises UnknownFieldError: a key is not a visible field of its model (``hidden`` ones included).
    :raises ValidationError: a value is not in the API's encoding of its type, or a nested write is unknown.
    """
    return _Decoder(schema, hidden).data(model, data, where)


def decode_where(model: Model, schema: Schema, filter: Any, *, where: str, hidden: Hidden | None = None) -> Any:
    """A Prisma ``where`` read from JSON, its values converted by type (see the module text)."""
    return _Decoder(schema, hidden).where(model, filter, where)

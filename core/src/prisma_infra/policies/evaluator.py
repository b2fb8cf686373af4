"""An in-memory evaluator of Prisma ``where`` filters, with SQL's three-valued logic.

A policy's row filter is pushed into the query as a Prisma ``where``; the same
dict is evaluated here against one record, so that ``policies.check(...)`` on a
record and the database agree. The database decides with SQL, where a
comparison with ``NULL`` is *unknown*, ``NOT unknown`` is still unknown, and a
row is returned only when the whole filter is *true*. So ``{"score": {"not": 3}}``
does not return rows whose ``score`` is null — and neither does this evaluator.

Truth values are ``True``, ``False`` and ``None`` (unknown). Supported:
equality, ``equals``/``in``/``notIn``/``lt``/``lte``/``gt``/``gte``/
``contains``/``startsWith``/``endsWith``/``not`` (with ``mode``), scalar list
``has``/``hasSome``/``hasEvery``/``isEmpty``, ``AND``/``OR``/``NOT``, compound
unique keys, and relation filters ``is``/``isNot`` (and the shorthand) /
``some``/``every``/``none`` on related data present in the record (included).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from prisma_infra.errors import PrismaInfraError

if TYPE_CHECKING:
    from prisma_infra.schema import Model, Schema

__all__ = ["FALSE_FILTER", "MissingRelationError", "Truth", "evaluate", "matches", "t_and", "t_not", "t_or"]

#: ``None`` stands for SQL's UNKNOWN.
Truth = bool | None

#: A filter that matches no row (Prisma: an empty ``OR`` is false).
FALSE_FILTER: Mapping[str, Any] = {"OR": []}

_LOGICAL = frozenset({"AND", "OR", "NOT"})
_TO_MANY = frozenset({"some", "every", "none"})
_TO_ONE = frozenset({"is", "isNot"})
_SCALAR_OPS = frozenset(
    {
        "equals",
        "in",
        "notIn",
        "lt",
        "lte",
        "gt",
        "gte",
        "contains",
        "startsWith",
        "endsWith",
        "not",
        "mode",
        "has",
        "hasSome",
        "hasEvery",
        "isEmpty",
    }
)
_MISSING = object()


class MissingRelationError(PrismaInfraError):
    """A relation filter needs related data that the record does not include."""

    def __init__(self, model: str | None, relation: str) -> None:
        where = f" of {model}" if model else ""
        super().__init__(
            f"The filter reads relation {relation!r}{where}, which the record does not include: "
            f"load it with include={{{relation!r}: True}} before checking."
        )
        self.model = model
        self.relation = relation


def t_and(values: Iterable[Truth]) -> Truth:
    unknown = False
    for value in values:
        if value is False:
            return False
        if value is None:
            unknown = True
    return None if unknown else True


def t_or(values: Iterable[Truth]) -> Truth:
    unknown = False
    for value in values:
        if value is True:
            return True
        if value is None:
            unknown = True
    return None if unknown else False


def t_not(value: Truth) -> Truth:
    return None if value is None else not value


@dataclass(frozen=True, slots=True)
class _Env:
    schema: Schema | None
    provider: str | None

    def like_ci(self, insensitive: bool) -> bool:
        # SQLite's LIKE ignores ASCII case; MySQL's default collations ignore case everywhere.
        return insensitive or self.provider in ("sqlite", "mysql")

    def eq_ci(self, insensitive: bool) -> bool:
        return insensitive or self.provider == "mysql"


def _fold(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _eq(a: Any, b: Any, ci: bool) -> bool:
    if ci:
        a, b = _fold(a), _fold(b)
    return bool(a == b)


def _cmp(value: Any, op: str, arg: Any, ci: bool) -> Truth:
    if value is None or arg is None:
        return None
    if ci:
        value, arg = _fold(value), _fold(arg)
    try:
        if op == "lt":
            return bool(value < arg)
        if op == "lte":
            return bool(value <= arg)
        if op == "gt":
            return bool(value > arg)
        return bool(value >= arg)
    except TypeError:
        return False


def _like(value: Any, op: str, arg: Any, ci: bool) -> Truth:
    if value is None or arg is None:
        return None
    if not isinstance(value, str) or not isinstance(arg, str):
        return False
    if ci:
        value, arg = value.lower(), arg.lower()
    if op == "contains":
        return arg in value
    if op == "startsWith":
        return bool(value.startswith(arg))
    return bool(value.endswith(arg))


def _scalar_ops(value: Any, ops: Mapping[str, Any], env: _Env) -> Truth:
    insensitive = ops.get("mode") == "insensitive"
    results: list[Truth] = []
    for op, arg in ops.items():
        if op == "mode":
            continue
        if op == "equals":
            results.append(_literal(value, arg, env.eq_ci(insensitive)))
        elif op == "not":
            if isinstance(arg, Mapping):
                results.append(t_not(_scalar_ops(value, arg, env)))
            elif arg is None:
                results.append(value is not None)
            else:
                results.append(t_not(_literal(value, arg, env.eq_ci(insensitive))))
        elif op in ("in", "notIn"):
            items = list(arg)
            if not items:
                results.append(op == "notIn")
            elif value is None:
                results.append(None)
            else:
                ci = env.eq_ci(insensitive)
                found = any(_eq(value, item, ci) for item in items)
                results.append(found if op == "in" else not found)
        elif op in ("lt", "lte", "gt", "gte"):
            results.append(_cmp(value, op, arg, env.eq_ci(insensitive)))
        elif op in ("contains", "startsWith", "endsWith"):
            results.append(_like(value, op, arg, env.like_ci(insensitive)))
        elif op == "has":
            results.append(None if value is None else arg in value)
        elif op == "hasSome":
            results.append(None if value is None else any(item in value for item in arg))
        elif op == "hasEvery":
            results.append(None if value is None else all(item in value for item in arg))
        elif op == "isEmpty":
            results.append(None if value is None else (len(value) == 0) is bool(arg))
        else:
            raise PrismaInfraError(f"Filter operator {op!r} is not supported by the in-memory evaluator.")
    return t_and(results)


def _literal(value: Any, arg: Any, ci: bool) -> Truth:
    if arg is None:
        return value is None
    if value is None:
        return None
    return _eq(value, arg, ci)


def _relation_of(env: _Env, model: Model | None, key: str) -> tuple[Model | None, bool | None]:
    """The related model and whether the relation is to-many (``None`` when unknown)."""
    if env.schema is None or model is None:
        return None, None
    field = model.get_field(key)
    if field is None or not field.is_relation:
        return None, None
    return env.schema.get_model(field.type), field.is_list


def _is_relation_filter(value: Any, to_many: bool | None) -> bool:
    if to_many is not None:
        return True
    return isinstance(value, Mapping) and bool(value) and not (set(value) <= _SCALAR_OPS)


def _filter(record: Mapping[str, Any], where: Mapping[str, Any], env: _Env, model: Model | None) -> Truth:
    results: list[Truth] = []
    for key, cond in where.items():
        if key in _LOGICAL:
            items: Sequence[Any] = cond if isinstance(cond, list | tuple) else [cond]
            parts = (_filter(record, item, env, model) for item in items)
            if key == "AND":
                results.append(t_and(parts))
            elif key == "OR":
                results.append(t_or(parts))
            else:
                results.append(t_and(t_not(p) for p in parts))
            continue
        target, to_many = _relation_of(env, model, key)
        if to_many is not None or (isinstance(cond, Mapping) and (_TO_MANY | _TO_ONE) & set(cond)):
            results.append(_relation(record, key, cond, env, model, target, to_many))
            continue
        if model is not None and env.schema is not None and key not in record:
            compound = _compound(model, key)
            if compound is not None and isinstance(cond, Mapping):
                results.append(t_and(_literal(record.get(f), cond.get(f), False) for f in compound))
                continue
        value = record.get(key)
        if isinstance(cond, Mapping) and env.schema is None and _is_relation_filter(cond, None):
            results.append(_relation(record, key, cond, env, model, target, to_many))
        elif isinstance(cond, Mapping):
            results.append(_scalar_ops(value, cond, env))
        else:
            results.append(_literal(value, cond, env.eq_ci(False)))
    return t_and(results)


def _compound(model: Model, key: str) -> tuple[str, ...] | None:
    fields = model.unique_keys.get(key)
    return fields if fields is not None and len(fields) > 1 else None


def _relation(
    record: Mapping[str, Any],
    key: str,
    cond: Any,
    env: _Env,
    model: Model | None,
    target: Model | None,
    to_many: bool | None,
) -> Truth:
    related = record.get(key, _MISSING)
    if related is _MISSING:
        raise MissingRelationError(model.name if model else None, key)
    if to_many is None:
        to_many = isinstance(related, list | tuple)
    if to_many:
        rows: Sequence[Mapping[str, Any]] = related or []
        total: list[Truth] = []
        for op, sub in cond.items():
            if op == "some":
                total.append(any(_filter(r, sub or {}, env, target) is True for r in rows))
            elif op == "none":
                total.append(not any(_filter(r, sub or {}, env, target) is True for r in rows))
            elif op == "every":
                # Prisma: no related row for which NOT(filter) is true; an unknown does not fail it.
                total.append(not any(_filter(r, sub or {}, env, target) is False for r in rows))
            else:
                raise PrismaInfraError(f"Relation filter {op!r} on to-many relation {key!r}: use some, every or none.")
        return t_and(total)
    if cond is None:
        return related is None
    ops = cond if cond and set(cond) <= _TO_ONE else {"is": cond}
    total = []
    for op, sub in ops.items():
        if sub is None:
            total.append(related is None if op == "is" else related is not None)
        elif related is None:
            total.append(op == "isNot")
        else:
            # Prisma joins the related row: its filter stays three-valued (unknown is not "no").
            inner = _filter(related, sub, env, target)
            total.append(inner if op == "is" else t_not(inner))
    return t_and(total)


def evaluate(
    where: Mapping[str, Any] | None,
    record: Mapping[str, Any],
    *,
    schema: Schema | None = None,
    model: str | Model | None = None,
    provider: str | None = None,
) -> Truth:
    """The truth of ``where`` for ``record``: ``True``, ``False`` or ``None`` (SQL unknown).

    :param schema: lets relation fields and compound unique keys be recognised by name.
    :param model: the record's model (with ``schema``).
    :param provider: ``sqlite`` and ``mysql`` compare some strings case-insensitively, like the database.
    :raises MissingRelationError: a relation filter names a relation the record does not include.
    """
    if not where:
        return True
    resolved = schema.model(model) if schema is not None and model is not None else None
    return _filter(record, where, _Env(schema, provider or (schema.provider if schema else None)), resolved)


def matches(where: Mapping[str, Any] | None, record: Mapping[str, Any], **options: Any) -> bool:
    """True when the database would return ``record`` for ``where`` (the filter is true, not unknown)."""
    return evaluate(where, record, **options) is True

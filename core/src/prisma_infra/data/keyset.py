"""Keyset walks over a model's key: the rows after a key value, in a stable order, a batch at a time.

`stream`, cursor pages in key order and bulk updates/deletes by key batches read with
`rows_after`. A key of comparable fields (numbers, strings, dates) takes one ``findMany`` per
batch: ordered by the key, filtered by ``a > A OR (a = A AND b > B)`` (`prisma_args.after_where`).

Prisma compares enums and Booleans by equality only (no ``gt``), and the databases do not agree
on how enums sort (PostgreSQL and MariaDB by declaration, SQLite as text; a PostgreSQL enum given
a value by a later migration sorts it last wherever the schema declares it). So a key holding such
fields is walked by their values, never by the database's order of them: one segment per
combination of their values, in the schema's order (`ModelInfo.key_orders`: Booleans false then
true, enums as declared), those fields first, then the key's other fields, each segment ordered by
the database on those. A batch is filled from as many segments as it takes, one ``findMany`` each
(an empty segment costs one). For ``@@id([tier, id])`` this is the key's order, enums as declared.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from itertools import product
from typing import Any

from prisma_infra.data.prisma_args import after_where, and_where
from prisma_infra.errors import ValidationError
from prisma_infra.operation import Action

__all__ = ["rows_after"]

Runner = Callable[[Action, dict[str, Any]], Awaitable[Any]]


async def rows_after(
    run: Runner,
    args: Mapping[str, Any],
    keys: Sequence[str],
    orders: Mapping[str, Sequence[Any]],
    after: Any,
    limit: int,
    model: str | None = None,
) -> list[Any]:
    """Up to ``limit`` rows of ``findMany`` ``args`` (its ``where`` kept) after the key ``after``.

    ``after`` is the last key walked (``None``: from the first row): a scalar for a one-field key,
    a tuple in ``keys`` order or a mapping for a compound one. ``args`` must not order or take.
    """
    where = args.get("where")
    if not orders:
        query = {**args, "orderBy": [{f: "asc"} for f in keys], "take": limit}
        if after is not None:
            query["where"] = and_where(where, after_where(keys, after))
        return list(await run(Action.FIND_MANY, query))
    finite = [f for f in keys if f in orders]
    rest = [f for f in keys if f not in orders]
    cursor = None if after is None else _by_field(after, keys)
    rows: list[Any] = []
    for values, at_cursor in _segments(finite, orders, cursor, model):
        segment: dict[str, Any] = dict(zip(finite, values, strict=True))
        if cursor is not None and at_cursor:
            if not rest:
                continue  # the cursor's own row: nothing after it in its segment
            tail = tuple(cursor[f] for f in rest)
            segment = {"AND": [segment, after_where(rest, tail if len(rest) > 1 else tail[0])]}
        query = {**args, "where": and_where(where, segment), "take": limit - len(rows)}
        if rest:
            query["orderBy"] = [{f: "asc"} for f in rest]
        rows.extend(await run(Action.FIND_MANY, query))
        if len(rows) >= limit:
            break
    return rows


def _by_field(after: Any, keys: Sequence[str]) -> dict[str, Any]:
    if isinstance(after, Mapping):
        missing = [f for f in keys if f not in after]
        if missing:
            raise ValidationError(f"A cursor over ({', '.join(keys)}) lacks the key field {missing[0]!r}")
        return {f: after[f] for f in keys}
    values = after if isinstance(after, tuple | list) and len(keys) > 1 else (after,)
    if len(values) != len(keys):
        raise ValidationError(f"A cursor over ({', '.join(keys)}) needs {len(keys)} values")  # never the values
    return dict(zip(keys, values, strict=True))


def _segments(
    finite: Sequence[str], orders: Mapping[str, Sequence[Any]], cursor: Mapping[str, Any] | None, model: str | None
) -> Iterator[tuple[tuple[Any, ...], bool]]:
    """Each combination of the finite fields' values from the cursor's on, flagged when it is the cursor's."""
    start: tuple[int, ...] | None = None
    if cursor is not None:
        start = tuple(_index(orders[f], cursor[f], f, model) for f in finite)
    domains = [list(enumerate(orders[f])) for f in finite]
    for combination in product(*domains):
        position = tuple(i for i, _ in combination)
        if start is not None and position < start:
            continue
        yield tuple(v for _, v in combination), position == start


def _index(order: Sequence[Any], value: Any, field: str, model: str | None) -> int:
    for i, candidate in enumerate(order):
        if candidate == value:
            return i
    raise ValidationError(f"A cursor's {field} is not one of the field's values", model=model, field=field)

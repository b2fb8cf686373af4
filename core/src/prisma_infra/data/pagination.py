"""Offset pagination (`Page`) and cursor pagination (`CursorPage`) over any model.

Offset pages run ``count`` and ``findMany`` (concurrently outside transactions).
Cursor pages fetch ``limit + 1`` rows to know whether another page exists, so
they cost exactly one query:

- ordered by the key (the default), they use keyset filters
  (``id > after``; ``a > A OR (a = A AND b > B)`` for compound keys), which
  stay correct when the cursor row itself has been deleted meanwhile (a key with
  enum or Boolean fields is walked by their values, one query per run of values
  a page spans: `prisma_infra.data.keyset`);
- with a caller's ``order_by``, they use Prisma's own ``cursor`` + ``skip: 1``
  with the key appended as a tie-breaker, so any ordering pages stably.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from prisma_infra.data.keyset import rows_after
from prisma_infra.data.prisma_args import key_of
from prisma_infra.errors import ValidationError
from prisma_infra.operation import Action

__all__ = ["CursorPage", "Page", "cursor_page", "offset_page", "parse_cursor", "parse_offset"]

T = TypeVar("T")

#: Runs one action with compiled Prisma args (a repository's ``run``).
Runner = Callable[[Action, dict[str, Any]], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of an offset-paginated ``findMany`` and the total behind it."""

    items: list[T]
    total: int
    page: int
    limit: int

    @property
    def pages(self) -> int:
        return math.ceil(self.total / self.limit) if self.total else 0

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (items as they are)."""
        return {
            "items": self.items,
            "total": self.total,
            "page": self.page,
            "limit": self.limit,
            "pages": self.pages,
            "has_next": self.has_next,
            "has_previous": self.has_previous,
        }


@dataclass(frozen=True, slots=True)
class CursorPage(Generic[T]):
    """One page of a cursor-paginated ``findMany``.

    ``next_cursor`` is the key of the last item (a scalar, or a dict for a
    compound key) when more rows follow, else ``None``: pass it back as
    ``after`` to read the next page.
    """

    items: list[T]
    next_cursor: Any = None
    limit: int = 0

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None


def _positive(name: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValidationError(f"Pagination {name!r} must be a positive integer, got {value!r}")
    return value


def parse_offset(options: Mapping[str, Any]) -> tuple[int, int]:
    """``{"page": 1, "limit": 10}`` (``per_page``/``size`` accepted for ``limit``) → (page, limit)."""
    unknown = set(options) - {"page", "limit", "per_page", "size"}
    if unknown:
        raise ValidationError(f"Unknown pagination option(s) {sorted(unknown)}: use 'page' and 'limit'")
    limit = options.get("limit", options.get("per_page", options.get("size", 20)))
    return _positive("page", options.get("page", 1)), _positive("limit", limit)


def parse_cursor(options: Mapping[str, Any]) -> tuple[Any, int]:
    """``{"after": cursor_or_None, "limit": 20}`` → (after, limit)."""
    unknown = set(options) - {"after", "limit"}
    if unknown:
        raise ValidationError(f"Unknown cursor pagination option(s) {sorted(unknown)}: use 'after' and 'limit'")
    return options.get("after"), _positive("limit", options.get("limit", 20))


def _reject_window(args: Mapping[str, Any], kind: str) -> None:
    clash = [k for k in ("take", "skip", "cursor") if k in args]
    if clash:
        raise ValidationError(f"{kind} pagination sets take/skip/cursor itself; do not also pass {', '.join(clash)}")


async def offset_page(
    run: Runner, args: dict[str, Any], page: int, limit: int, *, concurrent: bool = True
) -> Page[Any]:
    """``count`` + ``findMany`` for page ``page`` (1-based) of ``limit`` rows."""
    _reject_window(args, "Offset")
    count_args = {"where": args["where"]} if "where" in args else {}
    if "distinct" in args:
        # Prisma's count has no distinct: count the distinct rows' keys instead.
        count_args = {
            "where": args.get("where"),
            "distinct": args["distinct"],
            "select": {f: True for f in args["distinct"]},
        }
        count_args = {k: v for k, v in count_args.items() if v is not None}
    find_args = {**args, "skip": (page - 1) * limit, "take": limit}
    if concurrent:
        total, items = await asyncio.gather(_count(run, count_args), run(Action.FIND_MANY, find_args))
    else:
        total = await _count(run, count_args)
        items = await run(Action.FIND_MANY, find_args)
    return Page(items=list(items), total=total, page=page, limit=limit)


async def _count(run: Runner, args: dict[str, Any]) -> int:
    if "distinct" in args:
        return len(await run(Action.FIND_MANY, args))
    return int(await run(Action.COUNT, args))


async def cursor_page(
    run: Runner,
    args: dict[str, Any],
    key_fields: Sequence[str],
    key_name: str,
    after: Any,
    limit: int,
    key_orders: Mapping[str, Sequence[Any]] | None = None,
) -> CursorPage[Any]:
    """One page of ``limit`` rows after ``after`` (``None``: the first page).

    :param key_fields: the fields of the model's primary key (or first unique key).
    :param key_name: Prisma's where-unique name of that key (``id``, or ``a_b`` for compounds).
    :param key_orders: its enum and Boolean fields' values in order (`ModelInfo.key_orders`; see `keyset`).
    """
    _reject_window(args, "Cursor")
    query = dict(args)
    query["take"] = limit + 1
    select = query.get("select")
    if isinstance(select, Mapping) and not all(select.get(f) for f in key_fields):
        query["select"] = {**select, **{f: True for f in key_fields}}
    order = query.pop("orderBy", None)
    if order is None:  # in key order: a keyset walk
        del query["take"]
        rows = await rows_after(run, query, key_fields, key_orders or {}, after, limit + 1)
    else:
        orders = [order] if isinstance(order, Mapping) else list(order)
        ordered = {name for item in orders for name in item}
        query["orderBy"] = orders + [{f: "asc"} for f in key_fields if f not in ordered]
        if after is not None:
            query["cursor"] = _unique(key_fields, key_name, after)
            query["skip"] = 1
        rows = list(await run(Action.FIND_MANY, query))
    more = len(rows) > limit
    items = rows[:limit]
    next_cursor = None
    if more and items:
        last = key_of(items[-1], key_fields)
        next_cursor = dict(zip(key_fields, last, strict=True)) if len(key_fields) > 1 else last
    return CursorPage(items=items, next_cursor=next_cursor, limit=limit)


def _unique(key_fields: Sequence[str], key_name: str, value: Any) -> dict[str, Any]:
    if len(key_fields) == 1:
        return {key_fields[0]: value[key_fields[0]] if isinstance(value, Mapping) else value}
    values = value if isinstance(value, Mapping) else dict(zip(key_fields, value, strict=True))
    return {key_name: {f: values[f] for f in key_fields}}

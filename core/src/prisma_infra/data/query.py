"""`QueryBuilder`: an immutable fluent builder that compiles to Prisma operations.

Every step returns a new builder and leaves the original unchanged, so a base
query can be shared and refined::

    published = infra.query("post").where({"published": True})
    page = await published.search("prisma").order_by("-createdAt").paginate(page=2, limit=10).execute()
    count = await published.count()

``where`` called several times combines the filters with AND; ``include`` and
``select`` merge; ``order_by`` appends (a later call orders ties of the
earlier ones). ``cache(...)`` records `CacheOptions` on the operations'
context for the cache middleware to read.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from prisma_infra.data.prisma_args import and_where, distinct, merge, order_by, selection
from prisma_infra.errors import ValidationError
from prisma_infra.operation import Action, CacheOptions
from prisma_infra.ports.caching import CACHE_EXPLAIN

if TYPE_CHECKING:
    from prisma_infra.data.pagination import CursorPage, Page
    from prisma_infra.data.repository import Record, Repository

__all__ = ["QueryBuilder"]

#: Builder state keys copied as they are into Prisma args.
_PLAIN = (
    ("select", "select"), ("include", "include"), ("omit", "omit"), ("cursor", "cursor"),
    ("take", "take"), ("skip", "skip"), ("distinct", "distinct"),
)


class QueryBuilder:
    """Build with ``infra.query("user")`` (or ``tx.query("user")`` inside a transaction)."""

    __slots__ = ("_repo", "_s")

    _EMPTY: dict[str, Any] = {
        "wheres": (),  # filters, AND-ed
        "search": (),  # (query, fields) pairs
        "include": None,
        "select": None,
        "omit": None,
        "order": (),
        "page": None,  # (page, limit)
        "cursor_page": None,  # (after, limit)
        "cursor": None,
        "take": None,
        "skip": None,
        "distinct": None,
        "cache": None,
    }

    def __init__(self, repository: Repository) -> None:
        self._repo = repository
        #: The builder's state; never mutated (each step builds a new dict), so clones can share it.
        self._s: dict[str, Any] = QueryBuilder._EMPTY

    def _with(self, **changes: Any) -> QueryBuilder:
        clone = object.__new__(QueryBuilder)
        clone._repo = self._repo
        clone._s = {**self._s, **changes}
        return clone

    def __repr__(self) -> str:
        return f"<QueryBuilder {self._repo.name} {self.compile()!r}>"

    @property
    def model(self) -> str:
        return self._repo.name

    # -- refining ------------------------------------------------------------------------

    def where(self, where: Mapping[str, Any] | None = None, /, **equals: Any) -> QueryBuilder:
        """Add a filter (AND with the previous ones); keywords are equality shorthands: ``where(role="ADMIN")``."""
        added = [w for w in (where, equals) if w]
        if not added:
            return self
        return self._with(wheres=(*self._s["wheres"], *(dict(w) for w in added)))

    def search(self, query: str, fields: Sequence[str] | None = None) -> QueryBuilder:
        """Match every word of ``query`` in one of ``fields``, ignoring case (see `Repository.search_where`)."""
        self._repo.search_where(query, fields)  # fail here, not at execute time, on a bad field
        return self._with(search=(*self._s["search"], (query, tuple(fields) if fields is not None else None)))

    def include(self, relations: Any) -> QueryBuilder:
        """Relations to load: a list of names (``"posts.tags"`` for depth) or Prisma's mapping; merges."""
        return self._with(include=merge(self._s["include"], selection(relations, "include")))

    def select(self, fields: Any) -> QueryBuilder:
        """Fields to return: a list of names or Prisma's mapping; merges."""
        return self._with(select=merge(self._s["select"], selection(fields, "select")))

    def omit(self, fields: Any) -> QueryBuilder:
        return self._with(omit=merge(self._s["omit"], selection(fields, "select")))

    def order_by(self, order: Any) -> QueryBuilder:
        """Append an ordering: ``{"createdAt": "desc"}``, ``"-createdAt"``, or a list of those."""
        normalized = order_by(order)
        items = (normalized,) if isinstance(normalized, Mapping) else tuple(normalized)
        return self._with(order=(*self._s["order"], *items))

    def paginate(self, page: int = 1, limit: int = 20) -> QueryBuilder:
        """Offset pagination: ``execute()`` returns a `Page` (replaces any cursor pagination)."""
        return self._with(page=(page, limit), cursor_page=None)

    def cursor_paginate(self, after: Any = None, limit: int = 20) -> QueryBuilder:
        """Cursor pagination: ``execute()`` returns a `CursorPage`; pass its ``next_cursor`` as ``after``."""
        return self._with(cursor_page=(after, limit), page=None)

    def cursor(self, where_unique: Any) -> QueryBuilder:
        """Prisma's ``cursor``: a where-unique, or a bare primary-key value."""
        return self._with(cursor=self._repo.info.unique_where(where_unique))

    def take(self, n: int) -> QueryBuilder:
        return self._with(take=n)

    def skip(self, n: int) -> QueryBuilder:
        return self._with(skip=n)

    def distinct(self, fields: str | Sequence[str]) -> QueryBuilder:
        return self._with(distinct=list(distinct(fields)))

    def cache(
        self,
        ttl: float | None = None,
        swr: float | None = None,
        tags: Sequence[str] = (),
        key: str | None = None,
        enabled: bool = True,
        serve_stale: bool = True,
    ) -> QueryBuilder:
        """Cache choices for this query's operations (read by the cache middleware)."""
        options = CacheOptions(enabled=enabled, ttl=ttl, swr=swr, tags=tuple(tags), key=key, serve_stale=serve_stale)
        return self._with(cache=options)

    def no_cache(self) -> QueryBuilder:
        return self.cache(enabled=False)

    # -- compiling -----------------------------------------------------------------------

    def where_args(self) -> dict[str, Any] | None:
        """The combined filter: every ``where`` and ``search``, AND-ed."""
        searches = [self._repo.search_where(q, f) for q, f in self._s["search"]]
        return and_where(*self._s["wheres"], *searches)

    def compile(self) -> dict[str, Any]:
        """Prisma ``findMany`` args (without the pagination window)."""
        state = self._s
        args: dict[str, Any] = {}
        where = self.where_args()
        if where:
            args["where"] = where
        for key, arg in _PLAIN:
            value = state[key]
            if value is not None:
                args[arg] = value
        if state["order"]:
            args["orderBy"] = list(state["order"])
        return args

    # -- running -------------------------------------------------------------------------

    async def execute(self) -> list[Record] | Page[Record] | CursorPage[Record]:
        """The records: a list, a `Page` after ``paginate``, a `CursorPage` after ``cursor_paginate``."""
        state = self._s
        page, cursor_page = state["page"], state["cursor_page"]
        return await self._repo.find_compiled(
            self.compile(),
            paginate={"page": page[0], "limit": page[1]} if page else None,
            cursor_paginate={"after": cursor_page[0], "limit": cursor_page[1]} if cursor_page else None,
            cache=state["cache"],
        )

    async def all(self) -> list[Record]:
        """The records as a list (pagination settings ignored)."""
        result: list[Record] = await self._repo.run(Action.FIND_MANY, self.compile(), cache=self._s["cache"])
        return result

    async def first(self) -> Record | None:
        args = self.compile()
        args.pop("take", None)
        result: Record | None = await self._repo.run(Action.FIND_FIRST, args, cache=self._s["cache"])
        return result

    async def count(self) -> int:
        where = self.where_args()
        return int(await self._repo.run(Action.COUNT, {"where": where} if where else {}, cache=self._s["cache"]))

    async def exists(self) -> bool:
        where = self.where_args()
        args: dict[str, Any] = {"select": {f: True for f in self._repo.info.key_fields}}
        if where:
            args["where"] = where
        return await self._repo.run(Action.FIND_FIRST, args, cache=self._s["cache"]) is not None

    def stream(self, batch_size: int = 1000) -> AsyncIterator[list[Record]]:
        """Every match in key order, ``batch_size`` records at a time (see `Repository.stream`)."""
        from prisma_infra.data.streaming import stream

        state = self._s
        if state["order"] or state["take"] is not None or state["skip"] is not None or state["cursor"] is not None:
            raise ValidationError(
                "stream() walks the primary key in order: remove order_by/take/skip/cursor from the query",
                model=self.model,
            )
        args = {k: v for k, v in self.compile().items() if k not in ("distinct",)}
        return stream(self._repo, args, batch_size)

    def explain(self) -> dict[str, Any]:
        """What ``execute()`` would send: model, action, Prisma args, models touched, cache options."""
        args = self.compile()
        pagination: dict[str, Any] | None = None
        if self._s["page"] is not None:
            page, limit = self._s["page"]
            args = {**args, "skip": (page - 1) * limit, "take": limit}
            pagination = {"kind": "offset", "page": page, "limit": limit, "count": {"where": args.get("where")}}
        elif self._s["cursor_page"] is not None:
            after, limit = self._s["cursor_page"]
            pagination = {"kind": "cursor", "after": after, "limit": limit, "key": list(self._repo.info.key_fields)}
        infrastructure = self._repo.infrastructure
        tx = self._repo.transaction
        manager = infrastructure.services.get(CACHE_EXPLAIN)
        # The cache's own view: key, tags, tiers and TTLs this read would use (or why it is not cached).
        cache = (
            manager.explain(self._repo.operation(Action.FIND_MANY, args, cache=self._s["cache"]))
            if manager is not None
            else {"cached": False, "reason": "the cache middleware is not enabled"}
        )
        return {
            "model": self.model,
            "action": Action.FIND_MANY.value,
            "args": args,
            "models_touched": sorted(infrastructure.schema.models_touched(self.model, args)),
            "pagination": pagination,
            "cache": cache,
            "transaction": tx.id if tx is not None else None,
        }

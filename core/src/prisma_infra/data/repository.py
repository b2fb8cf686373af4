"""`Repository`: Prisma's model API for any model, from Python, through the pipeline.

``infra.repository("user")`` (any case) returns the repository of ``User``.
Its methods take Prisma's arguments as keywords (``order_by`` for
``orderBy``, ``include=["posts"]`` for ``{"posts": True}``, ...), build one
`Operation` each and run it through ``infra.execute`` so every middleware
applies. What a model needs (key fields, searchable fields, relations) is
computed once per model by the `RepositoryFactory`, so a call costs little
more than building the operation.

Bulk writes live in `prisma_infra.data.bulk`, streaming and relation loading in
`prisma_infra.data.streaming`, search in `prisma_infra.data.search`; what is known of a
model in `prisma_infra.data.model_info`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypedDict, overload

from typing_extensions import Unpack

from prisma_infra.data.bulk import BulkMethods
from prisma_infra.data.model_info import ModelInfo
from prisma_infra.data.pagination import CursorPage, Page, cursor_page, offset_page, parse_cursor, parse_offset
from prisma_infra.data.prisma_args import build_args
from prisma_infra.data.query import QueryBuilder
from prisma_infra.data.search import SearchArgs, SearchMethods
from prisma_infra.data.streaming import StreamingMethods
from prisma_infra.data.transaction import OperationFactory
from prisma_infra.errors import RecordNotFoundError, ValidationError
from prisma_infra.operation import Action, CacheOptions, Operation
from prisma_infra.stash import StashKey

if TYPE_CHECKING:
    from prisma_infra.data.transaction import Transaction
    from prisma_infra.kernel import Executor
    from prisma_infra.schema import Model, Schema

__all__ = ["FindArgs", "ModelInfo", "Repository", "RepositoryFactory", "SearchArgs", "repositories", "repository"]

Record = dict[str, Any]

class FindArgs(TypedDict, total=False):
    """The ``findMany`` keywords shared by `Repository.find_many` overloads."""

    select: Any
    include: Any
    omit: Any
    order_by: Any
    cursor: Any
    take: int | None
    skip: int | None
    distinct: Any


class RepositoryFactory:
    """Creates (and caches) the repository of any model of the schema."""

    def __init__(self, executor: Executor) -> None:
        self._infra = executor
        self.schema: Schema = executor.schema
        self._provider = _provider_of(executor)
        self._repositories: dict[str, Repository] = {}

    def info(self, model: str | Model) -> ModelInfo:
        return self.create(model).info

    def create(self, model: str | Model) -> Repository:
        """The repository of ``model`` (any case); `UnknownModelError` names the closest model."""
        key = model if isinstance(model, str) else model.name
        found = self._repositories.get(key)
        if found is None:
            m = self.schema.model(model)
            found = self._repositories.get(m.name)
            if found is None:
                found = Repository(self._infra, ModelInfo.build(self.schema, m, self._provider))
            self._repositories[m.name] = self._repositories[key] = found
        return found


def _provider_of(executor: Executor) -> str | None:
    try:
        return executor.runtime.engine.provider
    except Exception:  # an engine that cannot tell: fall back on the schema's datasource
        return executor.schema.provider


_FACTORY: StashKey[RepositoryFactory] = StashKey("repository factory")


def repositories(executor: Executor) -> RepositoryFactory:
    """The executor's repository factory, built again when the schema changes (a reload to another database)."""
    factory = executor.stash.get(_FACTORY)
    if factory is None or factory.schema is not executor.schema:
        factory = executor.stash[_FACTORY] = RepositoryFactory(executor)
    return factory


def repository(executor: Executor, model: str | Model) -> Repository:
    """The repository of ``model`` (any case): ``await repository(kernel, "user").count()``."""
    return repositories(executor).create(model)


class Repository(SearchMethods, StreamingMethods, BulkMethods):
    """Prisma's model API for one model. Create with ``infra.repository("user")``.

    Reads return plain dicts (``None`` when nothing matches); ``*_many`` writes
    return Prisma's ``{"count": n}``. Inside ``async with infra.transaction()
    as tx``, ``tx.repository(...)`` returns a repository whose operations run in
    that transaction.
    """

    __slots__ = ("_context", "_infra", "_tx", "info", "name")

    def __init__(self, executor: Executor, info: ModelInfo, transaction: Transaction | None = None) -> None:
        self._infra = executor
        self.info = info
        self.name = info.name
        self._tx = transaction
        self._context: dict[str, Any] = {"transaction": transaction.id} if transaction is not None else {}

    def __repr__(self) -> str:
        inside = f" in transaction {self._tx.id}" if self._tx is not None else ""
        return f"<Repository {self.name}{inside}>"

    @property
    def model(self) -> Model:
        return self.info.model

    @property
    def infrastructure(self) -> Executor:
        """What runs this repository's operations (the `Infrastructure`, seen through its executor port)."""
        return self._infra

    @property
    def transaction(self) -> Transaction | None:
        """The transaction this repository runs in, if any."""
        return self._tx

    def bind(self, transaction: Transaction | None) -> Repository:
        """This model's repository running inside ``transaction`` (``None``: outside any)."""
        if transaction is self._tx:
            return self
        return Repository(self._infra, self.info, transaction)

    def query(self) -> QueryBuilder:
        """A query builder for this model (in this repository's transaction)."""
        return QueryBuilder(self)

    @property
    def op(self) -> OperationFactory:
        """Builds operations without running them, for ``infra.batch([...])``."""
        return OperationFactory(self)

    # -- running -------------------------------------------------------------------------

    def operation(self, action: Action | str, args: dict[str, Any], *, cache: CacheOptions | None = None) -> Operation:
        """The `Operation` for ``action`` with compiled Prisma ``args``, in this repository's context."""
        if cache is None:
            context = self._infra.operation_context(**self._context)
        else:
            context = self._infra.operation_context(cache=cache, **self._context)
        return Operation(self.name, action if type(action) is Action else Action(action), args, context)

    async def run(self, action: Action | str, args: dict[str, Any], *, cache: CacheOptions | None = None) -> Any:
        """Run ``action`` with already compiled Prisma ``args`` through the pipeline."""
        operation = self.operation(action, args, cache=cache)
        if self._tx is not None:
            return await self._tx.execute(operation)
        return await self._infra.execute(operation)

    # -- reads ---------------------------------------------------------------------------

    async def find_unique(
        self, where: Any, *, select: Any = None, include: Any = None, omit: Any = None
    ) -> Record | None:
        """The record matching a unique ``where`` (or a bare primary-key value), or ``None``."""
        args = build_args({"select": select, "include": include, "omit": omit})
        args["where"] = self.info.unique_where(where)
        result: Record | None = await self.run(Action.FIND_UNIQUE, args)
        return result

    async def find_unique_or_raise(
        self, where: Any, *, select: Any = None, include: Any = None, omit: Any = None
    ) -> Record:
        """Like `find_unique`, but `RecordNotFoundError` (naming the model and ``where``) when absent."""
        found = await self.find_unique(where, select=select, include=include, omit=omit)
        if found is None:
            unique = self.info.unique_where(where)
            raise RecordNotFoundError(  # fields only in the message: the values may be PII
                f"No {self.name} record found by {', '.join(unique) if isinstance(unique, dict) else 'that key'}",
                model=self.name,
                where=unique,
            )
        return found

    async def find_first(
        self,
        where: Mapping[str, Any] | None = None,
        *,
        select: Any = None,
        include: Any = None,
        omit: Any = None,
        order_by: Any = None,
        cursor: Any = None,
        take: int | None = None,
        skip: int | None = None,
        distinct: Any = None,
    ) -> Record | None:
        args = _find_args(where, select, include, omit, order_by, cursor, take, skip, distinct)
        result: Record | None = await self.run(Action.FIND_FIRST, args)
        return result

    @overload
    async def find_many(
        self,
        where: Mapping[str, Any] | None = None,
        *,
        paginate: None = None,
        cursor_paginate: None = None,
        **args: Unpack[FindArgs],
    ) -> list[Record]: ...

    @overload
    async def find_many(
        self,
        where: Mapping[str, Any] | None = None,
        *,
        paginate: Mapping[str, Any],
        cursor_paginate: None = None,
        **args: Unpack[FindArgs],
    ) -> Page[Record]: ...

    @overload
    async def find_many(
        self,
        where: Mapping[str, Any] | None = None,
        *,
        paginate: None = None,
        cursor_paginate: Mapping[str, Any],
        **args: Unpack[FindArgs],
    ) -> CursorPage[Record]: ...

    async def find_many(
        self,
        where: Mapping[str, Any] | None = None,
        *,
        select: Any = None,
        include: Any = None,
        omit: Any = None,
        order_by: Any = None,
        cursor: Any = None,
        take: int | None = None,
        skip: int | None = None,
        distinct: Any = None,
        paginate: Mapping[str, Any] | None = None,
        cursor_paginate: Mapping[str, Any] | None = None,
    ) -> list[Record] | Page[Record] | CursorPage[Record]:
        """Records matching ``where``.

        With ``paginate={"page": 1, "limit": 10}`` returns a `Page` (count + findMany);
        with ``cursor_paginate={"after": cursor_or_None, "limit": 20}`` a `CursorPage`.
        """
        args = _find_args(where, select, include, omit, order_by, cursor, take, skip, distinct)
        return await self.find_compiled(args, paginate=paginate, cursor_paginate=cursor_paginate)

    async def find_compiled(
        self,
        args: dict[str, Any],
        *,
        paginate: Mapping[str, Any] | None = None,
        cursor_paginate: Mapping[str, Any] | None = None,
        cache: CacheOptions | None = None,
    ) -> list[Record] | Page[Record] | CursorPage[Record]:
        """`find_many` with already compiled Prisma ``args`` (used by the query builder)."""
        if paginate is not None and cursor_paginate is not None:
            raise ValidationError("Use either paginate or cursor_paginate, not both", model=self.name)
        if paginate is not None:
            page, limit = parse_offset(paginate)
            return await offset_page(self._runner(cache), args, page, limit, concurrent=self._tx is None)
        if cursor_paginate is not None:
            after, limit = parse_cursor(cursor_paginate)
            return await cursor_page(
                self._runner(cache), args, self.info.key_fields, self.info.key_name, after, limit, self.info.key_orders
            )
        result: list[Record] = await self.run(Action.FIND_MANY, args, cache=cache)
        return result

    def _runner(self, cache: CacheOptions | None) -> Callable[[Action, dict[str, Any]], Any]:
        if cache is None:
            return self.run

        def run(action: Action, args: dict[str, Any]) -> Any:
            return self.run(action, args, cache=cache)

        return run

    async def count(
        self,
        where: Mapping[str, Any] | None = None,
        *,
        order_by: Any = None,
        cursor: Any = None,
        take: int | None = None,
        skip: int | None = None,
        select: Any = None,
    ) -> Any:
        """The number of matching records (a dict of counts when ``select`` is given, as in Prisma)."""
        args = build_args(
            {
                "where": where,
                "orderBy": order_by,
                "cursor": cursor,
                "take": take,
                "skip": skip,
                "select": select,
            }
        )
        return await self.run(Action.COUNT, args)

    async def exists(self, where: Mapping[str, Any] | None = None) -> bool:
        """Whether any record matches ``where`` (a ``findFirst`` selecting the key only)."""
        args: dict[str, Any] = {"select": {f: True for f in self.info.key_fields}} if self.info.key_fields else {}
        if where:
            args["where"] = where
        return await self.run(Action.FIND_FIRST, args) is not None

    async def aggregate(
        self,
        where: Mapping[str, Any] | None = None,
        *,
        order_by: Any = None,
        cursor: Any = None,
        take: int | None = None,
        skip: int | None = None,
        count: Any = None,
        avg: Any = None,
        sum: Any = None,
        min: Any = None,
        max: Any = None,
    ) -> Record:
        """Prisma ``aggregate``: ``count=True``, ``sum=["views"]`` (or ``{"views": True}``), ..."""
        args = build_args(
            {
                "where": where,
                "orderBy": order_by,
                "cursor": cursor,
                "take": take,
                "skip": skip,
                "_count": count,
                "_avg": avg,
                "_sum": sum,
                "_min": min,
                "_max": max,
            }
        )
        result: Record = await self.run(Action.AGGREGATE, args)
        return result

    async def group_by(
        self,
        by: str | Sequence[str],
        *,
        where: Mapping[str, Any] | None = None,
        having: Mapping[str, Any] | None = None,
        order_by: Any = None,
        take: int | None = None,
        skip: int | None = None,
        count: Any = None,
        avg: Any = None,
        sum: Any = None,
        min: Any = None,
        max: Any = None,
    ) -> list[Record]:
        """Prisma ``groupBy``: one dict per group with the ``by`` fields and the requested aggregates."""
        args = build_args(
            {
                "by": by,
                "where": where,
                "having": having,
                "orderBy": order_by,
                "take": take,
                "skip": skip,
                "_count": count,
                "_avg": avg,
                "_sum": sum,
                "_min": min,
                "_max": max,
            }
        )
        result: list[Record] = await self.run(Action.GROUP_BY, args)
        return result

    # -- writes --------------------------------------------------------------------------

    async def create(
        self, data: Mapping[str, Any], *, select: Any = None, include: Any = None, omit: Any = None
    ) -> Record:
        args = build_args({"data": data, "select": select, "include": include, "omit": omit})
        result: Record = await self.run(Action.CREATE, args)
        return result

    async def create_many(self, data: Sequence[Mapping[str, Any]], *, skip_duplicates: bool | None = None) -> Record:
        """Prisma ``createMany`` → ``{"count": n}`` (``skip_duplicates`` is unsupported on SQLite)."""
        args = build_args({"data": list(data), "skipDuplicates": skip_duplicates})
        result: Record = await self.run(Action.CREATE_MANY, args)
        return result

    async def create_many_and_return(
        self,
        data: Sequence[Mapping[str, Any]],
        *,
        select: Any = None,
        include: Any = None,
        skip_duplicates: bool | None = None,
    ) -> list[Record]:
        """Prisma ``createManyAndReturn`` (PostgreSQL and SQLite; not MySQL)."""
        args = build_args({"data": list(data), "select": select, "include": include, "skipDuplicates": skip_duplicates})
        result: list[Record] = await self.run(Action.CREATE_MANY_AND_RETURN, args)
        return result

    async def update(
        self, where: Any, data: Mapping[str, Any], *, select: Any = None, include: Any = None, omit: Any = None
    ) -> Record:
        """Update the record matching a unique ``where``; `RecordNotFoundError` when there is none."""
        args = build_args({"data": data, "select": select, "include": include, "omit": omit})
        args["where"] = self.info.unique_where(where)
        result: Record = await self.run(Action.UPDATE, args)
        return result

    async def update_many(
        self, where: Mapping[str, Any] | None = None, data: Mapping[str, Any] | None = None, *, limit: int | None = None
    ) -> Record:
        """Prisma ``updateMany`` → ``{"count": n}``."""
        if not data:
            raise ValidationError(f"{self.name}.update_many needs data", model=self.name)
        args = build_args({"where": where, "data": data, "limit": limit})
        result: Record = await self.run(Action.UPDATE_MANY, args)
        return result

    async def upsert(
        self,
        where: Any,
        create: Mapping[str, Any],
        update: Mapping[str, Any],
        *,
        select: Any = None,
        include: Any = None,
        omit: Any = None,
    ) -> Record:
        args = build_args({"create": create, "update": update, "select": select, "include": include, "omit": omit})
        args["where"] = self.info.unique_where(where)
        result: Record = await self.run(Action.UPSERT, args)
        return result

    async def delete(self, where: Any, *, select: Any = None, include: Any = None, omit: Any = None) -> Record:
        """Delete the record matching a unique ``where`` and return it; `RecordNotFoundError` when absent."""
        args = build_args({"select": select, "include": include, "omit": omit})
        args["where"] = self.info.unique_where(where)
        result: Record = await self.run(Action.DELETE, args)
        return result

    async def delete_many(self, where: Mapping[str, Any] | None = None, *, limit: int | None = None) -> Record:
        """Prisma ``deleteMany`` → ``{"count": n}`` (no ``where``: every record)."""
        args = build_args({"where": where, "limit": limit})
        result: Record = await self.run(Action.DELETE_MANY, args)
        return result


def _find_args(
    where: Any, select: Any, include: Any, omit: Any, order_by: Any, cursor: Any, take: Any, skip: Any, distinct: Any
) -> dict[str, Any]:
    """Prisma's arguments of findFirst/findMany from the repository's keyword names."""
    return build_args(
        {
            "where": where,
            "select": select,
            "include": include,
            "omit": omit,
            "orderBy": order_by,
            "cursor": cursor,
            "take": take,
            "skip": skip,
            "distinct": distinct,
        }
    )

"""Case-insensitive search across fields, the same on every provider (`Repository.search`)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypedDict, cast, overload

from typing_extensions import Unpack

from prisma_infra.data.pagination import CursorPage, Page
from prisma_infra.data.prisma_args import and_where, build_args
from prisma_infra.errors import PrismaInfraError, ValidationError
from prisma_infra.ports.row_filters import ROW_FILTERS

if TYPE_CHECKING:
    from prisma_infra.data.repository import Record, Repository

__all__ = ["SearchArgs", "SearchMethods"]


class SearchArgs(TypedDict, total=False):
    """The keywords shared by `Repository.search` overloads."""

    where: Mapping[str, Any] | None
    select: Any
    include: Any
    order_by: Any
    take: int | None
    skip: int | None


class SearchMethods:
    """`Repository` methods for search (defined here, beside the filter they build)."""

    __slots__ = ()

    def search_where(self, query: str, fields: Sequence[str] | None = None) -> dict[str, Any] | None:
        """The filter matching ``query`` case-insensitively: every word in at least one of ``fields``.

        ``fields`` defaults to ``models.<Model>.searchable`` in the settings, else every String
        field (without generated ids and foreign keys), minus the fields the access policies mask
        or hide for the ambient actor. PostgreSQL gets ``mode: "insensitive"``;
        MySQL/MariaDB collations and SQLite's LIKE already ignore (ASCII) case. For non-ASCII
        words on those, the lower-, upper- and title-case spellings are matched too.
        """
        repo = cast("Repository", self)
        names = tuple(fields) if fields is not None else self._search_fields()
        for name in names:
            field = repo.model.field(name)
            if field.type != "String" or field.is_list or field.kind != "scalar":
                raise ValidationError(
                    f"{repo.name}.{name} is not a String field and cannot be searched", model=repo.name, field=name
                )
        if not names:
            raise ValidationError(f"{repo.name} has no String field to search (that the caller may read)",
                                  model=repo.name)
        words = query.split()
        if not words:
            return None
        clauses = [{"OR": [c for name in names for c in self._contains(name, word)]} for word in words]
        return clauses[0] if len(clauses) == 1 else {"AND": clauses}

    def _search_fields(self) -> tuple[str, ...]:
        repo = cast("Repository", self)
        configured = repo.infrastructure.config.model_settings(repo.name).searchable
        names = tuple(configured) if configured else repo.info.string_fields
        unreadable = self._unreadable_fields()
        # A default must not search what the caller may not read (the policies would refuse the
        # query); naming such a field in ``fields`` is still refused, by the policies.
        return tuple(name for name in names if name not in unreadable) if unreadable else names

    def _unreadable_fields(self) -> Collection[str]:
        """Fields the access policies mask or hide for the ambient actor (through their read-access port)."""
        repo = cast("Repository", self)
        try:
            access = repo.infrastructure.services.get(ROW_FILTERS)
        except PrismaInfraError:  # not started
            return ()
        return access.unreadable_fields(repo.name) if access is not None else ()

    def _contains(self, name: str, word: str) -> list[dict[str, Any]]:
        if cast("Repository", self).info.insensitive_mode:
            return [{name: {"contains": word, "mode": "insensitive"}}]
        if word.isascii():
            return [{name: {"contains": word}}]
        spellings = dict.fromkeys((word, word.lower(), word.upper(), word.title()))
        return [{name: {"contains": s}} for s in spellings]

    @overload
    async def search(
        self,
        query: str,
        fields: Sequence[str] | None = None,
        *,
        paginate: None = None,
        cursor_paginate: None = None,
        **args: Unpack[SearchArgs],
    ) -> list[Record]: ...

    @overload
    async def search(
        self,
        query: str,
        fields: Sequence[str] | None = None,
        *,
        paginate: Mapping[str, Any],
        cursor_paginate: None = None,
        **args: Unpack[SearchArgs],
    ) -> Page[Record]: ...

    @overload
    async def search(
        self,
        query: str,
        fields: Sequence[str] | None = None,
        *,
        paginate: None = None,
        cursor_paginate: Mapping[str, Any],
        **args: Unpack[SearchArgs],
    ) -> CursorPage[Record]: ...

    async def search(
        self,
        query: str,
        fields: Sequence[str] | None = None,
        *,
        where: Mapping[str, Any] | None = None,
        select: Any = None,
        include: Any = None,
        order_by: Any = None,
        take: int | None = None,
        skip: int | None = None,
        paginate: Mapping[str, Any] | None = None,
        cursor_paginate: Mapping[str, Any] | None = None,
    ) -> list[Record] | Page[Record] | CursorPage[Record]:
        """Records whose ``fields`` contain every word of ``query``, ignoring case, on every provider."""
        args = build_args(
            {
                "where": and_where(where, self.search_where(query, fields)),
                "select": select,
                "include": include,
                "orderBy": order_by,
                "take": take,
                "skip": skip,
            }
        )
        return await cast("Repository", self).find_compiled(args, paginate=paginate, cursor_paginate=cursor_paginate)

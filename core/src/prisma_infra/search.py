"""Moved to `prisma_infra.data.search` (data access is one package); this path keeps old imports working."""

from prisma_infra.data.search import SearchArgs, SearchMethods

__all__ = ["SearchArgs", "SearchMethods"]

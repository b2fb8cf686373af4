"""Moved to `prisma_infra.data.query` (data access is one package); this path keeps old imports working."""

from prisma_infra.data.query import QueryBuilder

__all__ = ["QueryBuilder"]

"""Moved to `prisma_infra.data.repository` (data access is one package); this path keeps old imports working."""

from prisma_infra.data.repository import FindArgs, ModelInfo, Record, Repository, RepositoryFactory, SearchArgs

__all__ = ["FindArgs", "ModelInfo", "Record", "Repository", "RepositoryFactory", "SearchArgs"]

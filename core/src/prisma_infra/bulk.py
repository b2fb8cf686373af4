"""Moved to `prisma_infra.data.bulk` (data access is one package); this path keeps old imports working."""

from prisma_infra.data.bulk import (
    BatchFailure,
    BulkMethods,
    BulkResult,
    ProgressCallback,
    bulk_create,
    bulk_delete,
    bulk_update,
    bulk_upsert,
)

__all__ = [
    "BatchFailure",
    "BulkMethods",
    "BulkResult",
    "ProgressCallback",
    "bulk_create",
    "bulk_delete",
    "bulk_update",
    "bulk_upsert",
]

"""Moved to `prisma_infra.data.keyset` (data access is one package); this path keeps old imports working."""

from prisma_infra.data.keyset import Runner, rows_after

__all__ = ["Runner", "rows_after"]

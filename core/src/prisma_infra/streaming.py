"""Moved to `prisma_infra.data.streaming` (data access is one package); this path keeps old imports working."""

from prisma_infra.data.streaming import StreamingMethods, load, stream

__all__ = ["StreamingMethods", "load", "stream"]

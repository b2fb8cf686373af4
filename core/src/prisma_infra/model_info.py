"""Moved to `prisma_infra.data.model_info` (data access is one package); this path keeps old imports working."""

from prisma_infra.data.model_info import ModelInfo, key_orders

__all__ = ["ModelInfo", "key_orders"]

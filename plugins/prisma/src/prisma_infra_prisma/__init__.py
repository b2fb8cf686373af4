"""The Prisma 7 data engine for prisma-infra: the official client in a Node.js bridge."""

from prisma_infra_prisma.engine import PrismaEngine
from prisma_infra_prisma.toolchain import Toolchain, ensure_toolchain, find_node
from prisma_infra_prisma.values import AnyNull, DbNull, JsonNull

__all__ = ["AnyNull", "DbNull", "JsonNull", "PrismaEngine", "Toolchain", "ensure_toolchain", "find_node"]

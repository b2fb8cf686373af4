"""prisma-infra: infrastructure for any application built on a Prisma schema."""

from prisma_infra.errors import PrismaInfraError
from prisma_infra.hookspecs import hookimpl

__version__ = "0.1.0"
__all__ = ["PrismaInfraError", "__version__", "hookimpl"]

"""Redis cache store for prisma-infra."""

from prisma_infra_redis.store import RedisStore

__all__ = ["RedisStore"]

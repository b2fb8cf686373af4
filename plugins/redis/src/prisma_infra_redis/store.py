"""`RedisStore`: the cache-store primitives on Redis, one round trip each."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from prisma_infra.errors import CacheBackendError
from prisma_infra.providers.cache import CacheStore
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

__all__ = ["RedisStore"]


class RedisStore(CacheStore):
    """``cache.stores.redis``: ``url``, ``max_connections`` (64), ``pool_timeout`` (s, 1.0), ``key_prefix`` ("pi:").

    The client does not retry: the cache manager's circuit breaker decides
    when to try a failing store again, and a retry loop here would only make
    a caller wait for a store it is about to bypass.
    """

    name: ClassVar[str] = "redis"
    shared: ClassVar[bool] = True

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        self.url = str(self.options.get("url", "redis://127.0.0.1:6379/0"))
        #: The URL without credentials, for messages and stats.
        self.safe_url = re.sub(r"//[^@/]*@", "//***@", self.url)
        self.key_prefix = str(self.options.get("key_prefix", "pi:"))
        self._client: Redis | None = None

    @property
    def client(self) -> Redis:
        if self._client is None:
            self._client = self._connect()
        return self._client

    def _connect(self) -> Redis:
        pool = BlockingConnectionPool.from_url(
            self.url,
            max_connections=int(self.options.get("max_connections", 64)),
            timeout=float(self.options.get("pool_timeout", 1.0)),
            socket_connect_timeout=float(self.options.get("connect_timeout", 1.0)),
            socket_timeout=float(self.options.get("socket_timeout", 2.0)),
            retry=Retry(NoBackoff(), 0),
        )
        return Redis(connection_pool=pool)

    async def start(self) -> None:
        # Connecting lazily lets the infrastructure start while Redis is down (it is bypassed).
        self.client  # noqa: B018

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose(close_connection_pool=True)

    def _error(self, action: str, exc: Exception) -> CacheBackendError:
        return CacheBackendError(f"redis {action} failed ({self.safe_url}): {exc}", backend="redis")

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        if not keys:
            return []
        try:
            values = await self.client.mget(keys)
        except (RedisError, OSError) as exc:
            raise self._error("MGET", exc) from exc
        return values  # type: ignore[return-value]  # bytes: the client never decodes responses

    async def set_many(self, items: Mapping[str, bytes], ttl: float | None) -> None:
        if not items:
            return
        px = max(1, math.ceil(ttl * 1000)) if ttl is not None else None
        try:
            if len(items) == 1 and px is not None:
                ((key, value),) = items.items()
                await self.client.set(key, value, px=px)
                return
            async with self.client.pipeline(transaction=False) as pipe:
                for key, value in items.items():
                    pipe.set(key, value, px=px)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            raise self._error("SET", exc) from exc

    async def delete_many(self, keys: Sequence[str]) -> None:
        if not keys:
            return
        try:
            await self.client.unlink(*keys)
        except (RedisError, OSError) as exc:
            raise self._error("UNLINK", exc) from exc

    async def incr(self, key: str) -> int:
        try:
            return int(await self.client.incr(key))
        except (RedisError, OSError) as exc:
            raise self._error("INCR", exc) from exc

    async def incr_many(self, keys: Sequence[str]) -> list[int]:
        """``INCR`` every key in one pipelined round trip."""
        if not keys:
            return []
        try:
            async with self.client.pipeline(transaction=False) as pipe:
                for key in keys:
                    pipe.incr(key)
                values = await pipe.execute()
        except (RedisError, OSError) as exc:
            raise self._error("INCR", exc) from exc
        return [int(v) for v in values]

    async def clear(self) -> None:
        """Remove every key under ``key_prefix`` (``SCAN`` + ``UNLINK``; other data is untouched)."""
        try:
            batch: list[Any] = []
            async for key in self.client.scan_iter(match=f"{self.key_prefix}*", count=1000):
                batch.append(key)
                if len(batch) >= 1000:
                    await self.client.unlink(*batch)
                    batch = []
            if batch:
                await self.client.unlink(*batch)
        except (RedisError, OSError) as exc:
            raise self._error("SCAN/UNLINK", exc) from exc

    def stats(self) -> dict[str, Any]:
        return {"url": self.safe_url}

"""`RedisAnchorStore` (``audit.anchor.store = "redis"``): the latest anchor of each (chain, sink) in one Redis hash.

``audit.anchor.location`` is the hash's key (default ``prisma-infra:audit:anchors``),
``audit.anchor.url`` the server (default ``redis://127.0.0.1:6379/0``). A field per
(chain, sink), overwritten by each anchor (``HSET``: atomic). The anchors are as
durable as the server's persistence (AOF with ``appendfsync everysec`` or stricter).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
from prisma_infra_sdk import Anchor, PrismaInfraError
from redis.asyncio import Redis

if TYPE_CHECKING:
    from prisma_infra_sdk import AnchorConfig

__all__ = ["RedisAnchorStore"]


class RedisAnchorStore:
    """Anchors as fields of a Redis hash (see the module documentation)."""

    def __init__(self, config: AnchorConfig) -> None:
        self.url = config.url.get_secret_value() if config.url is not None else "redis://127.0.0.1:6379/0"
        self.key = config.where
        self.timeout = config.timeout
        self._client: Redis | None = None

    @property
    def client(self) -> Redis:
        if self._client is None:
            raise PrismaInfraError("the Redis anchor store is not started")
        return self._client

    async def start(self) -> None:
        if self._client is None:
            client: Redis = Redis.from_url(self.url, socket_timeout=self.timeout, socket_connect_timeout=self.timeout)
            self._client = client
        await self.client.ping()

    async def publish(self, anchor: Anchor) -> None:
        await self.client.hset(self.key, orjson.dumps([anchor.chain, anchor.sink]).decode(), anchor.to_json())

    async def latest(self) -> list[Anchor]:
        stored: dict[Any, Any] = await self.client.hgetall(self.key)
        found = (Anchor.from_json(value) for value in stored.values())
        return sorted((a for a in found if a is not None), key=lambda a: a.key)

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

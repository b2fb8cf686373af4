"""`RedisStore`: the cache-store primitives on Redis, one round trip each."""

from __future__ import annotations

import asyncio
import contextlib
import math
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, ClassVar, TypeVar

from prisma_infra.errors import CacheBackendError
from prisma_infra.providers.cache import CacheStore
from redis.asyncio import ConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

__all__ = ["RedisStore"]

T = TypeVar("T")


class RedisStore(CacheStore):
    """``cache.stores.redis``: ``url``, ``max_connections`` (64), ``pool_timeout`` (s, 1.0), ``key_prefix`` ("pi:").

    The client does not retry: the cache manager's circuit breaker decides
    when to try a failing store again, and a retry loop here would only make
    a caller wait for a store it is about to bypass.

    A cancellation is never lost. redis-py's asyncio client can swallow a
    cancellation that arrives while a command waits for its reply: the command
    completes as if nothing happened (redis-py #2665 and relatives), so a
    cancelled caller would go on running and a cancelled background loop
    would never stop. `_run` notices (``Task.cancelling()`` grew) and raises
    `asyncio.CancelledError` itself. The connection is clean either way:
    redis-py closes a connection whose command was interrupted, and a
    swallowed cancellation means the reply was read. (Running each command in
    a shielded task of its own would also do, at ~100k instructions per
    command.)

    redis-py's own ``socket_timeout`` is off unless set: the cache manager
    already abandons every call after ``cache.store_timeout`` (or the store's
    ``timeout``), and on Python 3.11 redis-py's costs a timer and a task per
    command. Connections use TCP keepalive, so a dead peer is noticed.

    Connections are bounded by a semaphore of ``max_connections`` in front of
    redis-py's plain pool: taking a free slot costs no suspension, where
    redis-py's ``BlockingConnectionPool`` pays a condition and a timeout on
    every command (~12 µs per hit on the benchmark VM).
    """

    name: ClassVar[str] = "redis"
    shared: ClassVar[bool] = True

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        self.url = str(self.options.get("url", "redis://127.0.0.1:6379/0"))
        #: The URL without credentials, for messages and stats.
        self.safe_url = re.sub(r"//[^@/]*@", "//***@", self.url)
        self.key_prefix = str(self.options.get("key_prefix", "pi:"))
        self.pool_timeout = float(self.options.get("pool_timeout", 1.0))
        timeout = self.options.get("socket_timeout")
        self.socket_timeout = float(timeout) if timeout is not None else None
        self._client: Redis | None = None
        self._slots = asyncio.Semaphore(int(self.options.get("max_connections", 64)))

    @property
    def client(self) -> Redis:
        if self._client is None:
            self._client = self._connect()
        return self._client

    def _connect(self) -> Redis:
        pool = ConnectionPool.from_url(
            self.url,
            socket_connect_timeout=float(self.options.get("connect_timeout", 1.0)),
            socket_timeout=self.socket_timeout,
            socket_keepalive=True,
            retry=Retry(NoBackoff(), 0),
        )
        return Redis(connection_pool=pool)

    async def start(self) -> None:
        # Connecting lazily lets the infrastructure start while Redis is down (it is bypassed).
        self.client  # noqa: B018

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(RedisError, OSError):
                await client.aclose(close_connection_pool=True)

    async def _run(self, action: str, method: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        task = asyncio.current_task()
        cancelling = task.cancelling() if task is not None else 0
        slots = self._slots
        if slots.locked():
            try:
                async with asyncio.timeout(self.pool_timeout):
                    await slots.acquire()
            except TimeoutError:
                raise CacheBackendError(
                    f"redis {action}: no connection free within pool_timeout={self.pool_timeout}s ({self.safe_url})",
                    backend="redis",
                ) from None
        else:
            await slots.acquire()
        try:
            result = await method(*args, **kwargs)
        except (RedisError, OSError) as exc:
            if task is not None and task.cancelling() > cancelling:
                raise asyncio.CancelledError from exc
            raise self._error(action, exc) from exc
        finally:
            slots.release()
        if task is not None and task.cancelling() > cancelling:
            raise asyncio.CancelledError  # redis-py swallowed it: see the class docstring
        return result

    def _error(self, action: str, exc: Exception) -> CacheBackendError:
        return CacheBackendError(f"redis {action} failed ({self.safe_url}): {exc}", backend="redis")

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        if not keys:
            return []
        values = await self._run("MGET", self.client.mget, keys)
        return values  # type: ignore[return-value]  # bytes: the client never decodes responses

    async def set_many(self, items: Mapping[str, bytes], ttl: float | None) -> None:
        if not items:
            return
        px = max(1, math.ceil(ttl * 1000)) if ttl is not None else None
        if len(items) == 1:
            ((key, value),) = items.items()
            await self._run("SET", self.client.set, key, value, px=px)
            return
        pipe = self.client.pipeline(transaction=False)
        for key, value in items.items():
            pipe.set(key, value, px=px)
        await self._run("SET", pipe.execute)

    async def delete_many(self, keys: Sequence[str]) -> None:
        if not keys:
            return
        await self._run("UNLINK", self.client.unlink, *keys)

    async def incr(self, key: str) -> int:
        return int(await self._run("INCR", self.client.incr, key))

    async def incr_many(self, keys: Sequence[str]) -> list[int]:
        """``INCR`` every key in one pipelined round trip."""
        if not keys:
            return []
        pipe = self.client.pipeline(transaction=False)
        for key in keys:
            pipe.incr(key)
        values = await self._run("INCR", pipe.execute)
        return [int(v) for v in values]

    async def clear(self) -> None:
        """Remove every key under ``key_prefix`` (``SCAN`` + ``UNLINK``; other data is untouched)."""
        cursor: int = 0
        while True:
            match = f"{self.key_prefix}*"
            cursor, keys = await self._run("SCAN", self.client.scan, cursor=cursor, match=match, count=1000)
            if keys:
                await self._run("UNLINK", self.client.unlink, *keys)
            if not cursor:
                return

    def stats(self) -> dict[str, Any]:
        return {"url": self.safe_url}

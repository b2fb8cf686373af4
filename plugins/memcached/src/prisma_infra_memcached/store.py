"""`MemcachedStore`: the cache-store primitives on memcached through pymemcache.

pymemcache is blocking. Each call runs in this store's own small thread
pool; the pymemcache client keeps a pool of sockets per server, so two
threads never share a socket and the event loop never waits on the network.
"""

from __future__ import annotations

import asyncio
import functools
import math
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar, TypeVar

from prisma_infra_sdk import CacheBackendError, CacheStore
from pymemcache.client.base import PooledClient  # type: ignore[import-untyped]
from pymemcache.client.hash import HashClient  # type: ignore[import-untyped]
from pymemcache.exceptions import MemcacheError  # type: ignore[import-untyped]

__all__ = ["MemcachedStore"]

T = TypeVar("T")

#: memcached reads an expiry above 30 days as an absolute Unix time.
_RELATIVE_LIMIT = 30 * 24 * 3600


def _server(spec: str) -> tuple[str, int]:
    host, _, port = spec.rpartition(":")
    return (host or spec, int(port)) if port.isdigit() else (spec, 11211)


def _expire(ttl: float | None) -> int:
    if ttl is None:
        return 0
    seconds = max(1, math.ceil(ttl))  # memcached counts whole seconds; never round a TTL down to "forever"
    return int(time.time()) + seconds if seconds > _RELATIVE_LIMIT else seconds


class MemcachedStore(CacheStore):
    """``cache.stores.memcached``: ``servers`` (["127.0.0.1:11211"]), ``max_pool_size`` (16), timeouts (s)."""

    name: ClassVar[str] = "memcached"
    shared: ClassVar[bool] = True

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        servers = self.options.get("servers", self.options.get("server", ["127.0.0.1:11211"]))
        self.servers = [_server(s) for s in ([servers] if isinstance(servers, str) else servers)]
        self.pool_size = int(self.options.get("max_pool_size", 16))
        self._client: PooledClient | HashClient | None = None
        self._executor: ThreadPoolExecutor | None = None

    def _connect(self) -> PooledClient | HashClient:
        common: dict[str, Any] = {
            "connect_timeout": float(self.options.get("connect_timeout", 1.0)),
            "timeout": float(self.options.get("timeout", 1.0)),
            "no_delay": True,
            "default_noreply": False,
            "allow_unicode_keys": True,  # keys are UTF-8 encoded; memcached itself accepts them
        }
        if len(self.servers) == 1:
            return PooledClient(self.servers[0], max_pool_size=self.pool_size, **common)
        return HashClient(self.servers, use_pooling=True, max_pool_size=self.pool_size, retry_attempts=0, **common)

    async def start(self) -> None:
        if self._client is None:
            self._client = self._connect()
            self._executor = ThreadPoolExecutor(max_workers=self.pool_size, thread_name_prefix="memcached")

    async def close(self) -> None:
        client, self._client = self._client, None
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)
        if client is not None:
            client.close()

    async def _run(self, action: str, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        if self._client is None:
            await self.start()
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, functools.partial(function, *args, **kwargs))
        except (MemcacheError, OSError) as exc:
            servers = ", ".join(f"{h}:{p}" for h, p in self.servers)
            raise CacheBackendError(f"memcached {action} failed ({servers}): {exc}", backend="memcached") from exc

    @property
    def client(self) -> PooledClient | HashClient:
        if self._client is None:
            self._client = self._connect()
            self._executor = ThreadPoolExecutor(max_workers=self.pool_size, thread_name_prefix="memcached")
        return self._client

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        if not keys:
            return []
        found: dict[Any, bytes] = await self._run("get", self.client.get_many, list(keys))
        return [found.get(k) for k in keys]

    async def set_many(self, items: Mapping[str, bytes], ttl: float | None) -> None:
        if items:
            await self._run("set", self.client.set_many, dict(items), expire=_expire(ttl), noreply=False)

    async def delete_many(self, keys: Sequence[str]) -> None:
        if keys:
            await self._run("delete", self.client.delete_many, list(keys), noreply=False)

    def _incr(self, key: str) -> int:
        client = self.client
        while True:
            value = client.incr(key, 1, noreply=False)
            if value is not None:
                return int(value)
            # memcached's incr does not create: add, and if another client won the race, incr again.
            if client.add(key, b"1", expire=0, noreply=False):
                return 1

    async def incr(self, key: str) -> int:
        return await self._run("incr", self._incr, key)

    async def incr_many(self, keys: Sequence[str]) -> list[int]:
        """Every ``incr`` in one thread hop (memcached's text protocol has no multi-incr)."""
        return await self._run("incr", lambda: [self._incr(k) for k in keys])

    async def clear(self) -> None:
        """``flush_all``: empties the whole server (give the cache its own memcached)."""
        await self._run("flush_all", self.client.flush_all, noreply=False)

    def stats(self) -> dict[str, Any]:
        return {"servers": [f"{h}:{p}" for h, p in self.servers], "threads": self.pool_size}

"""`RedisStore`: the cache-store primitives on Redis, one round trip each."""

from __future__ import annotations

import asyncio
import contextlib
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from prisma_infra_sdk import CacheBackendError, CacheStore
from redis.asyncio import Connection, ConnectionPool
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

__all__ = ["RedisStore"]


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

    Commands run on redis-py connections this store keeps itself, in a free
    list; a semaphore of ``max_connections`` bounds the commands in flight,
    and so the connections ever opened. redis-py's client and pool pay, on
    every command, a lock, a "has data" probe of the socket, a retry
    wrapper, an event dispatch and observability hooks, none of which is
    used here (no retries, no tracing): ~30 µs per hit on the benchmark VM.
    A connection goes back to the list only after every reply was read; one
    whose command failed or was interrupted is disconnected first and
    reconnects on its next use.
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
        self._factory: ConnectionPool | None = None
        self._idle: list[Connection] = []  # connected or not; none holds an unread reply
        self._slots = asyncio.Semaphore(int(self.options.get("max_connections", 64)))

    @property
    def factory(self) -> ConnectionPool:
        """Makes connections with the URL's settings (redis-py's parsing); its pool is not used."""
        if self._factory is None:
            self._factory = ConnectionPool.from_url(
                self.url,
                socket_connect_timeout=float(self.options.get("connect_timeout", 1.0)),
                socket_timeout=self.socket_timeout,
                socket_keepalive=True,
                retry=Retry(NoBackoff(), 0),
            )
        return self._factory

    async def start(self) -> None:
        # Connecting lazily lets the infrastructure start while Redis is down (it is bypassed).
        self.factory  # noqa: B018

    async def close(self) -> None:
        self._factory = None
        idle, self._idle = self._idle, []
        for connection in idle:
            with contextlib.suppress(RedisError, OSError):
                await connection.disconnect()

    async def _run(self, action: str, *commands: tuple[Any, ...]) -> list[Any]:
        """Send ``commands`` in one round trip under a connection slot; their replies, in order."""
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
            replies = await self._send(commands)
        except (RedisError, OSError) as exc:
            if task is not None and task.cancelling() > cancelling:
                raise asyncio.CancelledError from exc
            raise self._error(action, exc) from exc
        finally:
            slots.release()
        if task is not None and task.cancelling() > cancelling:
            raise asyncio.CancelledError  # redis-py swallowed it: see the class docstring
        return replies

    async def _send(self, commands: tuple[tuple[Any, ...], ...]) -> list[Any]:
        factory = self.factory
        idle = self._idle
        connection: Connection = idle.pop() if idle else factory.make_connection()  # type: ignore[no-untyped-call]
        try:
            if len(commands) == 1:
                await connection.send_packed_command(connection.pack_command(*commands[0]))
                replies = [await connection.read_response()]
            else:
                await connection.send_packed_command(connection.pack_commands(commands))
                replies = [await connection.read_response() for _ in commands]
        except BaseException:
            # Replies may be left unread (an error reply mid-pipeline, an interruption).
            await connection.disconnect(nowait=True)
            raise
        finally:
            if factory is self._factory:
                idle.append(connection)
            else:  # closed meanwhile
                await connection.disconnect(nowait=True)
        return replies

    def _error(self, action: str, exc: Exception) -> CacheBackendError:
        return CacheBackendError(f"redis {action} failed ({self.safe_url}): {exc}", backend="redis")

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        if not keys:
            return []
        (values,) = await self._run("MGET", ("MGET", *keys))
        return values  # type: ignore[no-any-return]  # bytes: replies are never decoded

    async def set_many(self, items: Mapping[str, bytes], ttl: float | None) -> None:
        if not items:
            return
        px = ("PX", max(1, math.ceil(ttl * 1000))) if ttl is not None else ()
        await self._run("SET", *(("SET", key, value, *px) for key, value in items.items()))

    async def delete_many(self, keys: Sequence[str]) -> None:
        if not keys:
            return
        await self._run("UNLINK", ("UNLINK", *keys))

    async def incr(self, key: str) -> int:
        (value,) = await self._run("INCR", ("INCR", key))
        return int(value)

    async def incr_many(self, keys: Sequence[str]) -> list[int]:
        """``INCR`` every key in one pipelined round trip."""
        if not keys:
            return []
        values = await self._run("INCR", *(("INCR", key) for key in keys))
        return [int(v) for v in values]

    async def clear(self) -> None:
        """Remove every key under ``key_prefix`` (``SCAN`` + ``UNLINK``; other data is untouched)."""
        cursor = b"0"
        match = f"{self.key_prefix}*"
        while True:
            ((cursor, keys),) = await self._run("SCAN", ("SCAN", cursor, "MATCH", match, "COUNT", 1000))
            if keys:
                await self._run("UNLINK", ("UNLINK", *keys))
            if cursor == b"0":
                return

    def stats(self) -> dict[str, Any]:
        return {"url": self.safe_url}

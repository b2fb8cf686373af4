"""A synchronous facade for code without an event loop (Flask, scripts, notebooks).

It runs one event loop in a background thread and proxies the async objects:
coroutines are run to completion, async iterators become iterators, and the
objects they return (repositories, query builders, transactions) are wrapped
the same way. No logic is duplicated: every call lands on the async objects.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import threading
from collections.abc import AsyncIterator, Coroutine, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from prisma_infra.infrastructure import Infrastructure

__all__ = ["SyncInfrastructure", "SyncProxy"]

T = TypeVar("T")

#: Classes whose instances are wrapped (their methods return awaitables or async iterators).
_PROXIED_MODULE_PREFIX = "prisma_infra"


class _LoopThread:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="prisma-infra-sync", daemon=True)
        self.thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        if threading.current_thread() is self.thread:
            raise RuntimeError("SyncInfrastructure cannot be called from its own event loop thread")
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)
        self.loop.close()


class SyncProxy:
    """Wraps an async prisma-infra object so every call blocks until done."""

    __slots__ = ("_runner", "_target")

    def __init__(self, target: Any, runner: _LoopThread) -> None:
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_runner", runner)

    def _wrap(self, value: Any) -> Any:
        if inspect.isawaitable(value):
            return self._wrap(self._runner.run(_awaited(value)))
        if isinstance(value, AsyncIterator):
            return self._iterate(value)
        module = type(value).__module__ or ""
        if module.startswith(_PROXIED_MODULE_PREFIX) and _has_async_members(value):
            return SyncProxy(value, self._runner)
        return value

    def _iterate(self, iterator: AsyncIterator[Any]) -> Iterator[Any]:
        while True:
            try:
                item = self._runner.run(_anext(iterator))
            except StopAsyncIteration:
                return
            yield item

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if callable(value):

            def call(*args: Any, **kwargs: Any) -> Any:
                return self._wrap(value(*args, **kwargs))

            call.__name__ = name
            call.__doc__ = value.__doc__
            return call
        return self._wrap(value)

    def __enter__(self) -> Any:
        enter = getattr(self._target, "__aenter__", None)
        if enter is None:
            return self._wrap(self._target.__enter__())
        return self._wrap(self._runner.run(enter()))

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> Any:
        exit_ = getattr(self._target, "__aexit__", None)
        if exit_ is None:
            return self._target.__exit__(exc_type, exc, tb)
        return self._runner.run(exit_(exc_type, exc, tb))

    def __iter__(self) -> Iterator[Any]:
        return self._iterate(self._target.__aiter__())

    def __repr__(self) -> str:
        return f"Sync({self._target!r})"


async def _awaited(value: Any) -> Any:
    return await value


async def _anext(iterator: AsyncIterator[Any]) -> Any:
    return await iterator.__anext__()


def _has_async_members(value: Any) -> bool:
    cls: type[Any] = type(value)
    return _class_has_async_members(cls)  # type: ignore[arg-type]  # classes are hashable


@functools.cache
def _class_has_async_members(cls: type[Any]) -> bool:
    return any(
        inspect.iscoroutinefunction(member) or inspect.isasyncgenfunction(member)
        for name, member in inspect.getmembers(cls)
        if not name.startswith("__") or name in ("__aenter__", "__aiter__")
    )


class SyncInfrastructure(SyncProxy):
    """``with SyncInfrastructure.from_settings("settings.toml") as infra: infra.repository("user").count()``."""

    __slots__ = ()

    def __init__(self, infrastructure: Infrastructure) -> None:
        super().__init__(infrastructure, _LoopThread())

    @classmethod
    def from_settings(cls, *settings_files: str | Path, **kwargs: Any) -> SyncInfrastructure:
        return cls(Infrastructure.from_settings(*settings_files, **kwargs))

    @property
    def infrastructure(self) -> Infrastructure:
        """The async `Infrastructure` behind the facade."""
        target: Infrastructure = self._target
        return target

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run ``coroutine`` on the facade's loop thread, in a copy of the caller's contextvars; block until done."""
        result: T = self._runner.run(coroutine)
        return result

    def start(self) -> SyncInfrastructure:
        self._runner.run(self._target.start())
        return self

    def close(self) -> None:
        try:
            self._runner.run(self._target.close())
        finally:
            self._runner.stop()

    def __enter__(self) -> SyncInfrastructure:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

"""Liveness and readiness: what ``/healthz`` and ``/readyz`` answer.

*Liveness* says the process runs and serves HTTP; it checks nothing else, so
an orchestrator never restarts a process because its database is down.

*Readiness* says the process can serve requests now: the infrastructure is
started, the engine answers ``ping()``, and every required cache store is
reachable. Required stores are ``monitoring.readiness_stores``, or every
configured tier when that is ``None``; in-process stores are always reachable.
When the cache manager is a `StorePinger` (``async ping() -> {store: error or None}``)
it is used; otherwise each shared store is probed with a fresh connection (one
``get_many`` of a key that does not exist). Each check is bounded by
``monitoring.readiness_timeout``.

``/readyz`` answers without credentials, so the error texts it shows have every
credential they spell out masked (a driver's message may quote its URL).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Iterable, Mapping
from importlib import metadata
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from prisma_infra.cache.service import CACHE
from prisma_infra.config.masking import mask_text
from prisma_infra.errors import PrismaInfraError
from prisma_infra.providers import CacheStore

if TYPE_CHECKING:
    from prisma_infra.config.model import InfraConfig
    from prisma_infra.kernel import Kernel
    from prisma_infra.runtime import Runtime

__all__ = ["PROBE_KEY", "CacheStatus", "StorePinger", "configured_stores", "liveness", "readiness"]

#: The key read from shared stores to prove they answer.
PROBE_KEY = "prisma-infra:readyz:probe"
_STARTED = time.time()


class CacheStatus(Protocol):
    """What readiness reads of the cache manager: its stores' states (``{"stores": {name: {"state"}}}``)."""

    def stats(self) -> Mapping[str, Any]: ...


@runtime_checkable
class StorePinger(Protocol):
    """A cache manager that checks its own stores: ``{store: None (reachable) or the problem}``."""

    def ping(self) -> Awaitable[Mapping[str, object]]: ...


def _cache_of(runtime: Runtime) -> CacheStatus | None:
    return runtime.services.get(CACHE)


def _version() -> str:
    try:
        return metadata.version("prisma-infra")
    except metadata.PackageNotFoundError:  # pragma: no cover - run from a source tree without metadata
        return "unknown"


def liveness() -> dict[str, Any]:
    """The process is up: pid, uptime and version."""
    return {"status": "ok", "pid": os.getpid(), "uptime_s": round(time.time() - _STARTED, 1), "version": _version()}


def _error(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    return mask_text(f"{type(exc).__name__}: {exc}")[:500]


async def _timed(check: Any, timeout: float) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        async with asyncio.timeout(timeout):
            await check
    except (Exception, TimeoutError) as exc:
        return {"status": "error", "error": _error(exc), "latency_ms": round((time.perf_counter() - started) * 1e3, 2)}
    return {"status": "ok", "latency_ms": round((time.perf_counter() - started) * 1e3, 2)}


def configured_stores(config: InfraConfig) -> list[str]:
    """Every cache store a tier list names (``cache.tiers`` and per-model ``tiers``), in order."""
    names: list[str] = []
    lists: Iterable[list[str] | None] = [config.cache.tiers, *(m.cache.tiers for m in config.models.values())]
    for tiers in lists:
        for name in tiers or ():
            if name not in names:
                names.append(name)
    return names


async def _probe_store(runtime: Runtime, name: str) -> None:
    registration = runtime.registry["cache_stores"].get(name)
    if registration is None:
        raise PrismaInfraError(f"cache store {name!r} is not registered")
    store: CacheStore = registration.factory(dict(runtime.config.cache.stores.get(name, {})))
    if not store.shared:
        return
    await store.start()
    try:
        await store.get_many([PROBE_KEY])
    finally:
        await store.close()


async def _cache_checks(runtime: Runtime, timeout: float) -> dict[str, dict[str, Any]]:
    config = runtime.config
    manager = _cache_of(runtime)
    if manager is None or not config.cache.enabled:
        return {}
    stores = configured_stores(config)
    required = set(stores if config.monitoring.readiness_stores is None else config.monitoring.readiness_stores)
    checks: dict[str, dict[str, Any]] = {}
    if isinstance(manager, StorePinger):
        result = await _timed(_collect(manager, checks), timeout)
        if result["status"] != "ok":
            for name in stores:
                checks.setdefault(name, dict(result))
    else:
        results = await asyncio.gather(*(_timed(_probe_store(runtime, name), timeout) for name in stores))
        checks.update(zip(stores, results, strict=True))
    breakers = _breakers(manager)
    for name, check in checks.items():
        check["required"] = name in required
        if name in breakers:
            check["breaker"] = breakers[name]
    return {f"cache:{name}": check for name, check in checks.items()}


async def _collect(pinger: StorePinger, into: dict[str, dict[str, Any]]) -> None:
    answers = await pinger.ping()
    for name, problem in answers.items():
        into[name] = {"status": "ok"} if problem is None else {"status": "error", "error": mask_text(str(problem))}


def _breakers(manager: CacheStatus) -> dict[str, str]:
    try:
        stores = manager.stats().get("stores", {})
        return {name: str(info.get("state")) for name, info in stores.items() if isinstance(info, Mapping)}
    except Exception:
        return {}


async def readiness(kernel: Kernel) -> tuple[bool, dict[str, Any]]:
    """``(ready, details)``: the engine answers and every required cache store is reachable."""
    started = time.perf_counter()
    try:
        runtime = kernel.runtime
    except PrismaInfraError as exc:
        problem = {"status": "error", "error": mask_text(str(exc))}
        return False, {"status": "not_ready", "checks": {"infrastructure": problem}}
    timeout = runtime.config.monitoring.readiness_timeout
    engine_check, cache_checks = await asyncio.gather(
        _timed(runtime.engine.ping(), timeout), _cache_checks(runtime, timeout)
    )
    checks: dict[str, dict[str, Any]] = {"engine": {**engine_check, "provider": _provider(runtime)}, **cache_checks}
    ready = all(c["status"] == "ok" for name, c in checks.items() if name == "engine" or c.get("required"))
    return ready, {
        "status": "ready" if ready else "not_ready",
        "checks": checks,
        "duration_ms": round((time.perf_counter() - started) * 1e3, 2),
    }


def _provider(runtime: Runtime) -> str | None:
    try:
        return str(runtime.engine.provider)
    except Exception:
        return None

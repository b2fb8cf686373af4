"""`Deployment`: the dashboard of every process of a deployment, through the shared cache store.

Each process (a ``prisma-infra serve --workers N`` worker, an application instance)
publishes its monitoring (`prisma_infra.monitoring.merge.publication`) every
``monitoring.dashboard_interval`` seconds into the store the cache publishes under
`prisma_infra.ports.caching.SHARED_STORE` (Redis, memcached: the cache's own client),
under a key of its own with a TTL of `ttl` (three intervals, at least `MIN_TTL` s),
and lists itself in a registry key. The dashboard document of any process merges
every live process's publication with its own numbers (`prisma_infra.monitoring.merge`)
and lists the processes (``processes``: id, pid, host, started, last seen).

A process is live while its last publication is younger than the TTL on the kernel's
clock (`prisma_infra.clock`): one that stops (crashed, closed) drops out of every
dashboard after at most the TTL. Processes update the registry without a lock: two
that write it at the same moment may drop each other's line, which the next
publication (one interval later) restores.

Without a shared store, or while it is unreachable, the dashboard shows this process
only (the document of `Monitor.snapshot`, as in a single process).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import orjson

from prisma_infra.errors import CacheBackendError
from prisma_infra.monitoring.merge import VERSION, merge, publication
from prisma_infra.ports.caching import SHARED_STORE
from prisma_infra.stash import StashKey

if TYPE_CHECKING:
    from prisma_infra.kernel import Kernel
    from prisma_infra.monitoring.monitor import Monitor
    from prisma_infra.ports.caching import SharedStore
    from prisma_infra.stash import Services

__all__ = ["MIN_TTL", "REGISTRY_KEY", "Deployment", "process_identity"]

log = logging.getLogger("prisma_infra.monitoring")

#: The shortest time a publication stays live, whatever the interval.
MIN_TTL = 3.0
#: The registry of process ids (and when each last published), in the shared store's namespace.
REGISTRY_KEY = "monitor:processes"
_PROCESS_KEY = "monitor:process:"

_IDENTITY: StashKey[dict[str, Any]] = StashKey("deployment process identity")


def process_identity(kernel: Kernel, monitor: Monitor) -> dict[str, Any]:
    """This process's ``{"id", "pid", "host", "started_at"}``, kept across reloads (new after a fork)."""
    pid = os.getpid()
    found = kernel.stash.get(_IDENTITY)
    if found is None or found["pid"] != pid:
        host = socket.gethostname()
        found = {
            "id": f"{host}:{pid}:{secrets.token_hex(4)}",
            "pid": pid,
            "host": host,
            "started_at": monitor.started_at,
        }
        kernel.stash[_IDENTITY] = found
    return found


def _load(raw: bytes | None) -> Any:
    if raw is None:
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None


class Deployment:
    """Publishes this process's monitoring and builds the deployment's dashboard document.

    Published by the metrics middleware under `prisma_infra.ports.dashboard.DEPLOYMENT`
    and as the ``deployment`` dashboard source (its ``processes`` section).
    """

    name = "deployment"

    def __init__(self, kernel: Kernel, services: Services, monitor: Monitor) -> None:
        self.kernel = kernel
        self.services = services
        self.monitor = monitor
        self.processes: list[dict[str, Any]] = []
        self.published = 0
        self._task: asyncio.Task[None] | None = None

    @property
    def interval(self) -> float:
        return float(self.kernel.config.monitoring.dashboard_interval)

    @property
    def ttl(self) -> float:
        """Seconds a publication stays live: three intervals, at least `MIN_TTL`."""
        return max(3 * self.interval, MIN_TTL)

    @property
    def identity(self) -> dict[str, Any]:
        return process_identity(self.kernel, self.monitor)

    def store(self) -> SharedStore | None:
        return self.services.get(SHARED_STORE)

    # -- publishing ------------------------------------------------------------------------

    async def publish(self) -> bool:
        """Publish this process's numbers now; False without a shared store or when it is unreachable."""
        store = self.store()
        if store is None:
            return False
        identity = self.identity
        now = self.kernel.clock.time()
        document = orjson.dumps(publication(self.monitor, identity, now), default=str)
        try:
            registry = _load((await store.get_many([REGISTRY_KEY]))[0])
            live = self._live(registry, now)
            live[identity["id"]] = now
            items = {REGISTRY_KEY: orjson.dumps(live), _PROCESS_KEY + identity["id"]: document}
            await store.set_many(items, self.ttl)
        except CacheBackendError as exc:
            log.debug("the dashboard could not publish this process's numbers: %s", exc)
            return False
        self.published += 1
        return True

    def _live(self, registry: Any, now: float) -> dict[str, float]:
        if not isinstance(registry, Mapping):
            return {}
        oldest = now - self.ttl
        return {str(k): float(v) for k, v in registry.items() if isinstance(v, int | float) and v >= oldest}

    async def others(self) -> list[dict[str, Any]]:
        """The live publications of the other processes (raises `CacheBackendError` when unreachable)."""
        store = self.store()
        if store is None:
            return []
        own = self.identity["id"]
        now = self.kernel.clock.time()
        ids = [i for i in self._live(_load((await store.get_many([REGISTRY_KEY]))[0]), now) if i != own]
        found = await store.get_many([_PROCESS_KEY + i for i in ids]) if ids else []
        oldest = now - self.ttl
        out = []
        for raw in found:
            pub = _load(raw)
            if isinstance(pub, dict) and pub.get("v") == VERSION and float(pub.get("published_at", 0)) >= oldest:
                out.append(pub)
        out.sort(key=lambda p: (str(p["process"].get("host")), int(p["process"].get("pid", 0))))
        return out

    # -- the dashboard ---------------------------------------------------------------------

    async def document(self) -> dict[str, Any]:
        """The dashboard document: every live process merged, or `Monitor.snapshot` without a shared store."""
        store = self.store()
        if store is None:
            self.processes = []
            return self.monitor.snapshot()
        local = publication(self.monitor, self.identity, self.kernel.clock.time(), full=True)
        status = "shared"
        try:
            others = await self.others()
        except CacheBackendError:
            others, status = [], "unavailable"
        config = self.monitor.config
        document = merge(
            [local, *others],
            span=self.monitor.series.size,
            recent_errors=config.recent_errors,
            slow_operations=config.slow_operations,
        )
        self.processes = document["processes"]
        document["deployment"] = {
            "store": store.name,
            "status": status,
            "processes": len(self.processes),
            "live_for_s": self.ttl,
        }
        return document

    async def dashboard_sections(self) -> Mapping[str, object]:
        """The ``processes`` panel (of the document built last), none without a shared store."""
        return {"processes": list(self.processes)} if self.processes else {}

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Publish every ``dashboard_interval`` seconds of the kernel's clock until `close`."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._loop(), name="dashboard-deployment")

    async def _loop(self) -> None:
        while True:
            try:
                await self.publish()
            except Exception:  # never let the loop die: this process would vanish from the dashboard
                log.exception("publishing this process's numbers to the dashboard failed")
            await self.kernel.clock.sleep(self.interval)

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

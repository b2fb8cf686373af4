"""A process that creates users until it is killed (run by test_outbox_it's crash tests).

``python outbox_child.py SETTINGS_JSON MODE N``. It prints ``ready`` once started, then
``wrote <id>`` after each create returned, from 4 concurrent tasks. MODE ``stream``: the
test kills it (SIGKILL to its process group, the engine's Node process included) after
it read N lines. ``after-commit`` / ``after-store``: the process kills itself at the N-th
write, just after the commit (before any sink has the event) or just after the writer
stored the event (before its outbox row is deleted) — the crash windows, hit every time.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from typing import Any

import orjson
from prisma_infra.infrastructure import Infrastructure

WORKERS = 4


def die() -> None:
    os.killpg(os.getpgid(0), signal.SIGKILL)


async def main(settings: dict[str, Any], mode: str, n: int) -> None:
    infra = Infrastructure(settings)
    await infra.start()
    manager = infra.audit
    calls = 0

    def countdown() -> None:
        nonlocal calls
        calls += 1
        if calls == n:
            die()

    if mode == "after-commit":
        emit = manager.emit

        async def emit_then_die(events: Any) -> None:
            countdown()
            await emit(events)

        manager.emit = emit_then_die  # type: ignore[method-assign]
    elif mode == "after-store":
        assert manager.outbox is not None
        acknowledge = manager.outbox.acknowledge

        def stored_then_die(events: Any) -> None:
            countdown()
            acknowledge(events)

        manager.outbox.acknowledge = stored_then_die  # type: ignore[method-assign]
    users = infra.repository("user")
    print("ready", flush=True)

    async def worker(w: int) -> None:
        for i in range(100_000):
            user = await users.create({"email": f"w{w}-{i}@example.com", "name": "W"})
            print(f"wrote {user['id']}", flush=True)

    await asyncio.gather(*(worker(w) for w in range(WORKERS)))


if __name__ == "__main__":
    asyncio.run(main(orjson.loads(sys.argv[1]), sys.argv[2], int(sys.argv[3])))

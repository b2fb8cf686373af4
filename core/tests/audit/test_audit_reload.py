"""Reloads while writes run: one chain, no event lost, sinks added and removed between batches."""

from __future__ import annotations

import asyncio
from pathlib import Path

import orjson
from prisma_infra.audit.chain import Hasher, verify_events

from core.tests.audit.audit_doubles import audit_infrastructure
from tests.waiting import eventually


async def test_sinks_swap_under_writes_without_forking_or_losing(tmp_path: Path) -> None:
    infra = audit_infrastructure(tmp_path)
    async with infra:
        users = infra.repository("User")
        stop = asyncio.Event()
        written: list[int] = []

        async def writer() -> None:
            n = 0
            while not stop.is_set():
                n += 1
                created = await users.create({"email": f"u{n}@example.com"})
                written.append(created["id"])
                await asyncio.sleep(0)  # a scheduling point: the reloads run between writes

        async def more_writes(n: int = 5) -> None:
            target = len(written) + n
            await eventually(lambda: len(written) >= target, what=f"{n} more writes")

        task = asyncio.create_task(writer())
        await more_writes()
        await infra.configure({"audit": {"sinks": ["file", "memory"]}})  # add a sink
        await more_writes()
        await infra.configure({"audit": {"sinks": ["file"]}})  # remove it again
        await more_writes()
        await infra.configure({"audit": {"read_batch_size": 77}})  # same sinks, other settings
        await more_writes()
        stop.set()
        await task
        await infra.audit.flush()
    events = [orjson.loads(line) for line in (tmp_path / "audit.jsonl").read_bytes().splitlines()]
    creates = [e for e in events if e["action"] == "create"]
    assert sorted(int(e["record_id"]["id"]) for e in creates) == sorted(written)
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))  # one chain, no fork
    assert (await verify_events(events, Hasher())).ok

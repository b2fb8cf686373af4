"""Python -> bridge -> Prisma versus Prisma in Node, PostgreSQL, findUnique by id on 1,000 rows.

Run from the repository root: ``.venv/bin/python plugins/prisma/bench/bench_engine.py``
(uses the ``prisma_infra_engine_test`` database made by the test suite).
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

from prisma_infra.config.model import DatabaseConfig
from prisma_infra.operation import Action, Operation

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))
from conftest import DB_NAME, DDL, PG_SERVER, raw, write_schema
from prisma_infra_prisma import PrismaEngine

N = 5000


async def main() -> None:
    url = f"{PG_SERVER}/{DB_NAME}"
    schema = write_schema(Path(tempfile.mkdtemp()), "postgresql")
    engine = PrismaEngine(DatabaseConfig(schema_path=str(schema), url=url, pool_size=10))  # type: ignore[arg-type]
    for statement in DDL["postgresql"]:
        await engine.execute(raw(statement))
    await engine.execute(
        Operation("User", Action.CREATE_MANY, {"data": [{"email": f"b{i}@x.io", "name": f"n{i}"} for i in range(1000)]})
    )
    rows = await engine.execute(Operation("User", Action.FIND_MANY, {"select": {"id": True}}))
    ids = [r["id"] for r in rows]
    ops = [Operation("User", Action.FIND_UNIQUE, {"where": {"id": ids[i % len(ids)]}}) for i in range(N)]
    for o in ops[:500]:
        await engine.execute(o)
    t0, c0 = time.perf_counter(), time.process_time()
    for o in ops:
        await engine.execute(o)
    seq = (time.perf_counter() - t0) / N * 1000
    cpu = (time.process_time() - c0) / N * 1000
    many = [Operation("User", Action.FIND_UNIQUE, {"where": {"id": ids[i % len(ids)]}}) for i in range(10000)]
    t0 = time.perf_counter()
    await asyncio.gather(*(engine.execute(o) for o in many))
    conc = 10000 / (time.perf_counter() - t0)
    client = engine.prepare()
    assert engine._toolchain is not None
    native = engine._toolchain.run(
        Path(__file__).with_name("native_bench.cjs"), str(client.client), url, str(N), json.dumps(ids)
    )
    node = json.loads(native.stdout.decode().strip().splitlines()[-1])
    await engine.close()
    print(f"python->bridge sequential: {seq:.3f} ms/op   Prisma in Node: {node['seq_ms_per_op']:.3f} ms/op")
    print(f"overhead: {seq - node['seq_ms_per_op']:.3f} ms/op; Python CPU per sequential op: {cpu:.3f} ms")
    print(
        f"10,000 concurrent: python->bridge {conc:,.0f} ops/s, Prisma in Node {node['concurrent_ops_per_s']:,.0f} ops/s"
    )


if __name__ == "__main__":
    asyncio.run(main())

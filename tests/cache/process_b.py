"""Process B of the two-process tests: an infrastructure driven by commands on stdin.

``python -m tests.cache.process_b '<cache config JSON>' <db path>`` from the repository root; then one
command per line: ``read`` answers ``{"result": ..., "engine_reads": n}``, ``quit`` stops. Output is one JSON per line.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from tests.cache.cache_support import engine_of, make_infra

ARGS = {"where": {"id": "p1"}, "include": {"author": True}}


async def main() -> None:
    cache = json.loads(sys.argv[1])
    infra = make_infra(cache, Path(sys.argv[2]))
    loop = asyncio.get_running_loop()
    async with infra:
        print(json.dumps({"ready": True}), flush=True)
        while True:
            line = (await loop.run_in_executor(None, sys.stdin.readline)).strip()
            if line in ("", "quit"):
                return
            if line == "read":
                result = await infra.call("Post", "findMany", ARGS)
                print(json.dumps({"result": result, "engine_reads": engine_of(infra).reads}), flush=True)


if __name__ == "__main__":
    asyncio.run(main())

"""The engine benchmark lives in ``benchmarks/bench_engine.py`` (run by ``make bench``).

This runs it alone, from anywhere: ``.venv/bin/python plugins/prisma/bench/bench_engine.py``
(the same as ``.venv/bin/python -m benchmarks engine`` from the repository root). It uses its own
database, ``prisma_infra_bench``, never the test suite's. Companions here: ``native_bench.cjs``
(Prisma 7 alone in Node, the baseline), ``schema.prisma`` (the benchmark's schema) and
``python_side.py`` (the Python work per operation alone, for before/after comparisons).
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from benchmarks.__main__ import main

if __name__ == "__main__":
    asyncio.run(main(["engine"]))

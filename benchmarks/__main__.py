"""Run every benchmark module (or those named on the command line) and write the results."""

from __future__ import annotations

import asyncio
import importlib
import pkgutil
import sys
from pathlib import Path

from benchmarks.report import Report


async def main(selected: list[str]) -> None:
    report = Report()
    names = [m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.name.startswith("bench_")]
    # Analytics last: its million-row load leaves PostgreSQL vacuuming for minutes, which would
    # slow whatever is measured next.
    names.sort(key=lambda name: (name == "bench_analytics", name))
    for name in names:
        if selected and name.removeprefix("bench_") not in selected and name not in selected:
            continue
        module = importlib.import_module(f"benchmarks.{name}")
        print(f"== {name}", flush=True)
        await module.run(report)
    path = report.write()
    print(f"results written to {path} and {path.with_suffix('.md')}")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))

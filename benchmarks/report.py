"""Collects benchmark measurements and writes them to ``bench-results/``."""

from __future__ import annotations

import json
import platform
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parents[1] / "bench-results"


@dataclass
class Report:
    """Measurements of one ``make bench`` run; ratios are computed against a baseline of the same run."""

    started: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    results: list[dict[str, Any]] = field(default_factory=list)

    def add(self, group: str, name: str, **values: Any) -> None:
        self.results.append({"group": group, "name": name, **values})
        shown = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in values.items())
        print(f"[{group}] {name}: {shown}", flush=True)

    def write(self) -> Path:
        RESULTS_DIR.mkdir(exist_ok=True)
        path = RESULTS_DIR / "latest.json"
        payload = {
            "started": self.started,
            "machine": platform.platform(),
            "python": platform.python_version(),
            "results": self.results,
        }
        path.write_text(json.dumps(payload, indent=2, default=str))
        lines = [f"# Benchmark results ({self.started})", "", f"{payload['machine']}, Python {payload['python']}", ""]
        group = None
        for row in self.results:
            if row["group"] != group:
                group = row["group"]
                lines += ["", f"## {group}", ""]
            values = ", ".join(
                f"{k}: {v:.4g}" if isinstance(v, float) else f"{k}: {v}"
                for k, v in row.items()
                if k not in ("group", "name")
            )
            lines.append(f"- **{row['name']}** — {values}")
        (RESULTS_DIR / "latest.md").write_text("\n".join(lines) + "\n")
        return path


async def time_sequential(call: Callable[[], Awaitable[Any]], *, iterations: int, warmup: int = 50) -> dict[str, float]:
    """Median and p95 latency in microseconds of ``iterations`` sequential awaits."""
    for _ in range(warmup):
        await call()
    samples = []
    for _ in range(iterations):
        started = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - started) * 1e6)
    samples.sort()
    return {
        "median_us": statistics.median(samples),
        "p95_us": samples[int(len(samples) * 0.95) - 1],
        "mean_us": statistics.fmean(samples),
    }

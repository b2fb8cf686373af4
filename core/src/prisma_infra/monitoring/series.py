"""Time-bucketed series in bounded memory: one slot per second in a ring.

Each slot counts operations, errors, rows and cache results, and keeps a
log-spaced latency histogram (≈25 % wide buckets from 5 µs to 2 minutes) from
which percentiles are estimated. The ring is allocated once; a slot is reset
when its second comes round again, so memory is fixed by ``history_seconds``.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["BOUNDS", "Slot", "TimeSeries", "bucket_of", "ms", "percentile", "render"]


def _bounds(low: float = 5e-6, high: float = 120.0, factor: float = 1.25) -> tuple[float, ...]:
    out = []
    value = low
    while value < high:
        out.append(value)
        value *= factor
    out.append(high)
    return tuple(out)


#: Upper bounds (seconds) of the latency buckets; one more bucket holds everything above.
BOUNDS: tuple[float, ...] = _bounds()
_NBUCKETS = len(BOUNDS) + 1


def bucket_of(seconds: float) -> int:
    """Index of the latency bucket holding ``seconds``."""
    return bisect_left(BOUNDS, seconds)


def percentile(hist: Sequence[int], q: float, total: int | None = None) -> float | None:
    """Estimate the ``q`` quantile (0..1) in seconds from bucket counts; ``None`` when empty."""
    if total is None:
        total = sum(hist)
    if total <= 0:
        return None
    rank = max(1.0, math.ceil(q * total))
    seen = 0
    for index, count in enumerate(hist):
        if not count:
            continue
        if seen + count >= rank:
            lower = BOUNDS[index - 1] if index > 0 else 0.0
            upper = BOUNDS[index] if index < len(BOUNDS) else BOUNDS[-1] * 2
            return lower + (upper - lower) * ((rank - seen) / count)
        seen += count
    return BOUNDS[-1]


class Slot:
    """The measurements of one second."""

    __slots__ = (
        "bypass",
        "count",
        "errors",
        "hist",
        "hits",
        "misses",
        "rows",
        "second",
        "stale",
        "total_seconds",
    )

    def __init__(self, second: int = -1) -> None:
        self.reset(second)

    def reset(self, second: int) -> None:
        self.second = second
        self.count = 0
        self.errors = 0
        self.rows = 0
        self.total_seconds = 0.0
        self.hits = 0
        self.misses = 0
        self.stale = 0
        self.bypass = 0
        self.hist = [0] * _NBUCKETS


class TimeSeries:
    """A ring of ``size`` one-second slots keyed by the Unix second."""

    __slots__ = ("_current", "_slots", "size")

    def __init__(self, size: int) -> None:
        self.size = size
        self._slots = [Slot() for _ in range(size)]
        self._current = self._slots[0]

    def slot(self, second: int) -> Slot:
        """The slot of ``second`` for writing (reset when it held an older second)."""
        current = self._current
        if current.second == second:
            return current
        current = self._slots[second % self.size]
        if current.second != second:
            current.reset(second)
        self._current = current
        return current

    def window(self, now: int, seconds: int) -> list[tuple[int, Slot | None]]:
        """``(second, slot or None)`` for each of the last ``seconds`` seconds up to ``now``, oldest first."""
        seconds = min(seconds, self.size)
        out: list[tuple[int, Slot | None]] = []
        for second in range(now - seconds + 1, now + 1):
            slot = self._slots[second % self.size]
            out.append((second, slot if slot.second == second else None))
        return out

    @staticmethod
    def merged(slots: Iterable[Slot | None]) -> list[int]:
        """The latency histogram of several slots together."""
        total = [0] * _NBUCKETS
        for slot in slots:
            if slot is not None and slot.count:
                for i, count in enumerate(slot.hist):
                    if count:
                        total[i] += count
        return total


def ms(seconds: float | None) -> float | None:
    """Seconds as milliseconds rounded to the microsecond (``None`` stays ``None``)."""
    return None if seconds is None else round(seconds * 1000.0, 3)


Window = Sequence[tuple[int, "Slot | None"]]
_SERIES = ("t", "ops", "errors", "p50", "p95", "p99", "hits", "misses", "hit_ratio")


def render(window: Window) -> tuple[dict[str, list[Any]], dict[str, Any]]:
    """The dashboard's per-second series of ``window`` (oldest first) and its headline numbers.

    Headlines: ``ops_per_s`` (the last 10 complete seconds), ``error_rate`` and the
    ``p50_ms``/``p95_ms``/``p99_ms`` latencies of the last minute (from the merged histograms).
    """
    series: dict[str, list[Any]] = {k: [] for k in _SERIES}
    for second, slot in window:
        series["t"].append(second)
        if slot is None or not slot.count:
            for k in ("ops", "errors", "hits", "misses"):
                series[k].append(0)
            for k in ("p50", "p95", "p99", "hit_ratio"):
                series[k].append(None)
            continue
        series["ops"].append(slot.count)
        series["errors"].append(slot.errors)
        for name, q in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99)):
            series[name].append(ms(percentile(slot.hist, q, slot.count)))
        served = slot.hits + slot.stale
        series["hits"].append(served)
        series["misses"].append(slot.misses)
        series["hit_ratio"].append(round(served / (served + slot.misses), 4) if served + slot.misses else None)
    recent = [slot for _, slot in window[-60:]]  # the last minute, this second included
    last_minute = TimeSeries.merged(recent)
    minute_ops = sum(s.count for s in recent if s is not None)
    ops_10 = sum(s.count for _, s in window[-11:-1] if s is not None)
    errors_minute = sum(s.errors for s in recent if s is not None)
    headline = {
        "ops_per_s": round(ops_10 / 10.0, 2),
        "error_rate": round(errors_minute / minute_ops, 4) if minute_ops else 0.0,
        "p50_ms": ms(percentile(last_minute, 0.5)),
        "p95_ms": ms(percentile(last_minute, 0.95)),
        "p99_ms": ms(percentile(last_minute, 0.99)),
    }
    return series, headline

"""Counters per model and tier, a fixed-bucket latency histogram, and the report built from them.

Counters are plain attributes bumped on the hot path (no locks: one event
loop); the metrics system reads `CacheManager.stats()` (`report`) when it scrapes.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from prisma_infra.cache.rules import ModelCacheRules

__all__ = ["BUCKETS_US", "Counters", "LatencyHistogram", "TierStats", "model_report", "report"]

#: Upper bounds in microseconds (1-2-5 steps from 1 µs to 5 s); the last bucket is open.
BUCKETS_US: tuple[float, ...] = tuple(m * 10**e for e in range(7) for m in (1, 2, 5))


class LatencyHistogram:
    __slots__ = ("counts", "sum_us", "total")

    def __init__(self) -> None:
        self.counts = [0] * (len(BUCKETS_US) + 1)
        self.total = 0
        self.sum_us = 0.0

    def observe(self, seconds: float) -> None:
        us = seconds * 1e6
        self.counts[bisect_left(BUCKETS_US, us)] += 1
        self.total += 1
        self.sum_us += us

    def percentile(self, q: float) -> float | None:
        """Upper bound (µs) of the bucket holding the ``q`` quantile; ``None`` when empty."""
        if not self.total:
            return None
        rank = q * self.total
        seen = 0
        for i, count in enumerate(self.counts):
            seen += count
            if seen >= rank and count:
                return BUCKETS_US[i] if i < len(BUCKETS_US) else float("inf")
        return float("inf")

    def snapshot(self) -> dict[str, Any]:
        return {
            "count": self.total,
            "mean_us": self.sum_us / self.total if self.total else None,
            "p50_us": self.percentile(0.5),
            "p99_us": self.percentile(0.99),
            "buckets_us": {str(b): c for b, c in zip((*BUCKETS_US, "inf"), self.counts, strict=True) if c},
        }


class TierStats:
    """What one model's reads did at one tier."""

    __slots__ = ("bytes_written", "fills", "hits", "latency", "misses", "stale_hits")

    def __init__(self) -> None:
        self.hits = 0
        self.misses = 0
        self.stale_hits = 0
        self.fills = 0
        self.bytes_written = 0
        self.latency = LatencyHistogram()

    def snapshot(self) -> dict[str, Any]:
        lookups = self.hits + self.stale_hits + self.misses
        return {
            "hits": self.hits,
            "stale_hits": self.stale_hits,
            "misses": self.misses,
            "hit_ratio": (self.hits + self.stale_hits) / lookups if lookups else None,
            "fills": self.fills,
            "bytes_written": self.bytes_written,
            "hit_latency": self.latency.snapshot(),
        }


class Counters:
    """Counts of one runtime's cache that belong to no model."""

    __slots__ = ("invalidations", "transaction_bypasses")

    def __init__(self) -> None:
        #: Bumps of generations (writes, ``invalidate``, ``clear``).
        self.invalidations = 0
        #: Reads that went to the database because they ran in a transaction (or after a write of its batch).
        self.transaction_bypasses = 0


def model_report(rules: ModelCacheRules) -> dict[str, Any]:
    """Hits, misses, stale hits, fills, bytes and hit latency per tier of one model."""
    return {
        "tiers": {t.name: s.snapshot() for t, s in zip(rules.tiers, rules.stats, strict=True)},
        "bypassed": rules.bypassed,
        "engine_calls": rules.engine_calls,
        "single_flight_joined": rules.joined,
    }


def report(
    *, enabled: bool, rules: list[ModelCacheRules], stores: dict[str, Any], counters: Counters, in_flight: int
) -> dict[str, Any]:
    """`CacheManager.stats`: the models that saw a read, the stores, and the counters."""
    models: dict[str, Any] = {}
    for one in rules:
        found = model_report(one)
        tiers = found["tiers"].values()
        if any(s["hits"] or s["misses"] or s["stale_hits"] for s in tiers) or one.bypassed:
            models[one.model] = found
    return {
        "enabled": enabled,
        "models": models,
        "stores": stores,
        "invalidations": counters.invalidations,
        "transaction_bypasses": counters.transaction_bypasses,
        "in_flight": in_flight,
    }

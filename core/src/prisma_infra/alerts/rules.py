"""Alert rules: a threshold, a duration, and the state machine that decides when to fire.

A rule compares a value with its threshold at each evaluation. Past the
threshold it is *pending*; it *fires* once it has been past it for
``for_evaluations`` evaluations in a row **and** for ``for_seconds``; it is
*resolved* (back to *ok*) at the first evaluation within the threshold. With no
value (no operations in the last minute, a KPI never evaluated) the rule is
*no_data* and neither fires nor resolves.

Operational values are read from what the runtime publishes: the monitor and
the cache manager, each through the few methods a rule needs (`MonitorReadings`,
`CacheReadings`); without them the rule reports *no data*.
"""

from __future__ import annotations

import operator
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

__all__ = [
    "OPERATORS",
    "AlertRule",
    "CacheReadings",
    "MonitorReadings",
    "RuleState",
    "Transition",
    "operational_value",
]

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}

Status = Literal["ok", "pending", "firing", "no_data"]
Transition = Literal["fired", "resolved"]


@dataclass
class RuleState:
    status: Status = "no_data"
    value: float | None = None
    breaches: int = 0
    breach_since: float | None = None
    fired_at: float | None = None
    evaluated_at: float | None = None
    evaluations: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "value": self.value,
            "breaches": self.breaches,
            "breach_since": self.breach_since,
            "fired_at": self.fired_at,
            "evaluated_at": self.evaluated_at,
        }


@dataclass
class AlertRule:
    """One rule and its state (kept across reloads when its definition is unchanged)."""

    name: str
    source: str
    threshold: float
    operator: str = ">"
    for_evaluations: int = 1
    for_seconds: float = 0.0
    severity: str = "warning"
    message: str | None = None
    sinks: tuple[str, ...] | None = None
    kpi: str | None = None
    value: str = "value"
    labels: dict[str, Any] = field(default_factory=dict)
    state: RuleState = field(default_factory=RuleState)

    @property
    def fingerprint(self) -> tuple[Any, ...]:
        return (
            self.source,
            self.kpi,
            self.value,
            self.operator,
            self.threshold,
            self.for_evaluations,
            self.for_seconds,
        )

    def breached(self, value: float) -> bool:
        return OPERATORS[self.operator](value, self.threshold)

    def evaluate(self, value: float | None, now: float | None = None) -> Transition | None:
        """Record one evaluation; return ``"fired"`` or ``"resolved"`` when the alert changes."""
        now = time.time() if now is None else now
        state = self.state
        state.evaluated_at = now
        state.evaluations += 1
        state.value = value
        if value is None:
            if state.status != "firing":
                state.status = "no_data"
                state.breaches = 0
                state.breach_since = None
            return None
        if not self.breached(value):
            was_firing = state.status == "firing"
            state.status = "ok"
            state.breaches = 0
            state.breach_since = None
            state.fired_at = None
            return "resolved" if was_firing else None
        state.breaches += 1
        if state.breach_since is None:
            state.breach_since = now
        if state.status == "firing":
            return None
        if state.breaches >= self.for_evaluations and now - state.breach_since >= self.for_seconds:
            state.status = "firing"
            state.fired_at = now
            return "fired"
        state.status = "pending"
        return None

    def describe(self) -> str:
        what = self.kpi if self.source == "kpi" else self.source
        if self.source == "kpi" and self.value != "value":
            what = f"{what} {self.value}"
        duration = []
        if self.for_evaluations > 1:
            duration.append(f"{self.for_evaluations} evaluations")
        if self.for_seconds:
            duration.append(f"{self.for_seconds:g} s")
        text = f"{what} {self.operator} {self.threshold:g}"
        return f"{text} for {' and '.join(duration)}" if duration else text

    def alert(self, transition: Transition) -> dict[str, Any]:
        """The alert dict sent through ``alert_raised`` and to the sinks."""
        state = self.state
        value = state.value
        shown = "n/a" if value is None else f"{value:.4g}"
        template = self.message or "{name}: {value} {operator} {threshold}"
        try:
            message = template.format(name=self.name, value=shown, operator=self.operator, threshold=self.threshold)
        except (KeyError, IndexError, ValueError):
            message = template
        if transition == "resolved":
            message = f"resolved: {self.name} ({self.describe()} no longer holds; value {shown})"
        return {
            "name": self.name,
            "severity": "info" if transition == "resolved" else self.severity,
            "status": "firing" if transition == "fired" else "resolved",
            "message": message,
            "source": "analytics" if self.source == "kpi" else "monitoring",
            "rule": self.describe(),
            "metric": self.kpi if self.source == "kpi" else self.source,
            "value": value,
            "threshold": self.threshold,
            "operator": self.operator,
            "since": state.breach_since,
            "fired_at": state.fired_at,
            **({"kpi": self.kpi, "kpi_value": self.value} if self.kpi else {}),
            **({"sinks": list(self.sinks)} if self.sinks is not None else {}),
            **self.labels,
        }


@runtime_checkable
class MonitorReadings(Protocol):
    """What a rule reads from the monitor (`prisma_infra.monitoring.Monitor`)."""

    def snapshot(self, seconds: int | None = None) -> Mapping[str, Any]:
        """Per-second ``series`` (``ops``, ``errors``, ``hits``, ``misses``) and ``totals`` (``p95_ms``)."""
        ...


@runtime_checkable
class CacheReadings(Protocol):
    """What a rule reads from the cache manager (`prisma_infra.cache.CacheManager`)."""

    def stats(self) -> Mapping[str, Any]:
        """``{"models": {name: {"tiers": {tier: {"hits", "stale_hits", "misses"}}}}}`` since start."""
        ...


def operational_value(
    source: str, monitor: MonitorReadings | None, cache: CacheReadings | None, *, window: int = 60
) -> float | None:
    """The current value of an operational metric, or ``None`` (no data).

    * ``error_rate``: failed / all operations over the last ``window`` seconds;
    * ``p95_latency_ms``: their 95th percentile latency;
    * ``cache_hit_ratio``: served from cache / cache lookups over the last ``window``
      seconds (the monitor), else since start (the cache manager's counters).
    """
    snapshot = monitor.snapshot(window) if monitor is not None else None
    if source in ("error_rate", "p95_latency_ms"):
        if snapshot is None:
            return None
        series = snapshot.get("series") or {}
        operations = sum(series.get("ops") or [])
        if not operations:
            return None
        if source == "error_rate":
            return float(sum(series.get("errors") or [])) / float(operations)
        totals = snapshot.get("totals") or {}
        p95 = totals.get("p95_ms")
        return None if p95 is None else float(p95)
    if source == "cache_hit_ratio":
        if snapshot is not None:
            series = snapshot.get("series") or {}
            hits, misses = int(sum(series.get("hits") or [])), int(sum(series.get("misses") or []))
            if hits + misses:
                return hits / (hits + misses)
        return None if cache is None else _cache_ratio(cache.stats())
    raise ValueError(f"unknown operational metric {source!r}")


def _cache_ratio(stats: Mapping[str, Any]) -> float | None:
    served = lookups = 0
    for model in (stats.get("models") or {}).values():
        tiers = list((model.get("tiers") or {}).values())
        if not tiers:
            continue
        served += sum(int(t.get("hits", 0)) + int(t.get("stale_hits", 0)) for t in tiers)
        lookups += int(tiers[-1].get("misses", 0))
    lookups += served
    return served / lookups if lookups else None

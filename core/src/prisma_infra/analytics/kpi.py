"""KPIs: a metric of one model per interval, evaluated on a schedule, with history, trend and anomaly.

At each evaluation a KPI reads the last ``window + 1`` buckets ending with the
last complete one (the current one with ``include_current``), in one pushed-down
query. Its *value* is the last bucket's; its *trend* the least-squares slope
over the last ``window`` buckets (units per bucket); its *anomaly* the z-score
of the value against the mean and standard deviation of the ``window`` buckets
before it. Thresholds give a *status* (ok, warning, critical) and, after
``alert_after`` evaluations in a row, an alert.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from prisma_infra.analytics.buckets import add, as_wall, localize, truncate
from prisma_infra.analytics.metrics import as_float
from prisma_infra.analytics.series import anomaly, slope
from prisma_infra.config.model import KpiConfig

if TYPE_CHECKING:
    from prisma_infra.analytics.query import AnalyticsQuery
    from prisma_infra.analytics.runner import AnalyticsRunner

__all__ = ["HistoryEntry", "HistoryStore", "Kpi", "KpiState", "kpi_status"]

Status = Literal["ok", "warning", "critical", "no_data", "error"]
_RANK = {"ok": 0, "no_data": 0, "error": 0, "warning": 1, "critical": 2}


def kpi_status(config: KpiConfig, value: float | None) -> Status:
    thresholds = config.thresholds
    if value is None:
        return "no_data"
    if thresholds is None:
        return "ok"
    below = thresholds.direction == "below"
    for level in ("critical", "warning"):
        limit = getattr(thresholds, level)
        if limit is not None and (value <= limit if below else value >= limit):
            return level
    return "ok"


@dataclass
class KpiState:
    """The outcome of a KPI's latest evaluation."""

    name: str
    value: float | None = None
    status: Status = "no_data"
    bucket: datetime | None = None
    """Start of the bucket the value belongs to."""
    trend: float | None = None
    anomaly: dict[str, float | None] | None = None
    points: list[tuple[datetime, float | None]] = field(default_factory=list)
    evaluated_at: float | None = None
    duration_ms: float | None = None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": self.value,
            "status": self.status,
            "bucket": self.bucket.isoformat() if self.bucket else None,
            "trend": self.trend,
            "anomaly": self.anomaly,
            "points": [[b.isoformat(), v] for b, v in self.points],
            "evaluated_at": self.evaluated_at,
            "duration_ms": self.duration_ms,
            "error": self.error,
        }


@dataclass(frozen=True)
class HistoryEntry:
    time: float
    value: float | None
    status: str
    trend: float | None = None
    z: float | None = None

    def as_list(self) -> list[Any]:
        return [self.time, self.value, self.status, self.trend, self.z]

    @classmethod
    def from_list(cls, item: Any) -> HistoryEntry:
        t, value, status, *rest = item
        trend = rest[0] if rest else None
        z = rest[1] if len(rest) > 1 else None
        return cls(float(t), None if value is None else float(value), str(status), trend, z)


class HistoryStore:
    """Bounded in-memory history per KPI, optionally saved to and loaded from a JSON file."""

    def __init__(self, size: int, path: Path | None = None) -> None:
        self.size = size
        self.path = path
        self.entries: dict[str, deque[HistoryEntry]] = {}

    def resize(self, size: int) -> None:
        if size != self.size:
            self.size = size
            self.entries = {name: deque(items, maxlen=size) for name, items in self.entries.items()}

    def add(self, name: str, entry: HistoryEntry) -> None:
        self.entries.setdefault(name, deque(maxlen=self.size)).append(entry)

    def get(self, name: str) -> list[HistoryEntry]:
        return list(self.entries.get(name, ()))

    def keep(self, names: Iterable[str]) -> None:
        wanted = set(names)
        for name in list(self.entries):
            if name not in wanted:
                del self.entries[name]

    def load(self) -> None:
        if self.path is None or not self.path.exists():
            return
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return
        for name, items in (data.get("kpis") or {}).items():
            if name in self.entries:
                continue
            with contextlib.suppress(TypeError, ValueError):
                self.entries[name] = deque((HistoryEntry.from_list(i) for i in items), maxlen=self.size)

    def save(self) -> None:
        """Write atomically (a temporary file renamed over the old one)."""
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        payload = {"version": 1, "kpis": {n: [e.as_list() for e in items] for n, items in self.entries.items()}}
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=self.path.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "w") as handle:
                json.dump(payload, handle)
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise


class Kpi:
    """One configured KPI: builds its query and turns the result into a `KpiState`."""

    def __init__(self, config: KpiConfig) -> None:
        self.config = config
        self.state = KpiState(config.name)
        #: Evaluations in a row past a threshold, and the severity already alerted.
        self.bad_streak = 0
        self.alerted: str | None = None
        self.alerted_at: float | None = None

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def metric_key(self) -> str:
        metric = self.config.metric
        return metric if isinstance(metric, str) else "value"

    def query(self, runner: AnalyticsRunner, now: datetime) -> AnalyticsQuery:
        c = self.config
        metric: Any = c.metric if isinstance(c.metric, str) else {**c.metric, "as": "value"}
        current = truncate(as_wall(now, UTC), c.interval)
        last = current if c.include_current else add(current, c.interval, -1)
        start = add(last, c.interval, -c.window)
        q = runner.for_model(c.model).metrics([metric]).interval(c.interval)
        q = q.date_range(localize(start, UTC), localize(add(last, c.interval), UTC))
        if c.where:
            q = q.where(c.where)
        if c.date_field:
            q = q.date_field(c.date_field)
        return q

    async def evaluate(self, runner: AnalyticsRunner, now: datetime | None = None) -> KpiState:
        now = now or datetime.now(UTC)
        started = time.perf_counter()
        result = await self.query(runner, now).generate()
        points = [(bucket, as_float(values.get(self.metric_key))) for bucket, values in result.points(())]
        values = [v for _, v in points]
        value = values[-1] if values else None
        window = self.config.window
        state = KpiState(
            name=self.name,
            value=value,
            status=kpi_status(self.config, value),
            bucket=points[-1][0] if points else None,
            trend=slope(values[-window:]),
            anomaly=(found.as_dict() if (found := anomaly(value, values[-window - 1 : -1])) else None),
            points=[(b, v) for b, v in points if b is not None],
            evaluated_at=now.timestamp(),
            duration_ms=round((time.perf_counter() - started) * 1000, 3),
        )
        self.state = state
        return state

    def fail(self, error: BaseException, now: float | None = None) -> KpiState:
        self.state = KpiState(
            name=self.name,
            status="error",
            evaluated_at=time.time() if now is None else now,
            error=f"{type(error).__name__}: {error}",
            points=self.state.points,
        )
        return self.state

    def alert_transition(self) -> Literal["fired", "resolved"] | None:
        """Whether the latest status fires (or resolves) the KPI's threshold alert."""
        status = self.state.status
        if status in ("warning", "critical"):
            self.bad_streak += 1
            if self.bad_streak >= self.config.alert_after and _RANK[status] > _RANK.get(self.alerted or "ok", 0):
                self.alerted = status
                self.alerted_at = self.alerted_at or self.state.evaluated_at
                return "fired"
            return None
        if status == "ok":
            self.bad_streak = 0
            if self.alerted is not None:
                self.alerted = None
                self.alerted_at = None
                return "resolved"
        return None

    def alert(self, transition: Literal["fired", "resolved"]) -> dict[str, Any]:
        c = self.config
        state = self.state
        shown = "n/a" if state.value is None else f"{state.value:.4g}"
        thresholds = c.thresholds
        limit = getattr(thresholds, state.status, None) if thresholds is not None and transition == "fired" else None
        where = "below" if thresholds is not None and thresholds.direction == "below" else "above"
        if transition == "fired":
            message = (
                f"KPI {c.name} is {state.status}: {shown}{' ' + c.unit if c.unit else ''} ({where} {limit:g})"
                if limit is not None
                else f"KPI {c.name} is {state.status}: {shown}"
            )
        else:
            message = f"resolved: KPI {c.name} is back to ok ({shown})"
        return {
            "name": f"kpi:{c.name}",
            "severity": state.status if transition == "fired" else "info",
            "status": "firing" if transition == "fired" else "resolved",
            "message": message,
            "source": "analytics",
            "kpi": c.name,
            "value": state.value,
            "threshold": limit,
            "bucket": state.bucket.isoformat() if state.bucket else None,
            "trend": state.trend,
            "anomaly": state.anomaly,
            "since": self.alerted_at,
        }

    def dashboard(self) -> dict[str, Any]:
        c = self.config
        state = self.state
        out: dict[str, Any] = {
            "name": c.name,
            "value": state.value,
            "status": state.status,
            "points": [[b.timestamp(), v] for b, v in state.points],
            "trend": state.trend,
            "anomaly": state.anomaly,
            "interval": c.interval,
            "model": c.model,
        }
        if c.unit:
            out["unit"] = c.unit
        if c.thresholds is not None:
            out["thresholds"] = {"warning": c.thresholds.warning, "critical": c.thresholds.critical}
        if state.error:
            out["error"] = state.error
        return out

    def describe(self) -> Mapping[str, Any]:
        c = self.config
        return {
            "name": c.name,
            "model": c.model,
            "metric": c.metric,
            "interval": c.interval,
            "window": c.window,
            "where": c.where,
            "thresholds": c.thresholds.model_dump() if c.thresholds else None,
            "schedule": c.schedule,
        }

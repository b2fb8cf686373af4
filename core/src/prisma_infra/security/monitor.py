"""`SecurityMonitor`: security events, counted and raised through the alert hook.

Events:

- ``policy_denied`` — an access policy refused an operation;
- ``bulk_read`` — one read returned more than ``security.bulk_read_rows`` rows;
- ``unusual_rate`` — an actor ran more than ``security.rate_threshold``
  operations within ``security.rate_window`` seconds (sliding window);
- ``off_hours_write`` — a write outside ``security.business_hours``
  (``start``/``end`` local times, ``days``, ``timezone``).

Every event is counted (`stats`) and kept in a short history (`recent`); an
alert is raised through ``kernel.raise_alert`` unless the same event
for the same actor alerted less than ``security.alert_cooldown`` seconds ago
(counted as suppressed), so an attack does not become an alert storm.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, OrderedDict, deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from datetime import time as dtime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from prisma_infra.actor import actor_id

if TYPE_CHECKING:
    from prisma_infra.config.model import SecurityConfig
    from prisma_infra.operation import Operation

__all__ = ["EVENT_SEVERITY", "SecurityEvent", "SecurityMonitor", "actor_key"]

log = logging.getLogger("prisma_infra.security")

EVENT_SEVERITY = {
    "policy_denied": "warning",
    "bulk_read": "warning",
    "unusual_rate": "critical",
    "off_hours_write": "warning",
}
_DAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}

AlertSink = Callable[[Mapping[str, Any]], Awaitable[None]]


def actor_key(actor: Any) -> str:
    """A string naming the actor in events: its id, or ``anonymous``."""
    found = actor_id(actor)
    return "anonymous" if found is None else str(found)


@dataclass(frozen=True, slots=True)
class SecurityEvent:
    name: str
    severity: str
    message: str
    actor: str
    time: float
    details: Mapping[str, Any] = field(default_factory=dict)

    def alert(self) -> dict[str, Any]:
        return {
            "name": f"security.{self.name}",
            "severity": self.severity,
            "message": self.message,
            "source": "security",
            "actor": self.actor,
            "time": self.time,
            **self.details,
        }


def _parse_time(text: str) -> dtime:
    hours, _, minutes = text.partition(":")
    return dtime(int(hours), int(minutes or 0))


class SecurityMonitor:
    """Counts security events and raises alerts; published under ``SECURITY`` (`prisma_infra.security.middleware`)."""

    def __init__(
        self,
        config: SecurityConfig,
        *,
        alert: AlertSink | None = None,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.alert = alert
        self.clock = clock
        self.monotonic = monotonic
        self.counts: Counter[str] = Counter()
        self.alerts_sent = 0
        self.alerts_suppressed = 0
        self.alert_failures = 0
        self._history: deque[SecurityEvent] = deque(maxlen=200)
        self._windows: OrderedDict[str, deque[float]] = OrderedDict()
        self._last_alert: dict[tuple[str, str], float] = {}
        self.configure(config)

    def configure(self, config: SecurityConfig) -> None:
        """Apply new settings (hot reload); counters are kept."""
        self.config = config
        hours = config.business_hours
        self._tz = ZoneInfo(hours.timezone) if hours is not None else None
        self._start = _parse_time(hours.start) if hours is not None else None
        self._end = _parse_time(hours.end) if hours is not None else None
        self._days = (
            frozenset(_DAYS[d.lower()[:3]] if isinstance(d, str) else int(d) for d in hours.days)
            if hours is not None
            else frozenset()
        )

    # -- observations ------------------------------------------------------------------------

    async def denied(self, operation: Operation, exc: Exception) -> None:
        policy = getattr(exc, "policy", None)
        rule = getattr(exc, "rule", None)
        await self._event(
            "policy_denied",
            operation,
            f"Policy denied {operation.action.value} on {operation.model or 'raw SQL'}: {exc}",
            {"model": operation.model, "action": operation.action.value, "policy": policy, "rule": rule},
        )

    def watches_start(self, operation: Operation) -> bool:
        """Whether `started` has anything to check for ``operation`` (lets callers skip the await)."""
        return self.config.rate_threshold is not None or (operation.is_write and self._tz is not None)

    def is_bulk(self, rows: int) -> bool:
        """Whether a read of ``rows`` rows is over ``bulk_read_rows`` (`read` then records an event)."""
        limit = self.config.bulk_read_rows
        return limit is not None and rows > limit

    async def read(self, operation: Operation, rows: int) -> None:
        if self.is_bulk(rows):
            limit = self.config.bulk_read_rows
            await self._event(
                "bulk_read",
                operation,
                f"{operation.action.value} on {operation.model or 'raw SQL'} returned {rows} rows (limit {limit}).",
                {"model": operation.model, "action": operation.action.value, "rows": rows, "limit": limit},
            )

    async def started(self, operation: Operation) -> None:
        """Every operation: the per-actor rate, and business hours for writes."""
        threshold = self.config.rate_threshold
        if threshold is not None:
            await self._rate(operation, threshold)
        if operation.is_write and self._tz is not None and not self.within_business_hours():
            await self._event(
                "off_hours_write",
                operation,
                f"{operation.action.value} on {operation.model or 'raw SQL'} outside business hours "
                f"({self.config.business_hours.start if self.config.business_hours else ''}-"
                f"{self.config.business_hours.end if self.config.business_hours else ''} {self._tz}).",
                {"model": operation.model, "action": operation.action.value},
            )

    def within_business_hours(self, at: float | None = None) -> bool:
        """True when ``at`` (epoch seconds, default now) falls inside the configured business hours."""
        if self._tz is None or self._start is None or self._end is None:
            return True
        local = datetime.fromtimestamp(self.clock() if at is None else at, self._tz)
        if self._days and local.weekday() not in self._days:
            return False
        now = local.time()
        if self._start <= self._end:
            return self._start <= now < self._end
        return now >= self._start or now < self._end  # a night shift crossing midnight

    async def _rate(self, operation: Operation, threshold: int) -> None:
        key = actor_key(operation.context.actor)
        now = self.monotonic()
        window = self._windows.get(key)
        if window is None:
            window = self._windows[key] = deque()
            while len(self._windows) > self.config.max_tracked_actors:
                self._windows.popitem(last=False)
        else:
            self._windows.move_to_end(key)
        window.append(now)
        horizon = now - self.config.rate_window
        while window and window[0] < horizon:
            window.popleft()
        if len(window) > threshold:
            await self._event(
                "unusual_rate",
                operation,
                f"Actor {key} ran {len(window)} operations in {self.config.rate_window:g}s (threshold {threshold}).",
                {"operations": len(window), "window": self.config.rate_window, "threshold": threshold},
            )

    # -- events ------------------------------------------------------------------------------

    async def _event(self, name: str, operation: Operation, message: str, details: Mapping[str, Any]) -> None:
        actor = actor_key(operation.context.actor)
        event = SecurityEvent(
            name=name,
            severity=EVENT_SEVERITY[name],
            message=message,
            actor=actor,
            time=self.clock(),
            details={**details, "tenant": operation.context.tenant, "request_id": operation.context.request_id},
        )
        self.counts[name] += 1
        self._history.append(event)
        now = self.monotonic()
        last = self._last_alert.get((name, actor))
        if last is not None and now - last < self.config.alert_cooldown:
            self.alerts_suppressed += 1
            return
        self._last_alert[(name, actor)] = now
        if len(self._last_alert) > self.config.max_tracked_actors * 4:
            self._last_alert.clear()
        if self.alert is None:
            return
        try:
            await self.alert(event.alert())
            self.alerts_sent += 1
        except Exception:  # an alert observer must never fail the operation
            self.alert_failures += 1
            log.exception("security alert %s could not be delivered", name)

    def recent(self, limit: int = 50) -> list[SecurityEvent]:
        """The latest events, newest last."""
        return list(self._history)[-limit:]

    def stats(self) -> dict[str, Any]:
        """Counters for metrics: events by name, alerts sent/suppressed/failed, actors tracked."""
        return {
            "events": {name: self.counts.get(name, 0) for name in EVENT_SEVERITY},
            "total": sum(self.counts.values()),
            "alerts_sent": self.alerts_sent,
            "alerts_suppressed": self.alerts_suppressed,
            "alert_failures": self.alert_failures,
            "actors_tracked": len(self._windows),
        }

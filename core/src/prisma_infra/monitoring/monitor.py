"""`Monitor`: the in-process record of every measured operation, for the dashboard.

One per infrastructure, kept across configuration reloads (in ``kernel.stash``) and
published under `prisma_infra.monitoring.service.MONITOR`. It holds, in bounded memory:

* a ring of one-second slots (operations, errors, rows, cache results and a
  latency histogram each) for ``monitoring.history_seconds``;
* totals per model and action, per error class and per cache result;
* the last ``monitoring.recent_errors`` failures with masked messages, stack traces and args;
* the last ``monitoring.slow_operations`` slow operations with masked args and
  an index suggestion;
* query-analysis findings (N+1 patterns, slow patterns), one per pattern.

Everything runs on the event loop that runs the operations; nothing here awaits.
"""

from __future__ import annotations

import logging
import time
import traceback
from bisect import bisect_left
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from prisma_infra.config.model import MonitoringConfig
from prisma_infra.monitoring.analysis import (
    SINGLE_READS,
    Finding,
    NPlusOneDetector,
    n_plus_one_suggestion,
    suggest_index,
    where_shape,
)
from prisma_infra.monitoring.masking import mask_args, mask_error_text
from prisma_infra.monitoring.series import BOUNDS, Slot, TimeSeries, ms, render
from prisma_infra.operation import READ_ACTIONS, Operation

if TYPE_CHECKING:
    from prisma_infra.ports.masking import Masking
    from prisma_infra.schema import Schema

__all__ = ["CACHE_RESULTS", "Monitor", "Usage"]

log = logging.getLogger("prisma_infra.monitoring")

#: Values the cache middleware writes to ``operation.state["cache"]``.
CACHE_RESULTS = ("hit", "miss", "stale", "bypass")
_SINGLE_READS = frozenset(a.value for a in SINGLE_READS)
_MAX_FINDINGS = 200
_MAX_USAGE_KEYS = 5_000
_MAX_TRACEBACK = 8_000
_MAX_MESSAGE = 1_000

AlertSink = Callable[[Mapping[str, Any]], None]


class Usage:
    """Totals of one (model, action)."""

    __slots__ = ("count", "errors", "max_seconds", "rows", "seconds")

    def __init__(self) -> None:
        self.count = 0
        self.errors = 0
        self.rows = 0
        self.seconds = 0.0
        self.max_seconds = 0.0


_ms = ms


class Monitor:
    """Time series, totals, recent errors, slow operations and findings (see the module doc)."""

    def __init__(
        self,
        config: MonitoringConfig | None = None,
        *,
        schema: Callable[[], Schema | None] | None = None,
        alert: AlertSink | None = None,
        masking: Callable[[], Masking | None] | None = None,
    ) -> None:
        self.started_at = time.time()
        self._schema = schema or (lambda: None)
        self._masking = masking or (lambda: None)
        self._alert = alert
        self.errors = 0
        self.error_classes: dict[str, int] = {}
        self.cache_results: dict[str, int] = dict.fromkeys(CACHE_RESULTS, 0)
        self._usage: dict[tuple[str | None, str], Usage] = {}
        self._cache_by_model: dict[str | None, list[int]] = {}
        self.findings: OrderedDict[str, Finding] = OrderedDict()
        config = config or MonitoringConfig()
        self.series = TimeSeries(config.history_seconds)
        self._slot = self.series.slot(int(time.time()))
        self._slot_end = 0.0  # the first operation moves to its own second
        self.recent_errors: deque[dict[str, Any]] = deque(maxlen=config.recent_errors)
        self.slow_operations: deque[dict[str, Any]] = deque(maxlen=config.slow_operations)
        self.configure(config)

    # -- configuration ---------------------------------------------------------------------

    def configure(self, config: MonitoringConfig) -> None:
        """Apply (new) settings; history and totals survive, buffers keep their newest entries."""
        self.config = config
        self.slow_seconds = config.slow_operation_ms / 1000.0
        if self.series.size != config.history_seconds:
            self.series = TimeSeries(config.history_seconds)
            self._slot = self.series.slot(int(time.time()))
            self._slot_end = 0.0
        if self.recent_errors.maxlen != config.recent_errors:
            self.recent_errors = deque(self.recent_errors, config.recent_errors)
        if self.slow_operations.maxlen != config.slow_operations:
            self.slow_operations = deque(self.slow_operations, config.slow_operations)
        self.analysis = config.query_analysis
        window = config.n_plus_one_window_ms / 1000.0
        detector = getattr(self, "detector", None)
        if detector is None or (detector.threshold, detector.window) != (config.n_plus_one_threshold, window):
            self.detector = NPlusOneDetector(config.n_plus_one_threshold, window)

    def bind(
        self,
        *,
        schema: Callable[[], Schema | None] | None = None,
        alert: AlertSink | None = None,
        masking: Callable[[], Masking | None] | None = None,
    ) -> None:
        """Point the monitor at the current schema, alert sink and PII masking (done at every runtime start)."""
        if schema is not None:
            self._schema = schema
        if masking is not None:
            self._masking = masking
        if alert is not None:
            self._alert = alert

    # -- the hot path ----------------------------------------------------------------------

    def record(
        self,
        operation: Operation,
        action: str,
        seconds: float,
        clock: float,
        rows: int | None,
        error: BaseException | None,
        cache: str | None,
    ) -> None:
        """Account one finished operation.

        :param action: ``operation.action``'s value (a plain string hashes faster than the enum).
        :param clock: ``time.perf_counter()`` when it finished (saves a wall-clock read).
        :param error: the exception when it failed.
        :param cache: the cache middleware's verdict, if any.
        """
        slot = self._slot
        if clock >= self._slot_end:
            slot = self._advance(clock)
        slot.count += 1
        slot.hist[bisect_left(BOUNDS, seconds)] += 1
        model = operation.model
        usage = self._usage.get((model, action))
        if usage is None:
            usage = self._new_usage((model, action))
        usage.count += 1
        usage.seconds += seconds
        if seconds > usage.max_seconds:
            usage.max_seconds = seconds
        if rows:
            usage.rows += rows
        if cache is not None:
            self._cache(slot, model, cache)
        if error is not None:
            slot.errors += 1
            usage.errors += 1
            self._error(operation, seconds, error)
        if self.analysis:
            if action in _SINGLE_READS:
                if self.detector.observe(operation, clock):
                    self._n_plus_one(operation, clock)
            elif action == "findMany":
                self.detector.note_many(operation, clock)
        if seconds >= self.slow_seconds:
            self._slow(operation, seconds, error)

    def _advance(self, clock: float) -> Slot:
        """A new second started: re-read the wall clock (perf_counter drifts from it) and move to its slot."""
        offset = time.time() - time.perf_counter()
        second = int(clock + offset)
        self._slot = self.series.slot(second)
        self._slot_end = second + 1 - offset
        return self._slot

    def _new_usage(self, key: tuple[str | None, str]) -> Usage:
        if len(self._usage) >= _MAX_USAGE_KEYS:  # models x actions is small; this only guards misuse
            key = (key[0], "other")
            found = self._usage.get(key)
            if found is not None:
                return found
        usage = self._usage[key] = Usage()
        return usage

    def _cache(self, slot: Slot, model: str | None, result: str) -> None:
        counts = self._cache_by_model.get(model)
        if counts is None:
            counts = self._cache_by_model[model] = [0, 0, 0, 0]
        if result == "hit":
            slot.hits += 1
            counts[0] += 1
        elif result == "miss":
            slot.misses += 1
            counts[1] += 1
        elif result == "stale":
            slot.stale += 1
            counts[2] += 1
        else:
            result = "bypass"
            slot.bypass += 1
            counts[3] += 1
        self.cache_results[result] += 1

    # -- the slow paths (errors, slow operations, findings) --------------------------------

    def _error(self, operation: Operation, seconds: float, error: BaseException) -> None:
        now = time.time()
        self.errors += 1
        name = type(error).__name__
        self.error_classes[name] = self.error_classes.get(name, 0) + 1
        if self.recent_errors.maxlen == 0:
            return
        trace = "".join(traceback.format_exception(type(error), error, error.__traceback__))[-2 * _MAX_TRACEBACK :]
        masking = self._masking()
        args = self._masked_args(operation, masking)
        # Masked before truncation, so a value cut in half is still recognised.
        self.recent_errors.append(
            {
                "time": now,
                "model": operation.model,
                "action": operation.action.value,
                "error_class": name,
                "message": mask_error_text(str(error), operation.args, masking=masking, masked=args)[:_MAX_MESSAGE],
                "duration_ms": _ms(seconds),
                "request_id": operation.context.request_id,
                "args": args,
                "traceback": mask_error_text(trace, operation.args, masking=masking, masked=args)[-_MAX_TRACEBACK:],
            }
        )

    def _masked_args(self, operation: Operation, masking: Masking | None) -> dict[str, Any]:
        raw = operation.action.is_raw
        schema = self._schema() if raw else None
        provider = schema.provider if schema is not None else None
        return mask_args(operation.args, model=operation.model, masking=masking, raw=raw, provider=provider)

    def _slow(self, operation: Operation, seconds: float, error: BaseException | None) -> None:
        now = time.time()
        advice = None
        schema = self._schema()
        filters = operation.action in READ_ACTIONS or bool(operation.args.get("where"))
        if self.analysis and filters and schema is not None and operation.model is not None:
            advice = suggest_index(schema, operation.model, operation.args)
        entry = {
            "time": now,
            "model": operation.model,
            "action": operation.action.value,
            "duration_ms": _ms(seconds),
            "failed": error is not None,
            "request_id": operation.context.request_id,
            "args": self._masked_args(operation, self._masking()),
            "suggestion": advice.message if advice is not None else None,
            "index": advice.as_dict() if advice is not None else None,
        }
        if self.slow_operations.maxlen != 0:
            self.slow_operations.append(entry)
        if not self.analysis:
            return
        key = f"slow_operation:{operation.model}:{operation.action.value}:{','.join(where_shape(operation.args))}"
        message = (
            f"slow operation: {operation.model}.{operation.action.value} took {seconds * 1000:.1f} ms "
            f"(threshold {self.config.slow_operation_ms:g} ms)"
        )
        details: dict[str, Any] = {"duration_ms": _ms(seconds), "threshold_ms": self.config.slow_operation_ms}
        if advice is not None:
            details["index"] = advice.as_dict()
        self._report(
            Finding(
                kind="slow_operation",
                key=key,
                model=operation.model,
                action=operation.action.value,
                message=message,
                suggestion=advice.message if advice is not None else None,
                first_seen=now,
                last_seen=now,
                details=details,
            )
        )

    def _n_plus_one(self, operation: Operation, clock: float) -> None:
        now = time.time()
        key = f"n_plus_one:{operation.model}:{operation.action.value}:{','.join(where_shape(operation.args))}"
        known = self.findings.get(key)
        if known is not None:  # a loop that keeps running: count it, do not rebuild the suggestion
            known.count += 1
            known.last_seen = now
            self.findings.move_to_end(key)
            return
        detection = self.detector.detection(operation, clock)
        suggestion, details = n_plus_one_suggestion(self._schema(), detection)
        details.update(reads=detection.count, window_ms=detection.window * 1000.0, where=list(detection.where))
        self._report(
            Finding(
                kind="n_plus_one",
                key=key,
                model=detection.model,
                action=detection.action,
                message=(
                    f"N+1 pattern: {detection.count} {detection.model}.{detection.action} calls within "
                    f"{detection.window * 1000:g} ms from one request or task"
                ),
                suggestion=suggestion,
                first_seen=now,
                last_seen=now,
                details=details,
            )
        )

    def _report(self, finding: Finding) -> None:
        known = self.findings.get(finding.key)
        if known is not None:
            known.count += 1
            known.last_seen = finding.last_seen
            self.findings.move_to_end(finding.key)
            return
        self.findings[finding.key] = finding
        while len(self.findings) > _MAX_FINDINGS:
            self.findings.popitem(last=False)
        log.warning("%s; suggestion: %s", finding.message, finding.suggestion or "none")
        if self._alert is not None:
            self._alert(
                {
                    "name": finding.kind,
                    "severity": "warning",
                    "message": finding.message,
                    "source": "monitoring",
                    "model": finding.model,
                    "action": finding.action,
                    "suggestion": finding.suggestion,
                    "details": finding.details,
                }
            )

    # -- reading ---------------------------------------------------------------------------

    def usage(self) -> list[dict[str, Any]]:
        """Totals per model (``None`` for raw queries), busiest first."""
        models: dict[str | None, dict[str, Any]] = {}
        for (model, action), usage in self._usage.items():
            entry = models.setdefault(
                model,
                {"model": model, "operations": 0, "errors": 0, "rows": 0, "seconds": 0.0, "max_ms": 0.0, "actions": {}},
            )
            entry["operations"] += usage.count
            entry["errors"] += usage.errors
            entry["rows"] += usage.rows
            entry["seconds"] += usage.seconds
            entry["max_ms"] = max(entry["max_ms"], usage.max_seconds * 1000.0)
            entry["actions"][str(action)] = usage.count
        out = []
        for model, entry in models.items():
            seconds = entry.pop("seconds")
            entry["avg_ms"] = round(seconds * 1000.0 / entry["operations"], 3) if entry["operations"] else None
            entry["max_ms"] = round(entry["max_ms"], 3)
            hits, misses, stale, bypass = self._cache_by_model.get(model, (0, 0, 0, 0))
            entry["cache"] = {"hit": hits, "miss": misses, "stale": stale, "bypass": bypass}
            out.append(entry)
        out.sort(key=lambda e: e["operations"], reverse=True)
        return out

    @property
    def operations(self) -> int:
        """Operations measured since start."""
        return sum(u.count for u in self._usage.values())

    def cache_ratio(self) -> float | None:
        """Hits (fresh and stale) over cache lookups since start; ``None`` before any lookup."""
        served = self.cache_results["hit"] + self.cache_results["stale"]
        lookups = served + self.cache_results["miss"]
        return served / lookups if lookups else None

    def snapshot(self, seconds: int | None = None, *, now: float | None = None) -> dict[str, Any]:
        """Everything the dashboard shows, as JSON-ready values (times are Unix seconds, latencies ms)."""
        current = int(time.time() if now is None else now)
        span = min(seconds or self.series.size, self.series.size)
        series, headline = render(self.series.window(current, span))
        ratio = self.cache_ratio()
        return {
            "now": current,
            "started_at": self.started_at,
            "uptime_s": round(time.time() - self.started_at, 1),
            "enabled": self.config.enabled,
            "slow_operation_ms": self.config.slow_operation_ms,
            "totals": {
                "operations": self.operations,
                "errors": self.errors,
                "rows": sum(u.rows for u in self._usage.values()),
                **headline,
                "error_classes": dict(sorted(self.error_classes.items(), key=lambda kv: -kv[1])),
                "cache": {**self.cache_results, "hit_ratio": None if ratio is None else round(ratio, 4)},
            },
            "series": series,
            "models": self.usage(),
            "recent_errors": list(reversed(self.recent_errors)),
            "slow_operations": list(reversed(self.slow_operations)),
            "findings": [f.as_dict() for f in reversed(self.findings.values())],
        }

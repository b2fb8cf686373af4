"""`KpiService`: KPIs, alert rules and reports of one configuration, on a schedule.

Built and started by the analytics middleware for each runtime, published under
`prisma_infra.analytics.service_keys.KPIS` (``infra.kpis``) when anything is
configured, and stopped when the runtime closes. KPI history and alert states
live in the kernel's stash, so a reload keeps them (for KPIs and rules whose
definition did not change). Time is the kernel's clock.

For the dashboard (see ``prisma_infra.web.dashboard``): ``dashboard_kpis()`` and
``active_alerts()``; for code: ``kpi_history()``, ``evaluate()``, ``run_report()``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prisma_infra.alerts.delivery import Dispatcher
from prisma_infra.alerts.rules import AlertRule, RuleState, operational_value
from prisma_infra.alerts.scheduler import Job, Schedule, Scheduler
from prisma_infra.alerts.sinks import AlertSink, Notification, build_sink, deliver
from prisma_infra.analytics._deprecated import deprecated_aliases
from prisma_infra.analytics.kpi import HistoryEntry, HistoryStore, Kpi, KpiState
from prisma_infra.analytics.reports import RenderedReport, build_report
from prisma_infra.cache.service import CACHE
from prisma_infra.config.model import AnalyticsConfig, InfraConfig
from prisma_infra.errors import ConfigurationError, PrismaInfraError, closest_match
from prisma_infra.monitoring.service import MONITOR
from prisma_infra.stash import StashKey

if TYPE_CHECKING:
    from prisma_infra.analytics.runner import AnalyticsRunner
    from prisma_infra.kernel import Kernel
    from prisma_infra.runtime import Runtime

__all__ = ["AnalyticsService", "KpiService", "has_work"]

log = logging.getLogger("prisma_infra.analytics")


class _Carry:
    """What survives a reload: KPI history, KPI alert streaks, rule states."""

    def __init__(self) -> None:
        self.history: HistoryStore | None = None
        self.kpis: dict[str, tuple[Any, KpiState, int, str | None, float | None]] = {}
        self.rules: dict[str, tuple[tuple[Any, ...], RuleState]] = {}


_CARRY: StashKey[_Carry] = StashKey("analytics: KPI history and alert states")


def has_work(config: AnalyticsConfig) -> bool:
    return bool(config.kpis or config.alerts or config.reports)


class KpiService:
    """KPIs, alert rules, sinks and reports of one configuration (``infra.kpis``)."""

    def __init__(self, kernel: Kernel, runner: AnalyticsRunner, config: InfraConfig) -> None:
        self.kernel = kernel
        self.runner = runner
        self.config = config.analytics
        self.runtime: Runtime | None = None
        section = config.analytics
        self._check_names(section)
        self.sinks: dict[str, AlertSink] = {s.name: build_sink(s) for s in section.sinks}
        # Alerts go to webhooks and e-mail in the background: evaluation never waits on a network.
        self.dispatcher = Dispatcher({s.name: s.queue for s in section.sinks})
        self.kpis: dict[str, Kpi] = {k.name: Kpi(k) for k in section.kpis}
        self.rules: list[AlertRule] = [
            AlertRule(
                name=r.name,
                source=r.source,
                threshold=r.threshold,
                operator=r.operator,
                for_evaluations=r.for_evaluations,
                for_seconds=r.for_seconds,
                severity=r.severity,
                message=r.message,
                sinks=tuple(r.sinks) if r.sinks is not None else None,
                kpi=r.kpi,
                value=r.value,
            )
            for r in section.alerts
        ]
        self.reports = {r.name: r for r in section.reports}
        carry = kernel.stash.setdefault(_CARRY, _Carry())
        path = Path(config.base_dir) / section.history_file if section.history_file else None
        if carry.history is None or carry.history.path != path:
            carry.history = HistoryStore(section.history, path)
            carry.history.load()
        carry.history.resize(section.history)
        carry.history.keep(self.kpis)
        self.history = carry.history
        for kpi in self.kpis.values():
            kept = carry.kpis.get(kpi.name)
            if kept is not None and kept[0] == kpi.config.model_dump(exclude={"schedule", "description", "unit"}):
                _, kpi.state, kpi.bad_streak, kpi.alerted, kpi.alerted_at = kept
        for rule in self.rules:
            previous = carry.rules.get(rule.name)
            if previous is not None and previous[0] == rule.fingerprint:
                rule.state = previous[1]
        self._carry = carry
        self.scheduler = Scheduler(self._jobs(section), ready=self._ready, clock=kernel.clock)
        self.recent: list[dict[str, Any]] = []
        self._save_lock = asyncio.Lock()

    def _check_names(self, section: AnalyticsConfig) -> None:
        problems: list[str] = []
        for kind, items in (
            ("kpis", section.kpis),
            ("alerts", section.alerts),
            ("reports", section.reports),
            ("sinks", section.sinks),
        ):
            names = [i.name for i in items]
            problems += [
                f"analytics.{kind}: name {n!r} is used twice" for n in sorted({n for n in names if names.count(n) > 1})
            ]
        kpis = {k.name for k in section.kpis}
        sinks = {s.name for s in section.sinks}
        for rule in section.alerts:
            if rule.source == "kpi":
                if rule.kpi is None:
                    problems.append(f"analytics.alerts {rule.name!r}: source 'kpi' needs kpi = <name of a KPI>")
                elif rule.kpi not in kpis:
                    problems.append(f"analytics.alerts {rule.name!r}: unknown KPI {rule.kpi!r}{_hint(rule.kpi, kpis)}")
            for sink in rule.sinks or ():
                if sink not in sinks:
                    problems.append(f"analytics.alerts {rule.name!r}: unknown sink {sink!r}{_hint(sink, sinks)}")
        for report in section.reports:
            for name in report.kpis:
                if name not in kpis:
                    problems.append(f"analytics.reports {report.name!r}: unknown KPI {name!r}{_hint(name, kpis)}")
            for sink in report.sinks or ():
                if sink not in sinks:
                    problems.append(f"analytics.reports {report.name!r}: unknown sink {sink!r}{_hint(sink, sinks)}")
        schema = self.kernel.schema
        for kpi in section.kpis:
            if not schema.has_model(kpi.model):
                problems.append(
                    f"analytics.kpis {kpi.name!r}: unknown model {kpi.model!r}{_hint(kpi.model, schema.model_names)}"
                )
        if problems:
            raise ConfigurationError("Invalid analytics settings: " + "; ".join(problems), problems=problems)

    def _jobs(self, section: AnalyticsConfig) -> list[Job]:
        default = Schedule.parse(section.evaluate_every, where="analytics.evaluate_every")
        jobs = []
        for kpi in self.kpis.values():
            schedule = (
                Schedule.parse(kpi.config.schedule, where=f"analytics.kpis {kpi.name!r}")
                if kpi.config.schedule is not None
                else default
            )
            jobs.append(Job(f"kpi:{kpi.name}", schedule, _bind(self.evaluate_kpi, kpi.name), run_at_start=True))
        by_schedule: dict[Schedule, list[AlertRule]] = {}
        for rule, config in zip(self.rules, section.alerts, strict=True):
            if rule.source == "kpi":
                continue
            schedule = (
                Schedule.parse(config.schedule, where=f"analytics.alerts {rule.name!r}")
                if config.schedule is not None
                else default
            )
            by_schedule.setdefault(schedule, []).append(rule)
        for i, (schedule, rules) in enumerate(by_schedule.items()):
            jobs.append(Job(f"rules:{i}", schedule, _bind(self.evaluate_rules, rules), run_at_start=True))
        for report in self.reports.values():
            schedule = Schedule.parse(report.schedule, where=f"analytics.reports {report.name!r}")
            jobs.append(Job(f"report:{report.name}", schedule, _bind(self.run_report, report.name)))
        return jobs

    def _ready(self) -> bool:
        try:
            return self.kernel.runtime is self.runtime
        except PrismaInfraError:
            return False

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self, runtime: Runtime) -> None:
        self.runtime = runtime
        if self.config.enabled:
            self.scheduler.start()

    async def close(self) -> None:
        await self.scheduler.stop()
        self._remember()
        await self.dispatcher.close()
        for sink in self.sinks.values():
            await sink.close()

    def _remember(self) -> None:
        carry = self._carry
        for kpi in self.kpis.values():
            key = kpi.config.model_dump(exclude={"schedule", "description", "unit"})
            carry.kpis[kpi.name] = (key, kpi.state, kpi.bad_streak, kpi.alerted, kpi.alerted_at)
        for rule in self.rules:
            carry.rules[rule.name] = (rule.fingerprint, rule.state)

    # -- KPIs --------------------------------------------------------------------------------

    async def evaluate_kpi(self, name: str, *, now: datetime | None = None) -> KpiState:
        """Evaluate one KPI now, record it, alert on its thresholds, then run the rules that read it."""
        kpi = self.kpis.get(name)
        if kpi is None:
            raise PrismaInfraError(f"Unknown KPI {name!r}{_hint(name, self.kpis)}")
        try:
            state = await kpi.evaluate(self.runner, now or datetime.fromtimestamp(self.kernel.clock.time(), UTC))
        except Exception as exc:
            log.warning("KPI %r could not be evaluated: %s: %s", name, type(exc).__name__, exc)
            state = kpi.fail(exc, self.kernel.clock.time())
        self.history.add(
            name,
            HistoryEntry(
                state.evaluated_at or self.kernel.clock.time(),
                state.value,
                state.status,
                state.trend,
                (state.anomaly or {}).get("z"),
            ),
        )
        if self.history.path is not None:
            async with self._save_lock:
                await asyncio.to_thread(self.history.save)
        transition = kpi.alert_transition()
        if transition is not None:
            await self._send(kpi.alert(transition), transition, None)
        rules = [r for r in self.rules if r.source == "kpi" and r.kpi == name]
        if rules:
            await self.evaluate_rules(rules, now=state.evaluated_at)
        self._remember()
        return state

    async def evaluate(self, names: Sequence[str] | None = None) -> dict[str, KpiState]:
        """Evaluate KPIs now (all, or those named), one after the other."""
        chosen = list(names) if names is not None else list(self.kpis)
        return {name: await self.evaluate_kpi(name) for name in chosen}

    def kpi_value(self, rule: AlertRule) -> float | None:
        kpi = self.kpis.get(rule.kpi or "")
        if kpi is None or kpi.state.status == "error":
            return None
        state = kpi.state
        if rule.value == "trend":
            return state.trend
        if rule.value == "anomaly":
            return (state.anomaly or {}).get("z")
        return state.value

    async def evaluate_rules(self, rules: Sequence[AlertRule] | None = None, *, now: float | None = None) -> None:
        """Evaluate alert rules now (default: every operational rule) and send what fires or resolves."""
        chosen = list(rules) if rules is not None else [r for r in self.rules if r.source != "kpi"]
        services = self.runtime.services if self.runtime is not None else None
        monitor = services.get(MONITOR) if services is not None else None
        cache = services.get(CACHE) if services is not None else None
        for rule in chosen:
            value = self.kpi_value(rule) if rule.source == "kpi" else operational_value(rule.source, monitor, cache)
            transition = rule.evaluate(value, self.kernel.clock.time() if now is None else now)
            if transition is not None:
                await self._send(rule.alert(transition), transition, rule.sinks)
        self._remember()

    async def _send(self, alert: dict[str, Any], transition: str, sink_names: Sequence[str] | None) -> None:
        self.recent.append({**alert, "at": self.kernel.clock.time()})
        del self.recent[:-100]
        if transition == "fired":
            await self.kernel.raise_alert(alert)
            log.warning("alert %s: %s", alert["name"], alert["message"])
        elif not self.config.notify_resolved:
            return
        sinks = list(self.sinks.values()) if sink_names is None else [self.sinks[n] for n in sink_names]
        details = "\n".join(f"{k}: {v}" for k, v in alert.items() if k not in ("message",) and v is not None)
        notification = Notification(
            kind="alert",
            subject=f"[{alert['severity']}] {alert['name']}",
            text=f"{alert['message']}\n\n{details}",
            payload=alert,
            severity=str(alert["severity"]),
        )
        await self.dispatcher.submit(sinks, notification)

    async def flush_alerts(self) -> None:
        """Wait until every alert handed to the sinks was delivered or given up."""
        await self.dispatcher.drain()

    # -- reports -----------------------------------------------------------------------------

    async def build_report(self, name: str) -> RenderedReport:
        config = self.reports.get(name)
        if config is None:
            raise PrismaInfraError(f"Unknown report {name!r}{_hint(name, self.reports)}")
        now = datetime.fromtimestamp(self.kernel.clock.time(), UTC)
        return await build_report(self.runner, config, [self.kpis[k] for k in config.kpis], now)

    async def run_report(self, name: str) -> dict[str, str | None]:
        """Build a report now and send it to its sinks; sink name → error (``None``: sent)."""
        config = self.reports[name]
        report = await self.build_report(name)
        sinks = list(self.sinks.values()) if config.sinks is None else [self.sinks[n] for n in config.sinks]
        return await deliver(sinks, report.notification(config.formats))

    # -- reading (dashboard, CLI) ------------------------------------------------------------

    def kpi_history(self) -> dict[str, list[tuple[float, float | None]]]:
        """KPI name → ``[(unix time, value), ...]`` of past evaluations, oldest first."""
        return {name: [(e.time, e.value) for e in self.history.get(name)] for name in self.kpis}

    def kpi_states(self) -> dict[str, KpiState]:
        return {name: kpi.state for name, kpi in self.kpis.items()}

    def dashboard_kpis(self) -> list[dict[str, Any]]:
        """The dashboard's KPI charts (``prisma_infra.web.dashboard`` contract)."""
        return [kpi.dashboard() for kpi in self.kpis.values()]

    def active_alerts(self) -> list[dict[str, Any]]:
        """Alerts firing now: KPI thresholds and rules (``prisma_infra.web.dashboard`` contract)."""
        out = []
        for kpi in self.kpis.values():
            if kpi.alerted is not None:
                alert = kpi.alert("fired")
                out.append({k: alert[k] for k in ("name", "severity", "message", "since", "source")})
        for rule in self.rules:
            if rule.state.status == "firing":
                alert = rule.alert("fired")
                out.append({k: alert[k] for k in ("name", "severity", "message", "since", "source")})
        return out

    def status(self) -> dict[str, Any]:
        return {
            "enabled": self.config.enabled,
            "jobs": self.scheduler.status(),
            "kpis": {name: kpi.state.as_dict() for name, kpi in self.kpis.items()},
            "rules": {rule.name: {"rule": rule.describe(), **rule.state.as_dict()} for rule in self.rules},
            "sinks": {name: sink.stats() for name, sink in self.sinks.items()},
            "alerts_pending": self.dispatcher.pending,
            "recent_alerts": list(self.recent[-20:]),
        }


def _bind(method: Any, *args: Any) -> Any:
    async def run() -> Any:
        return await method(*args)

    return run


def _hint(name: str, known: Any) -> str:
    match = closest_match(name, list(known))
    return f" (did you mean {match!r}?)" if match else ""


if TYPE_CHECKING:
    AnalyticsService = KpiService
else:
    __getattr__ = deprecated_aliases(__name__, {"AnalyticsService": (KpiService, "prisma_infra.analytics.KpiService")})

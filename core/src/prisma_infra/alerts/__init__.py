"""Alerts: rules with thresholds and durations, sinks (log, webhook, e-mail) and the scheduler.

Used by the analytics service (KPIs, operational rules, scheduled reports);
usable on their own::

    rule = AlertRule(name="errors", source="error_rate", operator=">", threshold=0.05, for_evaluations=2)
    monitor = infra.runtime.services.get(MONITOR)  # prisma_infra.monitoring.service
    if rule.evaluate(operational_value("error_rate", monitor, None)) == "fired":
        await deliver(sinks, Notification(kind="alert", ...))

The scheduler runs on a `prisma_infra.clock.Clock` (the kernel's in the analytics
service); tests drive it with a `ManualClock` and ``await scheduler.idle()``.
"""

from prisma_infra.alerts.delivery import Dispatcher
from prisma_infra.alerts.rules import (
    OPERATORS,
    AlertRule,
    CacheReadings,
    MonitorReadings,
    RuleState,
    Transition,
    operational_value,
)
from prisma_infra.alerts.scheduler import Job, Schedule, Scheduler
from prisma_infra.alerts.sinks import (
    SEVERITIES,
    AlertSink,
    Attachment,
    EmailSink,
    LogSink,
    Notification,
    SinkDeadlineError,
    WebhookSink,
    build_sink,
    deliver,
    deliver_one,
)

__all__ = [
    "OPERATORS",
    "SEVERITIES",
    "AlertRule",
    "AlertSink",
    "Attachment",
    "CacheReadings",
    "Dispatcher",
    "EmailSink",
    "Job",
    "LogSink",
    "MonitorReadings",
    "Notification",
    "RuleState",
    "Schedule",
    "Scheduler",
    "SinkDeadlineError",
    "Transition",
    "WebhookSink",
    "build_sink",
    "deliver",
    "deliver_one",
    "operational_value",
]

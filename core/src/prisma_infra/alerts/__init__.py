"""Alerts: rules with thresholds and durations, sinks (log, webhook, e-mail) and the scheduler.

Used by the analytics service (KPIs, operational rules, scheduled reports);
usable on their own::

    rule = AlertRule(name="errors", source="error_rate", operator=">", threshold=0.05, for_evaluations=2)
    if rule.evaluate(read_operational("error_rate", infra.runtime.extras)) == "fired":
        await deliver(sinks, Notification(kind="alert", ...))
"""

from prisma_infra.alerts.delivery import Dispatcher
from prisma_infra.alerts.rules import OPERATORS, AlertRule, RuleState, Transition, read_operational
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
    "Dispatcher",
    "EmailSink",
    "Job",
    "LogSink",
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
    "read_operational",
]

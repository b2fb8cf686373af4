"""The audit trail: every write recorded with before/after images and diff, hash-chained, in durable sinks.

``infra.audit`` is the `AuditManager` of a running infrastructure (on when
``audit.sinks`` names a sink). Built-in sinks: ``file`` (`FileSink`) and
``database`` (`DatabaseSink`); ``nats`` comes with ``prisma-infra-nats``.
See docs/audit.md.
"""

from prisma_infra.audit.chain import GENESIS, Hasher, VerifyResult, canonical, verify_events
from prisma_infra.audit.database_sink import PRISMA_MODEL, DatabaseSink
from prisma_infra.audit.events import EVENT_FIELDS, Event
from prisma_infra.audit.file_sink import FileSink, iter_trail
from prisma_infra.audit.manager import AuditManager
from prisma_infra.audit.masking import PiiSeam
from prisma_infra.audit.middleware import AuditMiddleware
from prisma_infra.audit.types import AuditFilter, HeadSink, QueryableSink
from prisma_infra.audit.writer import AuditError, AuditWriter, SinkStatus

__all__ = [
    "EVENT_FIELDS",
    "GENESIS",
    "PRISMA_MODEL",
    "AuditError",
    "AuditFilter",
    "AuditManager",
    "AuditMiddleware",
    "AuditWriter",
    "DatabaseSink",
    "Event",
    "FileSink",
    "Hasher",
    "HeadSink",
    "PiiSeam",
    "QueryableSink",
    "SinkStatus",
    "VerifyResult",
    "canonical",
    "iter_trail",
    "verify_events",
]

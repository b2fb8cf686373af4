"""Security monitoring: denials, bulk reads, unusual rates per actor, writes outside business hours.

``infra.security`` (``runtime.services[SECURITY]``) is the `SecurityMonitor`:
``stats()`` for metrics, ``recent()`` for the latest events. Alerts go through
the ``alert_raised`` hook with ``source = "security"``.
"""

from prisma_infra.security.middleware import SECURITY, SecurityMiddleware, security_monitor
from prisma_infra.security.monitor import EVENT_SEVERITY, SecurityEvent, SecurityMonitor, actor_key

__all__ = [
    "EVENT_SEVERITY",
    "SECURITY",
    "SecurityEvent",
    "SecurityMiddleware",
    "SecurityMonitor",
    "actor_key",
    "security_monitor",
]

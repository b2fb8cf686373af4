"""What the audit middleware publishes (AUDIT, a transaction observer, a batch guard) and keeps in the
kernel's stash (one writer per chain across reloads); the security monitor's stash entry likewise."""

from __future__ import annotations

from pathlib import Path

from prisma_infra.audit.manager import AuditManager
from prisma_infra.audit.service import AUDIT, audit_writers
from prisma_infra.operation import Action, Operation
from prisma_infra.ports.transactions import BATCH_GUARDS, TRANSACTION_OBSERVERS
from prisma_infra.security import SECURITY

from core.tests.audit.audit_doubles import audit_infrastructure


async def test_the_audit_middleware_publishes_its_manager_observer_and_guard(tmp_path: Path) -> None:
    async with audit_infrastructure(tmp_path, audit={"outbox": False}) as infra:
        services = infra.runtime.services
        manager = services.require(AUDIT)
        assert services.all(TRANSACTION_OBSERVERS).count(manager) == 1
        assert services.all(BATCH_GUARDS).count(manager.batch_needs_transaction) == 1
        nested = Operation(model="User", action=Action.CREATE, args={"data": {"posts": {"create": [{"title": "t"}]}}})
        plain = Operation(model="User", action=Action.CREATE, args={"data": {"email": "a@example.com"}})
        assert manager.batch_needs_transaction([nested]) and not manager.batch_needs_transaction([plain])


async def test_no_audit_service_without_a_sink(tmp_path: Path) -> None:
    async with audit_infrastructure(tmp_path, audit={"sinks": []}) as infra:
        services = infra.runtime.services
        assert services.get(AUDIT) is None
        assert not any(isinstance(o, AuditManager) for o in services.all(TRANSACTION_OBSERVERS))


async def test_a_reload_keeps_the_chains_writer_and_the_security_monitor(tmp_path: Path) -> None:
    async with audit_infrastructure(tmp_path) as infra:
        writer = infra.runtime.services.require(AUDIT).writer
        monitor = infra.runtime.services.require(SECURITY)
        await infra.configure({"audit": {"read_batch_size": 77}})
        manager = infra.runtime.services.require(AUDIT)
        assert manager.config.read_batch_size == 77 and manager.writer is writer
        assert list(audit_writers(infra.stash).values()) == [writer]
        assert infra.runtime.services.require(SECURITY) is monitor

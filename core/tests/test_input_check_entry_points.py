"""The early input check (`check_input`) runs once at every entry point, before any middleware."""

from __future__ import annotations

import math
from typing import Any

import prisma_infra.infrastructure as infrastructure_module
import pytest
from prisma_infra.errors import ValidationError
from prisma_infra.operation import Action, Operation

from core.tests.doubles import memory_infrastructure


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The actions `check_input` was called for, wherever it is called from."""
    import prisma_infra.schema.validate as validate_module

    seen: list[str] = []
    real = infrastructure_module.check_input

    def spy(model: str | None, action: str, args: Any, **options: Any) -> None:
        seen.append(action)
        real(model, action, args, **options)

    monkeypatch.setattr(infrastructure_module, "check_input", spy)
    monkeypatch.setattr(validate_module, "check_input", spy)
    return seen


async def test_each_entry_point_checks_once(checks: list[str]) -> None:
    async with memory_infrastructure(cache={"tiers": ["memory"], "ttl": 60}) as infra:
        users = infra.repository("user")
        await infra.call("User", "findMany", {"take": 1})
        assert checks == ["findMany"]
        await infra.batch([users.op.create(data={"email": "a@x.io"}), users.op.count()])
        assert checks[1:] == ["create", "count"]
        async with infra.transaction() as tx:
            await tx.repository("user").count()
        assert checks[3:] == ["count"]
        await infra.cache_manager.refresh(Operation("User", Action.FIND_MANY, {"take": 2}))  # warming
        assert checks[4:] == ["findMany"]


async def test_a_refused_batch_sends_nothing_and_is_counted() -> None:
    async with memory_infrastructure() as infra:
        users = infra.repository("user")
        before = infra.monitor.errors
        with pytest.raises(ValidationError, match="non-finite float"):
            await infra.batch([users.op.create(data={"email": "a@x.io"}), users.op.find_many(where={"id": math.nan})])
        assert await users.count() == 0
        assert infra.monitor.errors == before + 1
        (error,) = infra.monitor.recent_errors
        assert error["action"] == "findMany" and error["args"] == {}

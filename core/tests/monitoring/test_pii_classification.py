"""The monitor masks through the PII feature's `Masking` (``ports.masking.MASKING``): a field the
settings classify as ``email`` gets the e-mail mask in a slow operation's arguments and in an
error's message, not the generic first-letter mask the monitor falls back to without it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from prisma_infra.hookspecs import hookimpl
from prisma_infra.operation import Operation
from prisma_infra.pipeline import Handler, Middleware
from prisma_infra.ports.masking import MASKING

from core.tests.doubles import memory_infrastructure

NAME = "Zebulon Quintessa"
#: ``NAME`` as the e-mail strategy masks it (first and last character kept) ...
EMAIL_MASK = "Z***a"
#: ... and as any unclassified string is masked (first character kept).
GENERIC_MASK = "Z***"


class EchoingRefusal(Middleware):
    """An application rule that quotes the value it refuses, as real code does."""

    name = "echo-refusal"
    order = 200

    def __init__(self, kernel: Any) -> None:
        self.kernel = kernel

    def wrap(self, call: Handler) -> Handler:
        async def handler(operation: Operation) -> Any:
            name = (operation.args.get("data") or {}).get("name")
            if name is not None:
                raise ValueError(f"the name {name} is taken")
            return await call(operation)

        return handler


class Refusals:
    name = "echo-refusal"

    @hookimpl
    def register_middleware(self, register: Callable[[str, Any], None]) -> None:
        register("echo-refusal", EchoingRefusal)


def _infra(*, pii: bool) -> Any:
    infra = memory_infrastructure(
        monitoring={"slow_operation_ms": 0.000001},
        models={"User": {"pii": {"name": "email"}}},  # an e-mail by configuration, not by its looks
        pipeline={"disable": [] if pii else ["pii"]},
    )
    infra.plugin_manager.register(Refusals())
    return infra


async def _record(infra: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    await infra.call("User", "findMany", {"where": {"name": NAME}})
    (slow,) = [entry for entry in infra.monitor.slow_operations if entry["action"] == "findMany"]
    with pytest.raises(ValueError, match="is taken"):
        await infra.call("User", "create", {"data": {"email": "zq@example.com", "name": NAME}})
    (error,) = infra.monitor.recent_errors
    return slow, error


async def test_a_classified_field_gets_its_category_mask() -> None:
    async with _infra(pii=True) as infra:
        assert infra.runtime.services.get(MASKING) is not None
        slow, error = await _record(infra)
    assert slow["args"] == {"where": {"name": EMAIL_MASK}}
    assert error["args"]["data"]["name"] == EMAIL_MASK
    assert error["message"] == f"the name {EMAIL_MASK} is taken"
    assert NAME not in error["traceback"] and f"the name {EMAIL_MASK} is taken" in error["traceback"]


async def test_without_the_pii_feature_every_string_gets_the_generic_mask() -> None:
    async with _infra(pii=False) as infra:
        assert infra.runtime.services.get(MASKING) is None
        slow, error = await _record(infra)
    assert slow["args"] == {"where": {"name": GENERIC_MASK}}
    assert error["message"] == f"the name {GENERIC_MASK} is taken"
    assert NAME not in error["traceback"]

"""The prisma-infra plugin: registers the ``nats`` audit sink."""

from __future__ import annotations

from collections.abc import Callable

from prisma_infra_sdk import hookimpl

__all__ = ["register_audit_sinks"]


@hookimpl
def register_audit_sinks(register: Callable[[str, object], None]) -> None:
    from prisma_infra_nats.sink import NatsSink

    register("nats", NatsSink)

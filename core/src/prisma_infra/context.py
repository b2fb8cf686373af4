"""The ambient request context (actor, tenant, request id) carried by contextvars.

Integrations set it per request; ``infra.acting_as(actor)`` sets it in code.
Every operation built while it is set carries it, so policies, audit and
cache keys see the same actor.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

__all__ = ["RequestContext", "acting_as", "current_context"]


@dataclass(frozen=True, slots=True)
class RequestContext:
    actor: Any = None
    tenant: str | None = None
    request_id: str | None = None


_EMPTY = RequestContext()
_current: ContextVar[RequestContext] = ContextVar("prisma_infra_request_context", default=_EMPTY)


def current_context() -> RequestContext:
    return _current.get()


@contextlib.contextmanager
def acting_as(actor: Any, *, tenant: str | None = None, request_id: str | None = None) -> Iterator[RequestContext]:
    """Run the block as ``actor`` (tenant taken from ``actor.tenant_id`` when not given)."""
    if tenant is None:
        tenant = getattr(actor, "tenant_id", None) or (actor.get("tenant_id") if isinstance(actor, dict) else None)
    ctx = RequestContext(actor=actor, tenant=tenant, request_id=request_id or _current.get().request_id)
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)

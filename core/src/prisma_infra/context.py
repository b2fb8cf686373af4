"""The ambient request context (actor, tenant, request id) carried by contextvars.

Integrations set it per request; ``infra.acting_as(actor)`` sets it in code.
Every operation built while it is set carries it, so policies, audit and
cache keys see the same actor.

`unit_of_work` names the unit of work the current code belongs to (what the
N+1 detector groups reads by when there is no request id): the outermost
``acting_as`` block, else the current asyncio task. Its tokens come from a
counter and are never reused, unlike ``id()`` of a finished task.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import weakref
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

__all__ = ["RequestContext", "acting_as", "bypass_policies", "current_context", "policies_bypassed", "unit_of_work"]

_units = itertools.count(1)


@dataclass(frozen=True, slots=True)
class RequestContext:
    actor: Any = None
    tenant: str | None = None
    request_id: str | None = None
    #: The unit-of-work token of the outermost ``acting_as`` block (``None`` outside any).
    unit: int | None = None


_EMPTY = RequestContext()
_current: ContextVar[RequestContext] = ContextVar("prisma_infra_request_context", default=_EMPTY)
#: The task a token was drawn for, and the token: a child task inherits the pair, sees it is not
#: that task, and draws its own.
_task_unit: ContextVar[tuple[weakref.ref[asyncio.Task[Any]], int] | None] = ContextVar(
    "prisma_infra_task_unit", default=None
)


def current_context() -> RequestContext:
    return _current.get()


def unit_of_work() -> int:
    """The token of the current unit of work: the ``acting_as`` block's, else the current task's.

    Outside any task and block, every call is a unit of its own.
    """
    unit = _current.get().unit
    if unit is not None:
        return unit
    task = asyncio.current_task()
    if task is None:
        return next(_units)
    held = _task_unit.get()
    if held is not None and held[0]() is task:
        return held[1]
    unit = next(_units)
    _task_unit.set((weakref.ref(task), unit))  # set in the task's own context: once per task
    return unit


@contextlib.contextmanager
def acting_as(actor: Any, *, tenant: str | None = None, request_id: str | None = None) -> Iterator[RequestContext]:
    """Run the block as ``actor`` (tenant taken from ``actor.tenant_id`` when not given).

    The block is one unit of work (`unit_of_work`); a nested block stays in the outer one's.
    """
    if tenant is None:
        tenant = getattr(actor, "tenant_id", None) or (actor.get("tenant_id") if isinstance(actor, dict) else None)
    outer = _current.get()
    ctx = RequestContext(
        actor=actor,
        tenant=tenant,
        request_id=request_id or outer.request_id,
        unit=outer.unit if outer.unit is not None else next(_units),
    )
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


_bypass: ContextVar[bool] = ContextVar("prisma_infra_policies_bypass", default=False)


@contextlib.contextmanager
def bypass_policies() -> Iterator[None]:
    """Run the block without access policies (migrations, jobs, the kernel's own statements that carry
    the caller's row filter already, the policy decider's own look-ups)."""
    token = _bypass.set(True)
    try:
        yield
    finally:
        _bypass.reset(token)


def policies_bypassed() -> bool:
    """Whether the current block runs without access policies (`bypass_policies`)."""
    return _bypass.get()

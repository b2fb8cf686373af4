"""`Operation`: one Prisma call as it travels through the pipeline."""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

__all__ = ["READ_ACTIONS", "WRITE_ACTIONS", "Action", "CacheOptions", "Operation", "OperationContext"]


class Action(StrEnum):
    """Prisma's model actions, plus raw SQL."""

    FIND_UNIQUE = "findUnique"
    FIND_UNIQUE_OR_THROW = "findUniqueOrThrow"
    FIND_FIRST = "findFirst"
    FIND_FIRST_OR_THROW = "findFirstOrThrow"
    FIND_MANY = "findMany"
    CREATE = "create"
    CREATE_MANY = "createMany"
    CREATE_MANY_AND_RETURN = "createManyAndReturn"
    UPDATE = "update"
    UPDATE_MANY = "updateMany"
    UPSERT = "upsert"
    DELETE = "delete"
    DELETE_MANY = "deleteMany"
    COUNT = "count"
    AGGREGATE = "aggregate"
    GROUP_BY = "groupBy"
    QUERY_RAW = "queryRaw"
    EXECUTE_RAW = "executeRaw"

    @classmethod
    def parse(cls, value: Action | str) -> Action:
        """``value`` as an `Action`; `ValidationError` names it (or its type) and the closest action."""
        if isinstance(value, Action):
            return value
        try:
            return cls(value)
        except ValueError:
            from prisma_infra.errors import ValidationError, closest_match
            from prisma_infra.schema.limits import safe_name

            match = closest_match(value, [a.value for a in cls]) if isinstance(value, str) else None
            hint = f" Did you mean {match!r}?" if match else f" Known: {', '.join(a.value for a in cls)}."
            raise ValidationError(f"Unknown action {safe_name(value)}.{hint}") from None

    @property
    def is_write(self) -> bool:
        return self in WRITE_ACTIONS

    @property
    def is_raw(self) -> bool:
        return self in (Action.QUERY_RAW, Action.EXECUTE_RAW)


READ_ACTIONS = frozenset(
    {
        Action.FIND_UNIQUE,
        Action.FIND_UNIQUE_OR_THROW,
        Action.FIND_FIRST,
        Action.FIND_FIRST_OR_THROW,
        Action.FIND_MANY,
        Action.COUNT,
        Action.AGGREGATE,
        Action.GROUP_BY,
        Action.QUERY_RAW,
    }
)
WRITE_ACTIONS = frozenset(set(Action) - READ_ACTIONS)


@dataclass(frozen=True, slots=True)
class CacheOptions:
    """Per-operation cache choices (``.cache(...)`` on the query builder)."""

    enabled: bool = True
    ttl: float | None = None
    swr: float | None = None
    tags: tuple[str, ...] = ()
    key: str | None = None
    serve_stale: bool = True


@dataclass(frozen=True, slots=True)
class OperationContext:
    """Who asks, for which tenant and request, inside which transaction, until when."""

    actor: Any = None
    tenant: str | None = None
    request_id: str | None = None
    transaction: str | None = None
    cache: CacheOptions | None = None
    deadline: float | None = None
    """Absolute ``time.monotonic()`` value after which the operation is abandoned."""
    extra: Mapping[str, Any] = field(default_factory=dict)

    def remaining(self) -> float | None:
        """Seconds left before the deadline, or ``None`` when there is none."""
        if self.deadline is None:
            return None
        return self.deadline - time.monotonic()


# uuid4() costs a system call (~4 µs) per operation; a per-process random prefix plus a
# counter is unique across processes for correlation purposes and nearly free.
_PROCESS_PREFIX = uuid.uuid4().hex[:12] + "-"
_SEQUENCE = itertools.count(1)


@dataclass(slots=True)
class Operation:
    """A Prisma model call: model, action, Prisma-shaped args, and its context.

    ``args`` uses Prisma's own argument names (``where``, ``select``, ``include``,
    ``orderBy``, ``take``, ``skip``, ``cursor``, ``distinct``, ``data``, ...).
    For raw actions ``model`` may be ``None`` and ``args`` holds ``sql`` and ``params``.
    """

    model: str | None
    action: Action
    args: dict[str, Any] = field(default_factory=dict)
    context: OperationContext = field(default_factory=OperationContext)
    id: str = field(default_factory=lambda: f"{_PROCESS_PREFIX}{next(_SEQUENCE):x}")
    #: Free slot for middleware to share state between ``before`` and ``after``.
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def is_write(self) -> bool:
        return self.action in WRITE_ACTIONS

    def with_args(self, **changes: Any) -> Operation:
        """A copy with some top-level args replaced (middleware must not mutate shared args)."""
        return replace(self, args={**self.args, **changes})

    def with_context(self, **changes: Any) -> Operation:
        return replace(self, context=replace(self.context, **changes))

"""Query analysis: N+1 patterns and missing indexes, with a suggestion read from the schema.

*N+1*: a loop that reads one related record per parent shows up as many
single-record reads (``findUnique``/``findFirst``) of one model from one unit of
work within a short window: one request (its ``request_id``) or, without one,
`prisma_infra.context.unit_of_work` (the ``acting_as`` block, else the asyncio
task; never ``id()`` of the task, which Python reuses once a task is gone). The
reads of one ``infra.batch([...])`` are one round trip and never count.
The detector keeps, per (scope, model), the times of the last ``threshold``
such reads in a deque: a full deque whose oldest entry is inside the window is
a pattern. It also remembers the last few ``findMany`` queries so the suggestion
can name the parent query and its relation (``include={"author": True}`` or
``repo.load(posts, "author")``).

*Indexes*: the fields a slow operation filters and sorts on are compared with
the model's primary key, unique constraints and ``@@index`` entries; when no
index starts with one of them, an ``@@index`` is suggested (equality fields
first, then one range field, then sort fields).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from prisma_infra.context import unit_of_work
from prisma_infra.data.transaction import in_batch as _in_batch
from prisma_infra.operation import Action, Operation

if TYPE_CHECKING:
    from prisma_infra.schema import Model, Schema

__all__ = [
    "SINGLE_READS",
    "Detection",
    "Finding",
    "IndexAdvice",
    "NPlusOneDetector",
    "n_plus_one_suggestion",
    "suggest_index",
    "where_shape",
]

#: Actions that read at most one record.
SINGLE_READS = frozenset(
    {Action.FIND_UNIQUE, Action.FIND_UNIQUE_OR_THROW, Action.FIND_FIRST, Action.FIND_FIRST_OR_THROW}
)
_unit_of_work = unit_of_work
_EQUALITY_OPS = frozenset({"equals", "in"})
_LOGICAL = frozenset({"AND", "OR", "NOT"})


@dataclass(slots=True)
class Finding:
    """A pattern found by query analysis; reported once, counted every time it recurs."""

    kind: str
    """``n_plus_one`` or ``slow_operation``."""
    key: str
    """Identifies the pattern (kind, model, action, filtered fields)."""
    model: str | None
    action: str
    message: str
    suggestion: str | None
    first_seen: float
    last_seen: float
    count: int = 1
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "key": self.key,
            "model": self.model,
            "action": self.action,
            "message": self.message,
            "suggestion": self.suggestion,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "count": self.count,
            "details": self.details,
        }


def where_shape(args: Mapping[str, Any]) -> tuple[str, ...]:
    """The sorted top-level keys of ``args["where"]``: what makes two queries the same pattern."""
    where = args.get("where")
    if not isinstance(where, Mapping):
        return ()
    return tuple(sorted(str(k) for k in where))


# -- N+1 ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Detection:
    """``count`` single-record reads of ``model`` within ``window`` seconds from one scope."""

    model: str
    action: str
    where: tuple[str, ...]
    count: int
    window: float
    scope: str
    parents: tuple[str, ...] = ()
    """Models of recent ``findMany`` queries, newest first: candidates for the loop's parent query."""


class NPlusOneDetector:
    """Finds bursts of single-record reads of one model from one request or task (see the module doc)."""

    def __init__(self, threshold: int, window: float, *, max_scopes: int = 10_000) -> None:
        self.threshold = threshold
        self.window = window
        self.max_scopes = max_scopes
        self._reads: dict[tuple[Any, str], deque[float]] = {}
        self._recent_many: deque[tuple[str | None, float]] = deque(maxlen=32)

    def note_many(self, operation: Operation, now: float) -> None:
        """Remember a ``findMany``: the likely parent query of single reads that follow.

        Kept in a short global ring rather than per scope, so that noting costs no
        scope lookup; at detection the newest recent ``findMany`` of a model related
        to the one read in a loop is taken as the parent.
        """
        self._recent_many.append((operation.model, now))

    def observe(self, operation: Operation, now: float) -> bool:
        """Count a single-record read; True when it completes a pattern (then see `detection`)."""
        model = operation.model
        if model is None or _in_batch():  # the reads of one infra.batch() are one round trip
            return False
        scope: Any = operation.context.request_id
        if scope is None:
            scope = _unit_of_work()
        times = self._reads.get((scope, model))
        if times is None:
            if len(self._reads) >= self.max_scopes:
                self._prune(now)
            times = self._reads[(scope, model)] = deque(maxlen=self.threshold)
        times.append(now)
        if len(times) < self.threshold or now - times[0] > self.window:
            return False
        times.clear()  # the next detection needs another full burst
        return True

    def detection(self, operation: Operation, now: float) -> Detection:
        """Describe the pattern `observe` just reported for ``operation``."""
        scope = operation.context.request_id
        return Detection(
            model=operation.model or "",
            action=operation.action.value,
            where=where_shape(operation.args),
            count=self.threshold,
            window=self.window,
            scope=str(scope if scope is not None else f"unit {_unit_of_work()}"),
            parents=tuple(m for m, at in reversed(self._recent_many) if m is not None and now - at <= 60.0),
        )

    def _prune(self, now: float) -> None:
        horizon = now - self.window
        self._reads = {k: v for k, v in self._reads.items() if v and v[-1] >= horizon}
        # Still full (a flood of live scopes): forget the oldest half rather than grow.
        if len(self._reads) >= self.max_scopes:
            for stale in list(self._reads)[: len(self._reads) // 2]:
                del self._reads[stale]

    @property
    def tracked(self) -> int:
        """Scopes currently followed (bounded by ``max_scopes``)."""
        return len(self._reads)


def _relations_to(model: Model, target: str) -> list[str]:
    return [f.name for f in model.relation_fields if f.type == target]


def n_plus_one_suggestion(schema: Schema | None, detection: Detection) -> tuple[str, dict[str, Any]]:
    """What to write instead of the loop, from the schema's relations; and the parts of it as details."""
    model = detection.model
    details: dict[str, Any] = {"parent": None}
    if schema is not None:
        candidates: list[tuple[str, str]] = []
        for name in detection.parents:
            parent = schema.get_model(name)
            if parent is not None:
                candidates = [(parent.name, relation) for relation in _relations_to(parent, model)]
                if candidates:
                    break
        recent = bool(candidates)
        if not candidates:
            candidates = [(m.name, name) for m in schema.models for name in _relations_to(m, model) if m.name != model]
        if len(candidates) == 1 or (candidates and recent):
            owner, relation = candidates[0]
            var = owner[:1].lower() + owner[1:] + "s"
            details.update(parent=owner, relation=relation, include={relation: True})
            text = (
                f"load {model} with its parent query: include={{'{relation}': True}} on the {owner} "
                f"query, or `await infra.repository('{owner}').load({var}, '{relation}')` "
                f"(one query instead of one per {owner})"
            )
            return text, details
        if candidates:
            names = ", ".join(f"{owner}.{relation}" for owner, relation in candidates)
            details["relations"] = [f"{owner}.{relation}" for owner, relation in candidates]
            text = (
                f"load {model} with the parent query's include (one of {names}), or "
                f"`await infra.repository(<parent>).load(records, <relation>)` — one query instead of one per record"
            )
            return text, details
    first = detection.where[0] if detection.where else "id"
    text = f"read the {model} records in one findMany with where={{'{first}': {{'in': [...]}}}}"
    return text, details


# -- indexes -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IndexAdvice:
    """What a slow operation filters and sorts on, the index that serves it, or the one to add."""

    model: str
    equality: tuple[str, ...]
    ranges: tuple[str, ...]
    order_by: tuple[str, ...]
    covered_by: tuple[str, ...] | None
    suggested: tuple[str, ...] | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "equality": list(self.equality),
            "ranges": list(self.ranges),
            "order_by": list(self.order_by),
            "covered_by": list(self.covered_by) if self.covered_by else None,
            "suggested": list(self.suggested) if self.suggested else None,
            "message": self.message,
        }


def _add(seq: list[str], name: str) -> None:
    if name not in seq:
        seq.append(name)


def _walk_where(model: Model, where: Any, eq: list[str], ranges: list[str]) -> None:
    if isinstance(where, list | tuple):
        for item in where:
            _walk_where(model, item, eq, ranges)
        return
    if not isinstance(where, Mapping):
        return
    unique = model.unique_keys
    for key, value in where.items():
        if key in _LOGICAL:
            _walk_where(model, value, eq, ranges)
            continue
        found = model.get_field(key)
        if found is None:
            if key in unique:  # a compound where-unique key: equality on its fields
                for name in unique[key]:
                    _add(eq, name)
            continue
        if found.is_relation:
            continue
        if isinstance(value, Mapping):
            ops = set(value) - {"mode"}
            if ops and ops <= _EQUALITY_OPS:
                _add(eq, key)
            elif ops:
                _add(ranges, key)
        else:
            _add(eq, key)


def _order_fields(model: Model, order: Any) -> list[str]:
    out: list[str] = []
    for item in order if isinstance(order, list | tuple) else [order]:
        if isinstance(item, Mapping):
            for name in item:
                found = model.get_field(str(name))
                if found is not None and found.is_scalar:
                    _add(out, str(name))
    return out


def _indexes(model: Model) -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = []
    if model.primary_key is not None:
        found.append(model.primary_key.fields)
    found.extend(u.fields for u in model.unique_constraints)
    found.extend(i.fields for i in model.indexes if i.type != "fulltext")
    return [f for f in found if f]


def suggest_index(schema: Schema, model_name: str, args: Mapping[str, Any]) -> IndexAdvice | None:
    """Compare what ``args`` filter and sort on with ``model_name``'s indexes; ``None`` for an unknown model."""
    model = schema.get_model(model_name)
    if model is None:
        return None
    eq: list[str] = []
    ranges: list[str] = []
    _walk_where(model, args.get("where"), eq, ranges)
    order = _order_fields(model, args.get("orderBy"))
    filtered = eq + [r for r in ranges if r not in eq]
    name = model.name
    if not filtered:
        message = (
            f"{name}: no filter on indexed columns; read fewer rows (take/cursor pagination) or a narrower select"
            if not order
            else f"{name}: sorted on {', '.join(order)} without a filter"
        )
        return IndexAdvice(name, (), (), tuple(order), None, None, message)
    for index in _indexes(model):
        if index[0] in filtered:
            return IndexAdvice(
                name,
                tuple(eq),
                tuple(ranges),
                tuple(order),
                index,
                None,
                f"{name}: the filter on {', '.join(filtered)} can use the index on ({', '.join(index)}); "
                "look at the rows it returns and at the include tree",
            )
    suggested = list(eq)
    for candidate in ranges[:1]:
        _add(suggested, candidate)
    for candidate in order:
        _add(suggested, candidate)
    message = f"{name}: no index serves the filter on {', '.join(filtered)}; add @@index([{', '.join(suggested)}])"
    return IndexAdvice(name, tuple(eq), tuple(ranges), tuple(order), None, tuple(suggested), message)

"""The actor as policies see it, and ``{actor.x}`` placeholders in row filters.

An actor is whatever the application sets with ``acting_as``: a dict, or an
object with attributes (``id``, ``roles`` or ``role``, ``tenant_id``, ...).
Policies read it through `ActorView`, which looks keys up in a mapping and
attributes on an object, so both shapes work without conversion; its id, roles
and tenant are derived by `prisma_infra.actor`, as every other feature does.
"""

from __future__ import annotations

import datetime
import enum
import hashlib
import re
import uuid
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from prisma_infra.actor import actor_attribute, actor_id, actor_roles, actor_tenant
from prisma_infra.errors import PolicyError

__all__ = ["UNRESOLVED", "ActorView", "Unresolved", "interpolate", "placeholders", "when_record"]

_PLACEHOLDER = re.compile(r"\{(actor(?:\.[A-Za-z_][A-Za-z0-9_]*)+|tenant)\}")


class Unresolved:
    """Marks a placeholder whose actor attribute is missing or ``None``."""

    _instance: Unresolved | None = None

    def __new__(cls) -> Unresolved:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNRESOLVED"


UNRESOLVED = Unresolved()


_get = actor_attribute


class ActorView(Mapping[str, Any]):
    """Read-only mapping over a dict or object actor; ``roles`` is always a frozenset of strings."""

    __slots__ = ("actor", "roles", "tenant")

    def __init__(self, actor: Any, *, tenant: str | None = None) -> None:
        self.actor = actor
        self.roles: frozenset[str] = actor_roles(actor)
        self.tenant = actor_tenant(actor, tenant)

    @property
    def id(self) -> Any:
        return actor_id(self.actor)

    @property
    def is_anonymous(self) -> bool:
        return self.actor is None

    def __getitem__(self, key: str) -> Any:
        if key == "roles":
            return sorted(self.roles)
        if self.actor is None:
            raise KeyError(key)
        if isinstance(self.actor, Mapping):
            if key not in self.actor:
                if key == "tenant_id" and self.tenant is not None:
                    return self.tenant
                raise KeyError(key)
            return self.actor[key]
        if not hasattr(self.actor, key):
            if key == "tenant_id" and self.tenant is not None:
                return self.tenant
            raise KeyError(key)
        return getattr(self.actor, key)

    def __iter__(self) -> Iterator[str]:
        if isinstance(self.actor, Mapping):
            yield from self.actor
        elif self.actor is not None:
            yield from (k for k in dir(self.actor) if not k.startswith("_"))
        if "roles" not in (self.actor or {}):
            yield "roles"

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def path(self, dotted: str) -> Any:
        """``"org.id"`` → the actor's ``org`` then its ``id``; ``None`` when any step is missing."""
        value: Any = self
        for part in dotted.split("."):
            if value is None:
                return None
            value = value.get(part) if isinstance(value, Mapping) else getattr(value, part, None)
        return value

    def scope(self) -> str:
        """A short stable digest of what policies read (id, roles, tenant): for cache keys and logs."""
        text = f"{self.id!r}|{','.join(sorted(self.roles))}|{self.tenant!r}"
        return hashlib.sha256(text.encode()).hexdigest()[:16]


#: What an actor attribute may be when a placeholder takes it: a value, never a filter.
_SCALARS = (str, int, float, bool, Decimal, uuid.UUID, datetime.date, datetime.time)
#: Operators whose operand is a list: there a placeholder may take a list of values.
_LIST_OPERATORS = frozenset({"in", "notIn", "hasSome", "hasEvery"})


def _scalar(value: Any) -> Any:
    """``value`` as a plain value (an enum member gives its value), or ``None`` if it is none."""
    if isinstance(value, enum.Enum):
        value = value.value
    return value if isinstance(value, _SCALARS) else None


def _not_a_value(attribute: str, value: Any, usage: str) -> PolicyError:
    # The type only: the value itself may be anything the application put on the actor.
    return PolicyError(
        f"Actor attribute {attribute!r} is a {type(value).__name__}: {usage} takes a single value "
        "(str, int, float, bool, UUID, Decimal, date/datetime), or a list of them only under "
        "in/notIn/hasSome/hasEvery.",
        attribute=attribute,
    )


def _resolve(name: str, actor: ActorView, *, list_ok: bool = False) -> Any:
    value = actor.tenant if name == "tenant" else actor.path(name.removeprefix("actor."))
    if value is None:
        return UNRESOLVED
    if _scalar(value) is not None:
        return _scalar(value)
    if list_ok and isinstance(value, list | tuple) and all(_scalar(v) is not None for v in value):
        return [_scalar(v) for v in value]
    raise _not_a_value(name.removeprefix("actor."), value, "a policy placeholder")


def _interpolate(value: Any, actor: ActorView, missing: list[str], *, list_ok: bool = False) -> Any:
    if isinstance(value, str):
        whole = _PLACEHOLDER.fullmatch(value)
        if whole:  # keep the attribute's type: {actor.id} stays an int
            found = _resolve(whole.group(1), actor, list_ok=list_ok)
            if found is UNRESOLVED:
                missing.append(whole.group(1))
            return found
        if "{" not in value:
            return value

        def repl(match: re.Match[str]) -> str:
            found = _resolve(match.group(1), actor)
            if found is UNRESOLVED:
                missing.append(match.group(1))
                return ""
            return str(found)

        return _PLACEHOLDER.sub(repl, value)
    if isinstance(value, Mapping):
        return {k: _interpolate(v, actor, missing, list_ok=k in _LIST_OPERATORS) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_interpolate(v, actor, missing) for v in value]
    return value


def interpolate(template: Any, actor: ActorView) -> tuple[Any, list[str]]:
    """Replace ``{actor.x}`` / ``{tenant}`` in a filter; returns the filter and the placeholders left unresolved."""
    missing: list[str] = []
    return _interpolate(template, actor, missing), missing


def placeholders(template: Any) -> set[str]:
    """Every placeholder name a filter uses."""
    found: set[str] = set()
    if isinstance(template, str):
        found.update(m.group(1) for m in _PLACEHOLDER.finditer(template))
    elif isinstance(template, Mapping):
        for v in template.values():
            found |= placeholders(v)
    elif isinstance(template, list | tuple):
        for v in template:
            found |= placeholders(v)
    return found


_VALUE_OPERATORS = frozenset(
    {"equals", "in", "notIn", "lt", "lte", "gt", "gte", "contains", "startsWith", "endsWith", "not", "mode"}
    | {"has", "hasSome", "hasEvery", "isEmpty"}
)
_TO_MANY = frozenset({"some", "every", "none"})


def when_record(when: Any, actor: Any, *, prefix: str = "") -> dict[str, Any]:
    """The actor's attributes a ``when`` condition reads, each checked to be a value.

    ``when`` is matched against this record, never against the actor itself: an
    attribute that is a dict, or an object with its own ``__eq__``, cannot decide
    the condition (`PolicyError` naming the attribute). Scalars and lists of
    scalars pass; a relation-shaped condition (``{"org": {"is": {...}}}``) reads
    the attribute's own attributes the same way.
    """
    record: dict[str, Any] = {}
    if not isinstance(when, Mapping):
        return record
    for key, cond in when.items():
        if key in ("AND", "OR", "NOT"):
            for item in cond if isinstance(cond, list | tuple) else [cond]:
                _merge(record, when_record(item, actor, prefix=prefix))
            continue
        name = f"{prefix}{key}"
        value = _get(actor, key)
        if isinstance(cond, Mapping) and cond and not set(cond) <= _VALUE_OPERATORS:
            _merge(record, {key: _related(name, cond, value)})
        elif value is None or _scalar(value) is not None:
            record[key] = _scalar(value)
        elif isinstance(value, list | tuple) and all(_scalar(v) is not None for v in value):
            record[key] = [_scalar(v) for v in value]
        else:
            raise _not_a_value(name, value, "a when condition")
    return record


def _related(name: str, cond: Mapping[str, Any], value: Any) -> Any:
    if value is None:
        return None
    subs = [v for v in cond.values() if isinstance(v, Mapping)]
    if set(cond) <= _TO_MANY:
        if not isinstance(value, list | tuple):
            raise _not_a_value(name, value, "a some/every/none condition")
        return [when_record({"AND": subs}, item, prefix=f"{name}.") for item in value]
    if _scalar(value) is not None or isinstance(value, list | tuple):
        raise PolicyError(
            f"Actor attribute {name!r} is a {type(value).__name__}: the when condition reads attributes of it.",
            attribute=name,
        )
    inner = {"AND": subs} if set(cond) <= {"is", "isNot"} else cond
    return when_record(inner, value, prefix=f"{name}.")


def _merge(into: dict[str, Any], more: Mapping[str, Any]) -> None:
    for key, value in more.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value

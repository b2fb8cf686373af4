"""The actor as policies see it, and ``{actor.x}`` placeholders in row filters.

An actor is whatever the application sets with ``acting_as``: a dict, or an
object with attributes (``id``, ``roles`` or ``role``, ``tenant_id``, ...).
Policies read it through `ActorView`, which looks keys up in a mapping and
attributes on an object, so both shapes work without conversion.
"""

from __future__ import annotations

import datetime
import hashlib
import re
import uuid
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from prisma_infra.errors import PolicyError

__all__ = ["UNRESOLVED", "ActorView", "Unresolved", "interpolate", "placeholders"]

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


def _get(value: Any, name: str) -> Any:
    if isinstance(value, Mapping):
        return value.get(name)
    return getattr(value, name, None)


class ActorView(Mapping[str, Any]):
    """Read-only mapping over a dict or object actor; ``roles`` is always a frozenset of strings."""

    __slots__ = ("actor", "roles", "tenant")

    def __init__(self, actor: Any, *, tenant: str | None = None) -> None:
        self.actor = actor
        roles = _get(actor, "roles") if actor is not None else None
        if roles is None and actor is not None:
            single = _get(actor, "role")
            roles = [single] if single is not None else []
        if isinstance(roles, str):
            roles = [roles]
        self.roles: frozenset[str] = frozenset(str(getattr(r, "value", r)) for r in roles or ())
        self.tenant = tenant if tenant is not None else (_get(actor, "tenant_id") if actor is not None else None)

    @property
    def id(self) -> Any:
        return None if self.actor is None else _get(self.actor, "id")

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


def _resolve(name: str, actor: ActorView, *, list_ok: bool = False) -> Any:
    value = actor.tenant if name == "tenant" else actor.path(name.removeprefix("actor."))
    if value is None:
        return UNRESOLVED
    if isinstance(value, _SCALARS) or (
        list_ok and isinstance(value, list | tuple) and all(isinstance(v, _SCALARS) for v in value)
    ):
        return list(value) if isinstance(value, tuple) else value
    attribute = name.removeprefix("actor.")
    raise PolicyError(
        f"Actor attribute {attribute!r} is a {type(value).__name__}: a policy placeholder takes a single value "
        "(str, int, bool, UUID, Decimal, date), or a list of them only under in/notIn/hasSome/hasEvery.",
        attribute=attribute,
    )


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

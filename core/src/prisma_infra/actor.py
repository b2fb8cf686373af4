"""The actor as every feature reads it: its id, roles and tenant.

An actor is whatever the application sets with ``acting_as``: a string or number
(the id itself), a dict, or an object with attributes (``id``, ``roles`` or
``role``, ``tenant_id``, ...). Policies, the cache, the audit trail, PII unmasking
and compliance reports all read it through these functions, so they agree on
who is acting.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["ActorInfo", "actor_attribute", "actor_id", "actor_roles", "actor_tenant"]

#: Actors that are their own id.
_ID_TYPES = (str, int, uuid.UUID)


def actor_attribute(actor: Any, name: str) -> Any:
    """``actor[name]`` for a mapping, ``actor.name`` for an object; ``None`` when absent."""
    if actor is None:
        return None
    if isinstance(actor, Mapping):
        return actor.get(name)
    return getattr(actor, name, None)


def actor_id(actor: Any) -> Any:
    """The actor's identity: the actor itself when it is a string, number or UUID, else its ``id``."""
    if isinstance(actor, _ID_TYPES) and not isinstance(actor, bool):
        return actor
    return actor_attribute(actor, "id")


def actor_roles(actor: Any) -> frozenset[str]:
    """The actor's ``roles`` (a string or a collection), else its single ``role``; enum members give their value."""
    if actor is None or isinstance(actor, _ID_TYPES):
        return frozenset()
    roles = actor_attribute(actor, "roles")
    if roles is None:
        single = actor_attribute(actor, "role")
        roles = [single] if single is not None else []
    if isinstance(roles, str) or not isinstance(roles, Iterable):
        roles = [roles]
    return frozenset(str(getattr(role, "value", role)) for role in roles)


def actor_tenant(actor: Any, tenant: str | None = None) -> Any:
    """``tenant`` when given (the operation's), else the actor's ``tenant_id``."""
    return tenant if tenant is not None else actor_attribute(actor, "tenant_id")


@dataclass(frozen=True, slots=True)
class ActorInfo:
    """What features need of an actor, read once."""

    id: Any
    roles: frozenset[str]
    tenant: Any

    @classmethod
    def of(cls, actor: Any, tenant: str | None = None) -> ActorInfo:
        return cls(actor_id(actor), actor_roles(actor), actor_tenant(actor, tenant))

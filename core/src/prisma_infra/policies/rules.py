"""Compiled policies: rules, the per-operation `AccessPlan`, record-level `Decision`, and the errors.

`PolicyDecider` (``prisma_infra.policies.decider``) builds these from policy specs; the
decision rule is documented there and in ``docs/policies.md``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from prisma_infra.errors import PolicyDeniedError
from prisma_infra.operation import Action
from prisma_infra.policies.actor import ActorView, interpolate, when_record
from prisma_infra.policies.evaluator import evaluate, matches

if TYPE_CHECKING:
    from prisma_infra.schema import Schema

__all__ = [
    "AccessDeniedError",
    "AccessPlan",
    "CompiledFieldRule",
    "CompiledRule",
    "Decision",
    "FieldReadDeniedError",
    "FieldWriteDeniedError",
    "ModelPolicies",
    "Plan",
    "actor_label",
    "all_of",
]


class AccessDeniedError(PolicyDeniedError):
    """A policy denied an action: names the policy and rule, the model and the action."""

    def __init__(
        self,
        message: str,
        *,
        policy: str | None = None,
        rule: str | None = None,
        model: str | None = None,
        action: str | None = None,
    ) -> None:
        super().__init__(message, policy=policy, rule=rule)
        self.model = model
        self.action = action


class FieldWriteDeniedError(AccessDeniedError):
    """The data writes a field that a field rule forbids for this actor."""

    def __init__(self, message: str, *, field: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.field = field


class FieldReadDeniedError(AccessDeniedError):
    """A field the actor may not read was filtered, ordered, grouped, aggregated on, or used as cursor/distinct.

    ``field``/``model`` name it, ``policy``/``rule`` the field rule, ``action`` the operation.
    """

    def __init__(self, message: str, *, field: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.field = field


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether one record (or the action) is allowed, and the policy and rule that decided."""

    allowed: bool
    policy: str | None = None
    rule: str | None = None
    reason: str = ""

    def __bool__(self) -> bool:
        return self.allowed

    def error(self, model: str | None = None, action: str | None = None) -> AccessDeniedError:
        return AccessDeniedError(self.reason, policy=self.policy, rule=self.rule, model=model, action=action)


def actor_label(actor: ActorView) -> str:
    if actor.is_anonymous:
        return "anonymous actor"
    roles = f" (roles: {', '.join(sorted(actor.roles))})" if actor.roles else ""
    return f"actor {actor.id!r}{roles}"


def _applies(roles: frozenset[str] | None, when: Mapping[str, Any] | None, actor: ActorView) -> bool:
    """Whether a rule for ``roles`` (``None``: any) and condition ``when`` applies to ``actor``."""
    if roles is not None and not (roles & actor.roles):
        return False
    if when is not None:
        interpolated, missing = interpolate(when, actor)
        if missing or not matches(interpolated, when_record(interpolated, actor)):
            return False
    return True


@dataclass(frozen=True, slots=True)
class CompiledRule:
    policy: str
    name: str
    effect: Literal["allow", "deny"]
    actions: frozenset[Action]
    roles: frozenset[str] | None
    when: Mapping[str, Any] | None
    where: Mapping[str, Any] | None

    def applies_to(self, actor: ActorView) -> bool:
        return _applies(self.roles, self.when, actor)


@dataclass(frozen=True, slots=True)
class CompiledFieldRule:
    policy: str
    name: str
    fields: tuple[str, ...]
    read: Literal["allow", "mask", "hide"]
    mask: str
    write: Literal["allow", "deny"]
    write_actions: frozenset[Action]
    roles: frozenset[str] | None
    except_roles: frozenset[str]
    when: Mapping[str, Any] | None
    unless: Mapping[str, Any] | None
    on_query: Literal["deny", "drop"] = "deny"

    def applies_to(self, actor: ActorView) -> bool:
        return not (self.except_roles & actor.roles) and _applies(self.roles, self.when, actor)


@dataclass(frozen=True, slots=True)
class ModelPolicies:
    model: str
    policies: tuple[str, ...]
    rules: tuple[CompiledRule, ...]
    field_rules: tuple[CompiledFieldRule, ...]


def all_of(parts: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else {"AND": list(parts)}


@dataclass(frozen=True, slots=True)
class AccessPlan:
    """What policies require of one operation: an outright denial, or a row filter (``None``: no restriction)."""

    model: str
    action: Action
    actor: ActorView
    denial: Decision | None = None
    filter: Mapping[str, Any] | None = None
    allows: tuple[tuple[CompiledRule, Mapping[str, Any] | None], ...] = ()
    denies: tuple[tuple[CompiledRule, Mapping[str, Any]], ...] = ()
    governed: bool = False
    default_policy: str | None = None

    @property
    def allowed(self) -> bool:
        return self.denial is None

    def decide(self, record: Mapping[str, Any], *, schema: Schema | None = None) -> Decision:
        """The decision for one record; equals whether the database returns it under `filter`."""
        if self.denial is not None:
            return self.denial
        if not self.governed:
            return Decision(True, None, None, "no policy governs this model")
        options: dict[str, Any] = {"schema": schema, "model": self.model if schema is not None else None}
        for rule, where in self.denies:
            if evaluate(where, record, **options) is not False:
                return Decision(
                    False,
                    rule.policy,
                    rule.name,
                    f"Rule {rule.name!r} of policy {rule.policy!r} denies {self.action.value} on this {self.model} "
                    f"for {actor_label(self.actor)}.",
                )
        for rule, allow_where in self.allows:
            if allow_where is None or evaluate(allow_where, record, **options) is True:
                return Decision(True, rule.policy, rule.name, f"allowed by rule {rule.name!r}")
        return Decision(
            False,
            self.default_policy,
            None,
            f"No rule of {self.model}'s policies allows {self.action.value} on this record "
            f"for {actor_label(self.actor)}.",
        )


#: Deprecated name of `AccessPlan`.
Plan = AccessPlan

"""The shape of a policy, validated with pydantic: `PolicySpec`, `RuleSpec`, `FieldRuleSpec`.

In TOML (``[[models.Post.policies]]``)::

    [[models.Post.policies]]
    name = "posts"
    rules = [
      { name = "admins", effect = "allow", actions = ["all"], roles = ["ADMIN"] },
      { name = "same-tenant", effect = "allow", actions = ["read"], where = { tenantId = "{actor.tenant_id}" } },
      { name = "own", effect = "allow", actions = ["update", "delete"], where = { authorId = "{actor.id}" } },
      { name = "no-archived-delete", effect = "deny", actions = ["delete"], where = { status = "ARCHIVED" } },
    ]
    fields = [
      { name = "private-email", fields = ["email"], read = "mask", except_roles = ["ADMIN"] },
    ]

`parse_policies` turns the raw list into specs and reports every problem with
its model, policy and rule.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field, field_validator

from prisma_infra.errors import ConfigurationError, closest_match
from prisma_infra.operation import READ_ACTIONS, Action
from prisma_infra.pii.masking import STRATEGIES

__all__ = [
    "ACTION_GROUPS",
    "FieldRuleSpec",
    "PolicySpec",
    "RuleSpec",
    "expand_actions",
    "parse_policies",
]

#: Policy action names and the Prisma actions each stands for.
ACTION_GROUPS: dict[str, frozenset[Action]] = {
    "read": READ_ACTIONS - {Action.QUERY_RAW},

    "create": frozenset({Action.CREATE, Action.CREATE_MANY, Action.CREATE_MANY_AND_RETURN}),
    "update": frozenset({Action.UPDATE, Action.UPDATE_MANY}),
    "delete": frozenset({Action.DELETE, Action.DELETE_MANY}),
}
ACTION_GROUPS["all"] = frozenset().union(*ACTION_GROUPS.values())
_EXPLICIT = {a.value: a for a in Action if not a.is_raw and a is not Action.UPSERT}
_KNOWN_ACTIONS = (*ACTION_GROUPS, *_EXPLICIT)


def expand_actions(names: Sequence[str]) -> frozenset[Action]:
    """``["read", "delete"]`` → the Prisma actions they stand for (``upsert`` is checked as create + update)."""
    out: set[Action] = set()
    for name in names:
        out |= ACTION_GROUPS.get(name) or {_EXPLICIT[name]}
    return frozenset(out)


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RuleSpec(_Spec):
    """One allow or deny rule of a policy."""

    name: str = Field(min_length=1)
    effect: Literal["allow", "deny"]
    actions: list[str] = Field(min_length=1)
    """``read``, ``create``, ``update``, ``delete``, ``all``, or Prisma action names (``findMany``, ...)."""
    roles: list[str] | None = None
    """The rule applies to actors with one of these roles (any actor when absent)."""
    when: dict[str, Any] | None = None
    """A Prisma-shaped filter on the actor's attributes (``{ department = "sales" }``)."""
    where: dict[str, Any] | None = None
    """A row filter with ``{actor.x}`` / ``{tenant}`` placeholders; absent: every row."""
    description: str | None = None

    @field_validator("actions", "roles", mode="before")
    @classmethod
    def _listify(cls, value: Any) -> Any:
        return _as_list(value)

    @field_validator("actions")
    @classmethod
    def _known_actions(cls, value: list[str]) -> list[str]:
        for name in value:
            if name not in ACTION_GROUPS and name not in _EXPLICIT:
                match = closest_match(name, _KNOWN_ACTIONS)
                hint = f" Did you mean {match!r}?" if match else ""
                raise ValueError(f"unknown action {name!r} (use {', '.join(ACTION_GROUPS)} or a Prisma action).{hint}")
        return value


class FieldRuleSpec(_Spec):
    """A field-level restriction: hide or mask on read, refuse on write."""

    name: str = Field(min_length=1)
    fields: list[str] = Field(min_length=1)
    read: Literal["allow", "mask", "hide"] = "allow"
    """``mask``: the value is replaced (see ``mask``); ``hide``: the key is removed from results."""
    mask: str = "null"
    """Masking strategy (``null``, ``redact``, ``partial``, ``hash``, ... — see `prisma_infra.policies.masking`)."""
    write: Literal["allow", "deny"] = "allow"
    write_actions: list[Literal["create", "update"]] = Field(default_factory=lambda: ["create", "update"])  # type: ignore[arg-type]
    roles: list[str] | None = None
    """The restriction applies only to actors with one of these roles (everyone when absent)."""
    except_roles: list[str] = Field(default_factory=list)
    """Actors with one of these roles are exempt."""
    when: dict[str, Any] | None = None
    """A filter on the actor: the restriction applies when it matches."""
    unless: dict[str, Any] | None = None
    """A record filter (placeholders allowed): matching records stay unmasked (``{ id = "{actor.id}" }``)."""
    on_query: Literal["deny", "drop"] = "deny"
    """A masked or hidden field used in a filter, orderBy, cursor, distinct, groupBy or aggregate:
    ``deny`` refuses the query (`FieldReadDeniedError`), ``drop`` removes that part of it silently."""
    description: str | None = None

    @field_validator("fields", "roles", "except_roles", "write_actions", mode="before")
    @classmethod
    def _listify(cls, value: Any) -> Any:
        return _as_list(value)

    @field_validator("mask")
    @classmethod
    def _known_strategy(cls, value: str) -> str:
        # Checked when the policy is loaded: an unknown one would mask every value to None at
        # read time, silently, and a reload carrying it must be refused with the old policies kept.
        if value not in STRATEGIES:
            match = closest_match(value, STRATEGIES)
            hint = f" Did you mean {match!r}?" if match else ""
            raise ValueError(f"unknown mask strategy {value!r} (known: {', '.join(STRATEGIES)}).{hint}")
        return value


class PolicySpec(_Spec):
    """A named group of rules and field rules for one model."""

    name: str = Field(min_length=1)
    model: str | None = None
    """Filled from the ``models.<Model>`` key for configured policies."""
    description: str | None = None
    rules: list[RuleSpec] = Field(default_factory=list)
    fields: list[FieldRuleSpec] = Field(default_factory=list)


def _describe(model: str, index: int, raw: Any, loc: Sequence[int | str]) -> str:
    where = f"models.{model}.policies[{index}]"
    if isinstance(raw, Mapping) and raw.get("name"):
        where += f" ({raw['name']!r})"
    rest = list(loc)
    if len(rest) >= 2 and rest[0] in ("rules", "fields") and isinstance(rest[1], int):
        section, position = str(rest[0]), int(rest[1])
        items = raw.get(section) if isinstance(raw, Mapping) else None
        label = f"{section}[{position}]"
        if isinstance(items, list) and position < len(items) and isinstance(items[position], Mapping):
            name = items[position].get("name")
            if name:
                label += f" ({'rule' if section == 'rules' else 'field rule'} {name!r})"
        where += f" {label}"
        rest = rest[2:]
    if rest:
        where += ": " + ".".join(str(p) for p in rest)
    return where


def parse_policies(model: str, raw: Sequence[Any]) -> list[PolicySpec]:
    """Validate ``models.<model>.policies``; `ConfigurationError` lists every problem with its place."""
    problems: list[str] = []
    specs: list[PolicySpec] = []
    for index, item in enumerate(raw):
        try:
            data = dict(item) if isinstance(item, Mapping) else item
            if isinstance(data, dict):
                data.setdefault("model", model)
            specs.append(PolicySpec.model_validate(data))
        except pydantic.ValidationError as exc:
            for error in exc.errors():
                problems.append(f"{_describe(model, index, item, error['loc'])}: {error['msg']}")
    problems.extend(check_names(model, specs))
    if problems:
        raise ConfigurationError(
            f"Invalid policies for model {model}:\n" + "\n".join(f"  - {p}" for p in problems), problems=problems
        )
    return specs


def check_names(model: str, specs: Sequence[PolicySpec]) -> list[str]:
    """Duplicate policy names on a model, duplicate rule names inside a policy."""
    problems: list[str] = []
    seen: set[str] = set()
    for spec in specs:
        if spec.name in seen:
            problems.append(f"models.{model}.policies: policy name {spec.name!r} is used twice")
        seen.add(spec.name)
        names = [r.name for r in spec.rules] + [f.name for f in spec.fields]
        for name in {n for n in names if names.count(n) > 1}:
            problems.append(f"models.{model}.policies ({spec.name!r}): rule name {name!r} is used twice")
    return problems

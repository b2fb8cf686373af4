"""`PolicyBuilder`: define a policy in code, fluently.

::

    (infra.define_policy("Post", "posts")
        .allow("read", where={"published": True}, name="published")
        .allow(["update", "delete"], where={"authorId": "{actor.id}"}, name="own")
        .allow("all", roles=["ADMIN"], name="admins")
        .deny("delete", where={"status": "ARCHIVED"}, name="keep-archived")
        .mask(["email"], except_roles=["ADMIN"], name="private-email")
        .protect(["tenantId"], actions=["update"], name="tenant-immutable"))

Every call validates and registers the policy at once (replacing an earlier
one of the same model and name), so a mistake fails where it is written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, TypeVar

import pydantic

from prisma_infra.errors import ConfigurationError
from prisma_infra.policies.registry import PolicyRegistry
from prisma_infra.policies.spec import FieldRuleSpec, PolicySpec, RuleSpec

__all__ = ["PolicyBuilder"]

Names = str | Sequence[str]
_Rule = TypeVar("_Rule", RuleSpec, FieldRuleSpec)


def _names(value: Names | None) -> list[str] | None:
    if value is None:
        return None
    return [value] if isinstance(value, str) else list(value)


class PolicyBuilder:
    """Accumulates the rules of one named policy and keeps it registered."""

    def __init__(self, registry: PolicyRegistry, model: str, name: str, *, description: str | None = None) -> None:
        self.registry = registry
        self._spec = PolicySpec(name=name, model=model, description=description)
        registry.put(self._spec)

    @property
    def spec(self) -> PolicySpec:
        return self._spec

    def _replace(self, **changes: Any) -> PolicyBuilder:
        spec = self._spec.model_copy(update=changes)
        self.registry.put(spec)
        self._spec = spec
        return self

    def _made(self, kind: type[_Rule], **values: Any) -> _Rule:
        """A rule of this policy; a bad value is a `ConfigurationError` naming the model, policy and rule."""
        try:
            return kind(**values)
        except pydantic.ValidationError as exc:
            problems = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
            raise ConfigurationError(
                f"Invalid rule {values.get('name')!r} of policy {self._spec.name!r} on model {self._spec.model}: "
                + "; ".join(problems),
                problems=problems,
            ) from None

    def _rule(
        self,
        effect: Literal["allow", "deny"],
        actions: Names,
        where: Mapping[str, Any] | None,
        roles: Names | None,
        when: Mapping[str, Any] | None,
        name: str | None,
        description: str | None,
    ) -> PolicyBuilder:
        action_list = _names(actions) or []
        rule = self._made(
            RuleSpec,
            name=name or f"{effect}:{'+'.join(action_list)}#{len(self._spec.rules) + 1}",
            effect=effect,
            actions=action_list,
            roles=_names(roles),
            when=dict(when) if when is not None else None,
            where=dict(where) if where is not None else None,
            description=description,
        )
        return self._replace(rules=[*self._spec.rules, rule])

    def allow(
        self,
        actions: Names,
        *,
        where: Mapping[str, Any] | None = None,
        roles: Names | None = None,
        when: Mapping[str, Any] | None = None,
        name: str | None = None,
        description: str | None = None,
    ) -> PolicyBuilder:
        """Allow ``actions`` (``read``, ``update``, ``all``, a Prisma action...) on the rows ``where`` matches."""
        return self._rule("allow", actions, where, roles, when, name, description)

    def deny(
        self,
        actions: Names,
        *,
        where: Mapping[str, Any] | None = None,
        roles: Names | None = None,
        when: Mapping[str, Any] | None = None,
        name: str | None = None,
        description: str | None = None,
    ) -> PolicyBuilder:
        """Deny ``actions``: outright without ``where``, else on the rows ``where`` matches."""
        return self._rule("deny", actions, where, roles, when, name, description)

    def _field_rule(self, fields: Names, name: str | None, default: str, **options: Any) -> PolicyBuilder:
        field_list = _names(fields) or []
        options = {k: (_names(v) if k in ("roles", "except_roles") else v) for k, v in options.items() if v is not None}
        rule = self._made(
            FieldRuleSpec,
            name=name or f"{default}:{'+'.join(field_list)}#{len(self._spec.fields) + 1}",
            fields=field_list,
            **options,
        )
        return self._replace(fields=[*self._spec.fields, rule])

    def mask(
        self,
        fields: Names,
        *,
        strategy: str = "null",
        roles: Names | None = None,
        except_roles: Names | None = None,
        when: Mapping[str, Any] | None = None,
        unless: Mapping[str, Any] | None = None,
        name: str | None = None,
        on_query: Literal["deny", "drop"] = "deny",
    ) -> PolicyBuilder:
        """Mask ``fields`` in results (``unless`` a record filter matches, e.g. the actor's own row).

        ``on_query``: a query that filters, orders, groups or aggregates on them is refused (``deny``)
        or loses that part (``drop``).
        """
        return self._field_rule(
            fields,
            name,
            "mask",
            read="mask",
            mask=strategy,
            roles=roles,
            except_roles=except_roles,
            when=when,
            unless=unless,
            on_query=on_query,
        )

    def hide(
        self,
        fields: Names,
        *,
        roles: Names | None = None,
        except_roles: Names | None = None,
        when: Mapping[str, Any] | None = None,
        unless: Mapping[str, Any] | None = None,
        name: str | None = None,
        on_query: Literal["deny", "drop"] = "deny",
    ) -> PolicyBuilder:
        """Remove ``fields`` from results (``on_query`` as for `mask`)."""
        return self._field_rule(
            fields,
            name,
            "hide",
            read="hide",
            roles=roles,
            except_roles=except_roles,
            when=when,
            unless=unless,
            on_query=on_query,
        )

    def protect(
        self,
        fields: Names,
        *,
        actions: Sequence[Literal["create", "update"]] = ("create", "update"),
        roles: Names | None = None,
        except_roles: Names | None = None,
        when: Mapping[str, Any] | None = None,
        name: str | None = None,
    ) -> PolicyBuilder:
        """Refuse writes of ``fields`` (`FieldWriteDeniedError` names the field)."""
        return self._field_rule(
            fields,
            name,
            "protect",
            write="deny",
            write_actions=list(actions),
            roles=roles,
            except_roles=except_roles,
            when=when,
        )

"""`PolicyDecider`: compiles policies (`prisma_infra.policies.rules`) and answers for operations and records.

The decision rule (documented in ``docs/policies.md``):

- a model with access rules denies every action that no rule allows;
  a model without rules follows ``policies.default`` (``allow`` unless configured);
- a rule applies to the actor when its ``roles`` and ``when`` match;
- an applicable deny rule without ``where`` denies the action outright; with
  ``where`` it removes the rows it matches;
- applicable allow rules grant their rows (all rows when a rule has no ``where``);
- so the row filter is ``AND(OR(allow wheres), NOT(deny where)...)``: pushed
  into the query as a Prisma ``where``, and evaluated in memory by `AccessPlan.decide`
  with the same (three-valued) semantics, so both give the same answer.

A placeholder whose actor attribute is missing disables an allow rule and makes
a deny rule deny everything (fail closed).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from prisma_infra.context import bypass_policies, policies_bypassed
from prisma_infra.errors import ConfigurationError, closest_match
from prisma_infra.operation import Action
from prisma_infra.policies.actor import ActorView, interpolate
from prisma_infra.policies.evaluator import MissingRelationError, matches
from prisma_infra.policies.masking import Masker, mask_value
from prisma_infra.policies.registry import PolicyRegistry
from prisma_infra.policies.rules import (
    AccessPlan,
    CompiledFieldRule,
    CompiledRule,
    Decision,
    FieldWriteDeniedError,
    ModelPolicies,
    actor_label,
    all_of,
)
from prisma_infra.policies.spec import ACTION_GROUPS, PolicySpec, check_names, expand_actions, parse_policies

if TYPE_CHECKING:
    from prisma_infra.config.model import InfraConfig
    from prisma_infra.policies.builder import PolicyBuilder
    from prisma_infra.schema import Model, Schema

__all__ = ["PolicyDecider", "PolicyEngine", "bypass_policies", "policies_bypassed"]



_TO_MANY_OPS = ("some", "every", "none")
_TO_ONE_OPS = ("is", "isNot")
_SCALAR_OPS = frozenset(
    {"equals", "in", "notIn", "lt", "lte", "gt", "gte", "contains", "startsWith", "endsWith", "not", "mode"}
    | {"has", "hasSome", "hasEvery", "isEmpty"}
)


def _check_filter(schema: Schema, model: Model, where: Any, place: str, problems: list[str]) -> None:
    """Field names and operators of a policy filter against the schema."""
    if not isinstance(where, Mapping):
        problems.append(f"{place}: a filter must be a table of field conditions, got {where!r}")
        return
    for key, value in where.items():
        if key in ("AND", "OR", "NOT"):
            for item in value if isinstance(value, list | tuple) else [value]:
                _check_filter(schema, model, item, f"{place}.{key}", problems)
            continue
        field = model.get_field(key)
        if field is None:
            if key in model.unique_keys:
                continue
            match = closest_match(key, model.field_names)
            hint = f" Did you mean {match!r}?" if match else ""
            problems.append(f"{place}: {model.name} has no field {key!r}.{hint}")
            continue
        if field.is_relation:
            target = schema.model(field.type)
            if value is None:
                continue
            if not isinstance(value, Mapping):
                problems.append(f"{place}.{key}: a relation filter must be a table, got {value!r}")
            elif field.is_list:
                for op, sub in value.items():
                    if op not in _TO_MANY_OPS:
                        problems.append(f"{place}.{key}: to-many relation filter {op!r}: use some, every or none")
                    elif sub is not None:
                        _check_filter(schema, target, sub, f"{place}.{key}.{op}", problems)
            elif value and set(value) <= set(_TO_ONE_OPS):
                for op, sub in value.items():
                    if sub is not None:
                        _check_filter(schema, target, sub, f"{place}.{key}.{op}", problems)
            else:
                _check_filter(schema, target, value, f"{place}.{key}", problems)
        elif isinstance(value, Mapping) and field.type != "Json":
            for op in value:
                if op not in _SCALAR_OPS:
                    problems.append(f"{place}.{key}: unknown filter operator {op!r}")


def _field_actions(names: Sequence[str]) -> frozenset[Action]:
    out: set[Action] = set()
    for name in names:
        out |= ACTION_GROUPS[name]
    return frozenset(out)


def _read_action(action: Action | str) -> Action:
    if isinstance(action, Action):
        return action
    aliases = {"read": Action.FIND_MANY, "create": Action.CREATE, "update": Action.UPDATE, "delete": Action.DELETE}
    return aliases.get(action) or Action(action)


class PolicyDecider:
    """Compiled policies for one schema and configuration; published under `prisma_infra.policies.POLICIES`.

    ``infra.policies`` is this object: ``check`` a record, ``plan`` an operation,
    ``define`` a policy in code, ``explain`` what applies to an actor.
    """

    def __init__(
        self,
        schema: Schema,
        *,
        configured: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
        registry: PolicyRegistry | None = None,
        default: Literal["allow", "deny"] = "allow",
        enabled: bool = True,
        raw_roles: Sequence[str] | None = None,
    ) -> None:
        self.schema = schema
        self.default = default
        self.enabled = enabled
        self.raw_roles = frozenset(raw_roles) if raw_roles is not None else None
        self.registry = registry if registry is not None else PolicyRegistry()
        #: Applies mask strategies (see `prisma_infra.policies.masking`); ``None``: mask to ``None``.
        self.masker: Masker | None = None
        self._configured: dict[str, list[PolicySpec]] = {}
        problems: list[str] = []
        for model_name, raw in (configured or {}).items():
            if not raw:
                continue
            found = schema.get_model(model_name)
            if found is None:
                match = closest_match(model_name, schema.model_names)
                hint = f" Did you mean {match!r}?" if match else ""
                problems.append(f"models.{model_name}.policies: unknown model {model_name!r}.{hint}")
                continue
            try:
                self._configured[found.name] = parse_policies(found.name, raw)
            except ConfigurationError as exc:
                problems.extend(exc.problems)
        if problems:
            raise ConfigurationError("Invalid policies:\n" + "\n".join(f"  - {p}" for p in problems), problems=problems)
        self._models: dict[str, ModelPolicies] = {}
        self._compile()
        self.registry.subscribe(self._compile)

    @classmethod
    def from_config(cls, config: InfraConfig, schema: Schema, registry: PolicyRegistry | None = None) -> PolicyDecider:
        section = config.policies
        return cls(
            schema,
            configured={name: settings.policies for name, settings in config.models.items()},
            registry=registry,
            default=section.default,
            enabled=section.enabled,
            raw_roles=section.raw_roles,
        )

    def close(self) -> None:
        self.registry.unsubscribe(self._compile)

    # -- compilation -------------------------------------------------------------------------

    def _compile(self) -> None:
        by_model: dict[str, list[PolicySpec]] = {name: list(specs) for name, specs in self._configured.items()}
        problems: list[str] = []
        for spec in self.registry.specs():
            assert spec.model is not None
            found = self.schema.get_model(spec.model)
            if found is None:
                match = closest_match(spec.model, self.schema.model_names)
                hint = f" Did you mean {match!r}?" if match else ""
                problems.append(f"policy {spec.name!r}: unknown model {spec.model!r}.{hint}")
                continue
            by_model.setdefault(found.name, []).append(spec)
        compiled: dict[str, ModelPolicies] = {}
        for model_name, specs in by_model.items():
            problems.extend(check_names(model_name, specs))
            compiled[model_name] = self._compile_model(self.schema.model(model_name), specs, problems)
        if problems:
            raise ConfigurationError("Invalid policies:\n" + "\n".join(f"  - {p}" for p in problems), problems=problems)
        self._models = compiled

    def _compile_model(self, model: Model, specs: Sequence[PolicySpec], problems: list[str]) -> ModelPolicies:
        rules: list[CompiledRule] = []
        field_rules: list[CompiledFieldRule] = []
        for spec in specs:
            for rule in spec.rules:
                place = f"models.{model.name} policy {spec.name!r} rule {rule.name!r}"
                if rule.where is not None:
                    _check_filter(self.schema, model, rule.where, f"{place}: where", problems)
                rules.append(
                    CompiledRule(
                        policy=spec.name,
                        name=rule.name,
                        effect=rule.effect,
                        actions=expand_actions(rule.actions),
                        roles=frozenset(rule.roles) if rule.roles is not None else None,
                        when=rule.when,
                        where=rule.where,
                    )
                )
            for item in spec.fields:
                place = f"models.{model.name} policy {spec.name!r} field rule {item.name!r}"
                for name in item.fields:
                    if not model.has_field(name):
                        match = closest_match(name, model.field_names)
                        hint = f" Did you mean {match!r}?" if match else ""
                        problems.append(f"{place}: {model.name} has no field {name!r}.{hint}")
                if item.unless is not None:
                    _check_filter(self.schema, model, item.unless, f"{place}: unless", problems)
                field_rules.append(
                    CompiledFieldRule(
                        policy=spec.name,
                        name=item.name,
                        fields=tuple(item.fields),
                        read=item.read,
                        mask=item.mask,
                        write=item.write,
                        write_actions=_field_actions(item.write_actions),
                        roles=frozenset(item.roles) if item.roles is not None else None,
                        except_roles=frozenset(item.except_roles),
                        when=item.when,
                        unless=item.unless,
                        on_query=item.on_query,
                    )
                )
        return ModelPolicies(model.name, tuple(s.name for s in specs), tuple(rules), tuple(field_rules))

    # -- introspection -----------------------------------------------------------------------

    @property
    def models(self) -> tuple[str, ...]:
        """Models that have policies (rules or field rules)."""
        return tuple(self._models)

    def policies_of(self, model: str) -> ModelPolicies | None:
        return self._models.get(self.schema.model(model).name)

    def governs(self, model: str) -> bool:
        found = self._models.get(model)
        return bool(found and (found.rules or found.field_rules)) or self.default == "deny"

    # -- decisions ---------------------------------------------------------------------------

    @staticmethod
    def view(actor: Any, tenant: str | None = None) -> ActorView:
        return actor if isinstance(actor, ActorView) else ActorView(actor, tenant=tenant)

    def plan(self, actor: Any, model: str, action: Action | str, *, tenant: str | None = None) -> AccessPlan:
        """The denial or row filter for ``actor`` doing ``action`` on ``model``."""
        view = self.view(actor, tenant)
        act = _read_action(action)
        name = self.schema.model(model).name
        if not self.enabled or policies_bypassed():
            return AccessPlan(name, act, view)
        found = self._models.get(name)
        if found is None or not found.rules:
            if self.default == "deny":
                reason = f"{act.value} on {name} is denied: the model has no policy and policies.default is 'deny'."
                denial = Decision(False, "policies.default", "deny", reason)
                return AccessPlan(name, act, view, denial=denial, governed=True)
            return AccessPlan(name, act, view)
        default_policy = next((r.policy for r in found.rules if act in r.actions), found.policies[0])
        allows: list[tuple[CompiledRule, Mapping[str, Any] | None]] = []
        denies: list[tuple[CompiledRule, Mapping[str, Any]]] = []
        for rule in found.rules:
            if act not in rule.actions or not rule.applies_to(view):
                continue
            where: Mapping[str, Any] | None = None
            missing: list[str] = []
            if rule.where is not None:
                where, missing = interpolate(rule.where, view)
            if rule.effect == "deny":
                if where is None or missing:
                    because = f" ({', '.join(missing)} unknown)" if missing else ""
                    reason = (
                        f"Rule {rule.name!r} of policy {rule.policy!r} denies {act.value} on {name} "
                        f"for {actor_label(view)}{because}."
                    )
                    denial = Decision(False, rule.policy, rule.name, reason)
                    return AccessPlan(name, act, view, denial=denial, governed=True)
                denies.append((rule, where))
            elif not missing:
                allows.append((rule, where))
        if not allows:
            reason = f"No rule of policy {default_policy!r} allows {act.value} on {name} for {actor_label(view)}."
            return AccessPlan(
                name,
                act,
                view,
                denial=Decision(False, default_policy, None, reason),
                governed=True,
                default_policy=default_policy,
            )
        parts: list[Mapping[str, Any]] = []
        if all(where is not None for _, where in allows):
            wheres = [w for _, w in allows if w is not None]
            parts.append(wheres[0] if len(wheres) == 1 else {"OR": wheres})
        parts.extend({"NOT": where} for _, where in denies)
        return AccessPlan(
            name,
            act,
            view,
            filter=all_of(parts),
            allows=tuple(allows),
            denies=tuple(denies),
            governed=True,
            default_policy=default_policy,
        )

    def check(
        self,
        actor: Any,
        model: str,
        action: Action | str,
        record: Mapping[str, Any],
        *,
        tenant: str | None = None,
    ) -> Decision:
        """The decision for one record, made in memory exactly as the pushed-down filter would.

        ``action`` is a Prisma action or ``read``/``create``/``update``/``delete``. Relation
        filters read related data from the record (load it with ``include``).
        """
        plan = self.plan(actor, model, action, tenant=tenant)
        try:
            return plan.decide(record, schema=self.schema)
        except MissingRelationError as exc:
            return Decision(False, plan.default_policy, None, exc.message)

    def row_filter(self, actor: Any, model: str, action: Action | str, *, tenant: str | None = None) -> Any:
        """The ``where`` to AND into a query (``None``: no restriction); raises `AccessDeniedError` on denial."""
        plan = self.plan(actor, model, action, tenant=tenant)
        if plan.denial is not None:
            raise plan.denial.error(plan.model, plan.action.value)
        return plan.filter

    def field_rules(self, actor: Any, model: str, *, tenant: str | None = None) -> list[CompiledFieldRule]:
        """The field rules that apply to ``actor`` on ``model``."""
        if not self.enabled or policies_bypassed():
            return []
        found = self._models.get(self.schema.model(model).name)
        if found is None or not found.field_rules:
            return []
        view = self.view(actor, tenant)
        return [rule for rule in found.field_rules if rule.applies_to(view)]

    def check_write(self, actor: Any, model: str, action: Action, data: Mapping[str, Any]) -> None:
        """Raise `FieldWriteDeniedError` when ``data`` writes a field forbidden to ``actor``."""
        for rule in self.field_rules(actor, model):
            if rule.write != "deny" or action not in rule.write_actions:
                continue
            for name in rule.fields:
                if name in data:
                    raise FieldWriteDeniedError(
                        f"Field rule {rule.name!r} of policy {rule.policy!r} forbids writing {model}.{name} "
                        f"({action.value}) for {actor_label(self.view(actor))}.",
                        field=name,
                        policy=rule.policy,
                        rule=rule.name,
                        model=model,
                        action=action.value,
                    )

    def mask(self, actor: Any, model: str, record: Mapping[str, Any], *, tenant: str | None = None) -> dict[str, Any]:
        """A copy of ``record`` with the fields ``actor`` may not read masked or removed."""
        rules = self.field_rules(actor, model, tenant=tenant)
        return self.apply_field_rules(rules, self.view(actor, tenant), model, record)

    def apply_field_rules(
        self, rules: Sequence[CompiledFieldRule], actor: ActorView, model: str, record: Mapping[str, Any]
    ) -> dict[str, Any]:
        return self.mask_fields(self.unreadable_in(rules, actor, model, record), model, record)

    def unreadable_in(
        self, rules: Sequence[CompiledFieldRule], actor: ActorView, model: str, record: Mapping[str, Any]
    ) -> dict[str, CompiledFieldRule]:
        """Field → the rule that masks or hides it in ``record`` (``unless`` exemptions decided on ``record``)."""
        found: dict[str, CompiledFieldRule] = {}
        for rule in rules:
            if rule.read == "allow" or not any(name in record for name in rule.fields):
                continue
            if rule.unless is not None:
                unless, missing = interpolate(rule.unless, actor)
                try:
                    exempt = not missing and matches(unless, record, schema=self.schema, model=model)
                except MissingRelationError:
                    exempt = False
                if exempt:
                    continue
            for name in rule.fields:
                if name in record and (name not in found or rule.read == "hide"):
                    found[name] = rule  # several rules: hiding is stricter than masking
        return found

    def mask_fields(
        self, unreadable: Mapping[str, CompiledFieldRule], model: str, record: Mapping[str, Any]
    ) -> dict[str, Any]:
        """A copy of ``record`` with ``unreadable`` fields removed (``hide``) or masked (``mask``)."""
        out = dict(record)
        for name, rule in unreadable.items():
            if name not in out:
                continue
            if rule.read == "hide":
                del out[name]
            else:
                out[name] = mask_value(out[name], rule.mask, model=model, field=name, masker=self.masker)
        return out

    def read_restrictions(self, actor: Any, model: str, *, tenant: str | None = None) -> dict[str, CompiledFieldRule]:
        """Field → the rule that masks or hides it for ``actor``: such a field is never queried on.

        ``unless`` exemptions are per record, so they do not lift the restriction in queries.
        """
        found: dict[str, CompiledFieldRule] = {}
        for rule in self.field_rules(actor, model, tenant=tenant):
            if rule.read != "allow":
                for name in rule.fields:
                    # several rules: one that refuses is stricter than one that drops
                    if name not in found or (found[name].on_query == "drop" and rule.on_query == "deny"):
                        found[name] = rule
        return found

    def explain(self, actor: Any, model: str, action: Action | str, *, tenant: str | None = None) -> dict[str, Any]:
        """What applies to ``actor``: the denial, or the allow/deny rules and the row filter."""
        plan = self.plan(actor, model, action, tenant=tenant)
        return {
            "model": plan.model,
            "action": plan.action.value,
            "governed": plan.governed,
            "allowed": plan.allowed,
            "denial": None if plan.denial is None else {"policy": plan.denial.policy, "rule": plan.denial.rule},
            "allow_rules": [f"{r.policy}/{r.name}" for r, _ in plan.allows],
            "deny_rules": [f"{r.policy}/{r.name}" for r, _ in plan.denies],
            "filter": plan.filter,
            "field_rules": [f"{r.policy}/{r.name}" for r in self.field_rules(actor, model, tenant=tenant)],
        }

    # -- code-defined policies ---------------------------------------------------------------

    def define(self, model: str, name: str, *, description: str | None = None) -> PolicyBuilder:
        """Start (or replace) a policy in code: ``decider.define("Post", "posts").allow("read", ...)``."""
        from prisma_infra.policies.builder import PolicyBuilder

        return PolicyBuilder(self.registry, model, name, description=description)

    def bypass(self) -> contextlib.AbstractContextManager[None]:
        """``with infra.policies.bypass():`` runs the block without policies."""
        return bypass_policies()


#: Deprecated name of `PolicyDecider` ("engine" now means the database only).
PolicyEngine = PolicyDecider

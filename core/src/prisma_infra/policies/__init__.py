"""Access policies: allow/deny rules per model and action, row filters, field rules.

Define them in settings (``[[models.Post.policies]]``, see `prisma_infra.policies.spec`)
or in code (``infra.define_policy("Post", "posts").allow(...)``). The
`PolicyMiddleware` enforces them on every operation; ``infra.policies`` (the
`PolicyDecider`, published under `POLICIES`; ``PolicyEngine`` is its deprecated
name) answers ``check(actor, model, action, record)`` in memory with the same
decision the database makes with the pushed-down filter.
"""

from prisma_infra.policies.actor import ActorView, interpolate
from prisma_infra.policies.builder import PolicyBuilder
from prisma_infra.policies.decider import PolicyDecider, PolicyEngine, bypass_policies, policies_bypassed
from prisma_infra.policies.evaluator import FALSE_FILTER, MissingRelationError, evaluate, matches
from prisma_infra.policies.masking import mask_value, set_masker
from prisma_infra.policies.middleware import PolicyMiddleware
from prisma_infra.policies.registry import PolicyRegistry
from prisma_infra.policies.rules import (
    AccessDeniedError,
    AccessPlan,
    Decision,
    FieldReadDeniedError,
    FieldWriteDeniedError,
    Plan,
)
from prisma_infra.policies.service import POLICIES, PolicyReadAccess, policy_registry
from prisma_infra.policies.spec import ACTION_GROUPS, FieldRuleSpec, PolicySpec, RuleSpec, parse_policies
from prisma_infra.policies.where import include_for, merge_where, relations_needed

__all__ = [
    "ACTION_GROUPS",
    "FALSE_FILTER",
    "POLICIES",
    "AccessDeniedError",
    "AccessPlan",
    "ActorView",
    "Decision",
    "FieldReadDeniedError",
    "FieldRuleSpec",
    "FieldWriteDeniedError",
    "MissingRelationError",
    "Plan",
    "PolicyBuilder",
    "PolicyDecider",
    "PolicyEngine",
    "PolicyMiddleware",
    "PolicyReadAccess",
    "PolicyRegistry",
    "PolicySpec",
    "RuleSpec",
    "bypass_policies",
    "evaluate",
    "include_for",
    "interpolate",
    "mask_value",
    "matches",
    "merge_where",
    "parse_policies",
    "policies_bypassed",
    "policy_registry",
    "relations_needed",
    "set_masker",
]

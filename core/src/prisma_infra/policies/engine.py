"""Deprecated module: the policy decider is `prisma_infra.policies.decider` ("engine" means the database)."""

from prisma_infra.policies.decider import PolicyDecider, PolicyEngine, bypass_policies, policies_bypassed

__all__ = ["PolicyDecider", "PolicyEngine", "bypass_policies", "policies_bypassed"]

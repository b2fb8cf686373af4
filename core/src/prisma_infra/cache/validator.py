"""`Validators`: an opaque validator of a read (an HTTP ETag's material) from the cache's generations.

A read's entry is valid while the generation of each of its tags is the one the
entry was filled with (`prisma_infra.cache.generations`). The validator is a
digest of the read's keys, its tags and their *current* generations, so it changes
exactly when an invalidation would drop the entry — a write to the model or to a
related model the read includes, ``invalidate``/``clear``, a new runtime — and
never otherwise.

* In-process tiers only (`LocalDomain`): the process's counters, plus a random
  token of this runtime, so two processes (whose caches are separate) never
  hand out the same validator for different states.
* With a shared tier (`SharedDomain`): the counters are read from the store in
  one ``get_many``, not from the local copy the sync loop refreshes, so a write
  in any process changes the validator at once in every process. The values read
  are merged into the local copy (never lowering one): the read that follows the
  question cannot be answered from an in-process entry older than the validator.
  A missing counter is initialised (as the read path does), so a lost counter
  never brings an old validator back. Store unreachable, or a bump of this
  process not yet delivered: ``None``.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from prisma_infra.cache.generations import LocalDomain
from prisma_infra.cache.guard import StoreUnavailable
from prisma_infra.cache.keys import NoScope, digest
from prisma_infra.errors import PrismaInfraError
from prisma_infra.operation import READ_ACTIONS
from prisma_infra.ports.row_filters import ROW_FILTERS

if TYPE_CHECKING:
    from prisma_infra.cache.planner import Planner
    from prisma_infra.cache.rules import CachePlan
    from prisma_infra.operation import Operation
    from prisma_infra.stash import Services

__all__ = ["Validators", "fresh_generations"]


async def fresh_generations(plan: CachePlan) -> tuple[int, ...] | None:
    """The current generations of ``plan``'s tags, from the store itself when it has a shared tier.

    ``None`` when they cannot be known: the store is unreachable, or one of the tags
    has a bump of this process the store has not received yet.
    """
    domain = plan.rules.domain
    if isinstance(domain, LocalDomain):
        return domain.current(plan.tags)
    if domain.blocked(plan.tags):
        return None
    try:
        values = await domain.guard.call(domain.guard.store.get_many, list(plan.tag_keys))
        return await domain.initialise(plan.tags, domain.merge(plan.tags, values))
    except StoreUnavailable:
        return None


class Validators:
    """The validators of one runtime's cache (``CacheManager.validator``)."""

    def __init__(self, planner: Planner) -> None:
        self.planner = planner
        #: Distinguishes this runtime's in-process generations from any other process's.
        self.token = secrets.token_hex(8)

    def plan(self, operation: Operation, services: Services) -> CachePlan | None:
        """The plan of ``operation`` as the cache middleware sees it, or ``None`` when it is not cached.

        :param services: the runtime's services, whose `ROW_FILTERS` scope the read as the policies do.
        """
        planner = self.planner
        ctx = operation.context
        if not planner.enabled or ctx.transaction is not None or operation.action not in READ_ACTIONS:
            return None
        if planner.is_write(operation):  # a queryRaw that writes
            return None
        rules = planner.rules(operation.model)
        options = ctx.cache
        ttl, swr = rules.ttl, rules.swr
        if options is not None:
            if not options.enabled:
                return None
            ttl = rules.ttl if options.ttl is None else options.ttl
            swr = rules.swr if options.swr is None else options.swr
        if not rules.enabled or (ttl <= 0 and swr <= 0):
            return None
        access = services.get(ROW_FILTERS)
        if access is not None and operation.model is not None:
            try:  # the read as the policies middleware sends it on: its row filter can read more models
                operation, _ = access.scope_read(operation)
            except PrismaInfraError:  # denied: the read itself answers with the error
                return None
        try:
            return planner.plan(operation, rules, options)
        except (NoScope, TypeError):
            return None

    async def validator(self, operation: Operation, services: Services) -> str | None:
        """See `prisma_infra.ports.caching.CacheValidator.validator`."""
        plan = self.plan(operation, services)
        if plan is None:
            return None
        generations = await fresh_generations(plan)
        if generations is None:
            return None
        local = isinstance(plan.rules.domain, LocalDomain)
        return digest((self.token if local else None, plan.keys, plan.tags, generations))

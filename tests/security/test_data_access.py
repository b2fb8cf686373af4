"""The data-access functions features use (`prisma_infra.data`) run through the same policies as the facade.

A feature handed the kernel reads and writes with ``repository(kernel, model)``,
``transaction(kernel)`` and ``batch(kernel, operations)``; the attacker acting
through them sees and changes nothing of globex.
"""

from __future__ import annotations

import pytest
from prisma_infra.data.repository import repositories, repository
from prisma_infra.data.transaction import batch, transaction
from prisma_infra.infrastructure import Infrastructure

from tests.security.policy_set import ATTACKER
from tests.security.security_support import (
    ACME_POSTS,
    assert_refused,
    assert_refused_or_not_found,
    attempt,
    ids,
    snapshot,
)

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]


async def test_data_repository_is_scoped(infra: Infrastructure) -> None:
    before = await snapshot(infra)
    with infra.acting_as(ATTACKER):
        posts = repository(infra, "post")
        assert posts is repositories(infra).create("Post") is infra.repository("post")
        assert ids(await posts.find_many()) == ACME_POSTS
        assert await posts.find_many(where={"tenantId": "globex"}) == []
        write = await attempt(lambda: posts.update(20, {"title": "pwned"}))
    assert_refused_or_not_found(write)
    assert await snapshot(infra) == before


async def test_data_transaction_and_batch_are_scoped(infra: Infrastructure) -> None:
    before = await snapshot(infra)
    with infra.acting_as(ATTACKER):
        async with transaction(infra) as tx:
            assert ids(await tx.repository("post").find_many()) == ACME_POSTS
            assert await tx.query("post").where({"tenantId": "globex"}).all() == []
        posts = repository(infra, "post")
        read = await batch(infra, [posts.op.find_many(where={"tenantId": "globex"})])
        move = await attempt(lambda: batch(infra, [
            posts.op.update(where={"id": 10}, data={"tenant": {"connect": {"id": "globex"}}})]))
    assert read == [[]]
    assert_refused(move)
    assert await snapshot(infra) == before

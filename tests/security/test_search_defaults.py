"""`search()` without ``fields`` searches only what the caller may read (real SQLite and PostgreSQL).

User's default search fields are its String fields: ``email`` (masked for non-admins) and
``cardNumber`` (hidden) among them. A governed actor's plain search must not be refused for
them, nor match on them; an admin's searches them all.
"""

from __future__ import annotations

import pytest
from prisma_infra.infrastructure import Infrastructure

from tests.security.policy_set import ADMIN, ATTACKER
from tests.security.security_support import assert_field_refused, assert_no_secret, attempt, ids

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]


async def test_default_fields_skip_what_the_actor_cannot_read(infra: Infrastructure) -> None:
    users = infra.repository("user")
    with infra.acting_as(ATTACKER):
        by_name = await users.search("alice")
        by_card = await users.search("4111")  # only cardNumber holds it: hidden, so not searched
        by_domain = await users.search("acme.test")  # only email holds it: masked, so not searched
        explicit = await attempt(lambda: users.search("4111", fields=["cardNumber"]))
        where = users.search_where("alice")
    assert ids(by_name) == {1}
    assert_no_secret(by_name)
    assert by_card == [] and by_domain == []
    assert_field_refused(explicit, "cardNumber")  # naming it is still refused by the policies
    assert where is not None and "cardNumber" not in repr(where) and "email" not in repr(where)
    with infra.acting_as(ADMIN):
        assert ids(await users.search("4111")) == {1, 2}
        assert ids(await users.search("acme.test")) == {1, 2}

"""``%``, ``_`` and ``\\`` in contains/startsWith/endsWith and search match literally on every database.

The real Prisma engine on PostgreSQL, MariaDB and SQLite; each result is also
checked against the in-memory evaluator (`prisma_infra.policies.evaluator`),
which compares the text as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.policies import matches

from tests.integration.it_support import Database

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

#: Names spelling the metacharacters next to what a wildcard would also match.
NAMES = ["100%", "1000", "a_b", "axb", "back\\slash", "back/slash", "\\%", "50%_off", "50x_off", "x\\_y", "ab", "A%B"]
PATTERNS = ["%", "_", "\\", "\\%", "%_", "0%", "a_", "_b", "\\_", "%b", "a%"]
LITERAL: dict[str, Callable[[str, str], bool]] = {
    "contains": lambda text, part: part in text,
    "startsWith": str.startswith,
    "endsWith": str.endswith,
}


async def seed(infra: Infrastructure) -> list[dict[str, Any]]:
    users = infra.repository("user")
    for i, name in enumerate(NAMES):
        await users.create({"email": f"u{i}@x.io", "name": name, "posts": {"create": [{"title": f"t-{name}"}]}})
    rows: list[dict[str, Any]] = await users.find_many(order_by="id")
    return rows


def names(rows: list[dict[str, Any]]) -> list[str]:
    return sorted(r["name"] for r in rows)


@pytest.mark.parametrize("op", ["contains", "startsWith", "endsWith"])
async def test_patterns_match_literally_and_agree_with_the_evaluator(
    infra: Infrastructure, db: Database, op: str
) -> None:
    rows = await seed(infra)
    users = infra.repository("user")
    for pattern in PATTERNS:
        where = {"name": {op: pattern}}
        found = names(await users.find_many(where))
        # Case as the database compares it (MariaDB's collation and SQLite's LIKE ignore ASCII case).
        expected = names([r for r in rows if matches(where, r, schema=infra.schema, model="User")])
        assert found == expected, (op, pattern)
        fold = db.provider != "postgresql"
        test = LITERAL[op]
        literal = [n for n in NAMES if (test(n.lower(), pattern.lower()) if fold else test(n, pattern))]
        assert found == sorted(literal), (op, pattern)
        negated = names(await users.find_many({"name": {"not": {op: pattern}}}))
        assert negated == sorted(set(NAMES) - set(found)), (op, pattern)
    assert names(await users.find_many({"name": {"contains": "%"}})) == sorted(["100%", "\\%", "50%_off", "A%B"])


async def test_insensitive_mode(infra: Infrastructure, db: Database) -> None:
    """``mode: insensitive`` (ILIKE) on PostgreSQL; MariaDB's collation and SQLite's LIKE ignore case anyway."""
    await seed(infra)
    users = infra.repository("user")
    mode = {"mode": "insensitive"} if db.provider == "postgresql" else {}
    assert names(await users.find_many({"name": {"contains": "%b", **mode}})) == ["A%B"]
    assert names(await users.find_many({"name": {"startsWith": "a_", **mode}})) == ["a_b"]
    assert names(await users.find_many({"name": {"endsWith": "\\%", **mode}})) == ["\\%"]
    assert names(await users.find_many({"name": {"startsWith": "a%", **mode}})) == ["A%B"]


async def test_relation_filters_includes_and_counts(infra: Infrastructure) -> None:
    await seed(infra)
    users = infra.repository("user")
    some = await users.find_many({"posts": {"some": {"title": {"contains": "_"}}}})
    assert names(some) == sorted(["a_b", "50%_off", "50x_off", "x\\_y"])
    none = await users.find_many({"posts": {"none": {"title": {"endsWith": "%"}}}})
    assert "100%" not in names(none) and "1000" in names(none)
    posts = infra.repository("post")
    by_author = await posts.find_many({"author": {"is": {"name": {"startsWith": "\\"}}}}, include=["author"])
    assert sorted(p["author"]["name"] for p in by_author) == ["\\%"]
    included = await users.find_many(
        {"name": {"startsWith": "50"}},
        include={
            "posts": {"where": {"title": {"contains": "%_"}}},
            "_count": {"select": {"posts": {"where": {"title": {"contains": "%_"}}}}},
        },
        order_by="name",
    )
    assert [(u["name"], len(u["posts"]), u["_count"]["posts"]) for u in included] == [
        ("50%_off", 1, 1),
        ("50x_off", 0, 0),
    ]


async def test_nested_write_wheres(infra: Infrastructure) -> None:
    rows = await seed(infra)
    users = infra.repository("user")
    first = rows[0]  # "100%"
    await users.update(first["id"], {"posts": {"create": [{"title": "x%y"}, {"title": "xzy"}]}})
    await users.update(
        first["id"], {"posts": {"updateMany": {"where": {"title": {"contains": "x%"}}, "data": {"views": 7}}}}
    )
    await users.update(first["id"], {"posts": {"deleteMany": {"title": {"startsWith": "_"}}}})  # none starts with _
    posts = await infra.repository("post").find_many({"authorId": first["id"]}, order_by="title")
    assert [(p["title"], p["views"]) for p in posts] == [("t-100%", 0), ("x%y", 7), ("xzy", 0)]


async def test_search_is_literal(infra: Infrastructure) -> None:
    await seed(infra)
    users = infra.repository("user")
    assert names(await users.search("%")) == sorted(["100%", "\\%", "50%_off", "A%B"])
    assert names(await users.search("_")) == sorted(["a_b", "50%_off", "50x_off", "x\\_y"])
    assert names(await users.search("\\")) == sorted(["back\\slash", "\\%", "x\\_y"])
    assert names(await users.search("%B")) == sorted(["A%B"])
    assert await users.search("%_%") == []


async def test_raw_sql_keeps_its_own_like(infra: Infrastructure, db: Database) -> None:
    """Raw SQL is sent as written: its LIKE patterns keep their wildcards (and SQLite no escape)."""
    await seed(infra)
    table = '"User"' if db.provider == "postgresql" else "User"
    mark = "$1" if db.provider == "postgresql" else "?"
    rows = await infra.call(
        None, "queryRaw", {"sql": f"SELECT name FROM {table} WHERE name LIKE {mark}", "params": ["back_slash"]}
    )
    assert sorted(r["name"] for r in rows) == sorted(["back\\slash", "back/slash"])
    if db.provider == "sqlite":  # no ESCAPE added: the backslash is an ordinary character
        rows = await infra.call(
            None, "queryRaw", {"sql": "SELECT name FROM User WHERE name LIKE (? || ? || ?)", "params": ["", "\\%", ""]}
        )
        assert sorted(r["name"] for r in rows) == ["\\%"]


async def test_batches_and_transactions(infra: Infrastructure) -> None:
    """``engine.execute_batch`` walks every operation; SQLite's transactions get ESCAPE too."""
    await seed(infra)
    users = infra.repository("user")
    counted = await infra.batch(
        [users.op.count(where={"name": {"contains": "%"}}), users.op.find_many(where={"name": {"endsWith": "_y"}})]
    )
    assert counted[0] == 4 and names(counted[1]) == ["x\\_y"]
    async with infra.transaction() as tx:
        inside = tx.repository("user")
        assert names(await inside.find_many({"name": {"startsWith": "\\"}})) == ["\\%"]
        assert await inside.update_many({"name": {"contains": "0%"}}, {"city": "pct"}) == {"count": 2}
        assert names(await inside.search("%_")) == ["50%_off"]
        batched = await tx.batch(
            [inside.op.count(where={"city": "pct"}), inside.op.count(where={"name": {"contains": "_"}})]
        )
        assert batched == [2, 4]

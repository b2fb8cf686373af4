"""Cache keys (stable, order independent, scoped) and the raw SQL table parser."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from prisma_infra.cache.keys import NoScope, actor_id, digest, tag_key
from prisma_infra.cache.sql import read_tables, written_tables


def test_digest_ignores_dict_order_but_not_values() -> None:
    a = digest(("Post", "findMany", {"where": {"a": 1, "b": [1, 2]}, "take": 2}))
    b = digest(("Post", "findMany", {"take": 2, "where": {"b": [1, 2], "a": 1}}))
    assert a == b
    assert a != digest(("Post", "findMany", {"take": 2, "where": {"b": [2, 1], "a": 1}}))


def test_digest_distinguishes_types() -> None:
    assert digest(({"v": "1.5"},)) != digest(({"v": Decimal("1.5")},))
    when = datetime(2024, 1, 1, tzinfo=UTC)
    assert digest(({"v": when},)) != digest(({"v": when.isoformat()},))
    assert digest(({"v": b"ab"},)) != digest(({"v": "ab"},))
    assert digest(({"v": 2**70},)) == digest(({"v": 2**70},))


def test_actor_identity() -> None:
    class User:
        id = 42

    assert actor_id(None) is None
    assert actor_id("alice") == "alice"
    assert actor_id({"id": 7, "role": "x"}) == 7
    assert actor_id(User()) == 42
    with pytest.raises(NoScope):
        actor_id(object())


def test_tag_keys_are_memcached_safe() -> None:
    assert tag_key("pi:", "m:User") == "pi:g:m:User"
    unsafe = tag_key("pi:", "t:user 12\n")
    assert " " not in unsafe and "\n" not in unsafe and len(unsafe) < 250
    assert tag_key("pi:", "t:" + "x" * 500) != tag_key("pi:", "t:" + "x" * 499)


@pytest.mark.parametrize(
    ("sql", "tables"),
    [
        ('INSERT INTO "User" (email) VALUES ($1)', ["User"]),
        ("insert or replace into users values (1)", ["users"]),
        ("UPDATE public.posts SET title = 'DELETE FROM secret' WHERE id = 1", ["posts"]),
        ("DELETE FROM `Comment` WHERE id IN (SELECT id FROM x)", ["Comment"]),
        ("TRUNCATE TABLE a, b RESTART IDENTITY", ["a", "b"]),
        ("ALTER TABLE IF EXISTS only t ADD COLUMN c int", ["t"]),
        ("DROP TABLE IF EXISTS [Old]", ["Old"]),
        ("-- UPDATE commented\nSELECT 1", []),
        ("MERGE INTO target USING src ON (1=1) WHEN MATCHED THEN DELETE", ["target"]),
    ],
)
def test_written_tables(sql: str, tables: list[str]) -> None:
    assert written_tables(sql) == tables


def test_read_tables() -> None:
    tables, _ = read_tables('SELECT * FROM users u, public."Post" AS p JOIN comments c ON c.id = p.id WHERE 1=1')
    assert tables == ["users", "Post", "comments"]
    tables, ctes = read_tables("WITH recent AS (SELECT * FROM posts) SELECT * FROM recent")
    assert tables == ["posts"] and ctes == {"recent"}

"""Cache keys (stable, order independent, scoped) and the raw SQL table parser."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from prisma_infra.cache.keys import NoScope, actor_id, digest, tag_key
from prisma_infra.cache.sql import analyze, mask_sql, read_tables, written_tables


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


@pytest.mark.parametrize(
    ("sql", "written"),
    [
        ('UPDATE "User" SET name = $1 WHERE id = $2 RETURNING *', ["User"]),
        ("INSERT INTO posts (title) VALUES ('x') RETURNING id", ["posts"]),
        ('DELETE FROM "Post" WHERE id = 1 RETURNING *', ["Post"]),
        ('WITH gone AS (DELETE FROM "Post" WHERE id = 1 RETURNING *) SELECT * FROM gone', ["Post"]),
        ('WITH x AS (SELECT id FROM "User") UPDATE "Post" SET views = 0 FROM x WHERE "Post".id = x.id', ["Post"]),
        ("INSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO UPDATE SET a = excluded.a", ["t"]),
        ("EXPLAIN ANALYZE DELETE FROM users", ["users"]),
        ("SELECT a INTO backup FROM users", ["backup"]),
        ("UPDATE a JOIN b ON a.id = b.a_id SET a.x = b.x", ["a", "b"]),
        ("DELETE t1 FROM t1 JOIN t2 ON t1.id = t2.id", ["t1"]),
        ("SELECT 1; UPDATE users SET x = 1", ["users"]),
    ],
)
def test_writes_anywhere_in_the_text_are_found(sql: str, written: list[str]) -> None:
    found = analyze(sql)
    assert found.writes and list(found.written) == written and not found.unclassified


@pytest.mark.parametrize(
    "sql",
    [
        'SELECT * FROM "User" FOR UPDATE',
        "SELECT replace(name, 'a', 'b'), truncate(price, 2) FROM users",
        "SELECT 'UPDATE users SET x = 1; DELETE FROM users' AS s FROM t",
        'SELECT "delete" FROM "update"',
        "SELECT 1 -- ; DELETE FROM users",
        "SELECT $x$ ; DROP TABLE users $x$",
        "BEGIN; SELECT 1; COMMIT",
        "WITH recent AS (SELECT * FROM posts) SELECT * FROM recent",
    ],
)
def test_reads_stay_reads(sql: str) -> None:
    assert not analyze(sql).writes


def test_unclassified_sql_is_a_write_of_what_it_names() -> None:
    for sql in ("CALL refresh_users()", "DO $$ BEGIN UPDATE users SET x = 1; END $$", "CREATE INDEX i ON users (x)"):
        found = analyze(sql)
        assert found.writes and found.unclassified
    assert "users" in analyze("CREATE INDEX i ON users (email)").names


def test_the_dialect_decides_what_hides_sql() -> None:
    # PostgreSQL: a backslash does not escape; the UPDATE runs. MySQL: it does; the whole is one string.
    hidden = "SELECT 'a\\' ; UPDATE users SET x = 1; --'"
    assert analyze(hidden, "postgresql").written == ("users",)
    assert not analyze(hidden, "mysql").writes
    # MySQL: "--1" is minus minus one, and /*! ... */ bodies run.
    assert analyze("SELECT 1 --1; DELETE FROM users", "mysql").written == ("users",)
    assert analyze("SELECT 1 /*! ; DELETE FROM users */", "mysql").written == ("users",)
    assert not analyze("SELECT 1 /*! ; DELETE FROM users */", "postgresql").writes


def test_mask_sql_keeps_the_shape_and_drops_every_literal() -> None:
    sql = (
        "SELECT * FROM u WHERE email = 'alice@example.com' AND card = 4242424242424242 /* bob */ "
        "AND x = $1 AND d = $t$secret$t$ AND e = E'it\\'s' AND n = N'Zed'"
    )
    masked = mask_sql(sql)
    assert masked == "SELECT * FROM u WHERE email = ? AND card = ?  AND x = $1 AND d = ? AND e = ? AND n = ?"
    assert mask_sql("SELECT 'it\\'s Zed' FROM t", "mysql") == "SELECT ? FROM t"
    assert mask_sql("SELECT 'abc", limit=10) == "SELECT ?"
    assert mask_sql("SELECT 'x' || name FROM customers", limit=12) == "SELECT ? || …"

"""db push of schema changes on MySQL/MariaDB: what is added, what needs ``--force``, keys rebuilt around changes."""

from __future__ import annotations

from pathlib import Path

import pytest
from prisma_infra_prisma.mysql_diff import introspect
from prisma_infra_prisma.mysql_types import norm_type
from prisma_infra_prisma.schema_sync import DataLossError, SchemaSyncError, db_push

from plugins.prisma.tests.fixtures.sync import sync_dbs as dbs
from plugins.prisma.tests.fixtures.sync.mysql_schemas import render, schema_file


@pytest.mark.integration
async def test_added_field_is_pushed_removed_field_needs_force(tmp_path: Path) -> None:
    url = dbs.fresh_url("mysql", tmp_path)
    folder = tmp_path / "prisma"
    schema = schema_file(folder)
    await db_push(dbs.resolved_for("mysql", url, schema))
    dbs.execute("mysql", url, "INSERT INTO users (email, updatedAt, uid, cid) VALUES ('a@x.io', NOW(3), 'u', 'c')")

    text = schema.read_text()
    motto = '  motto     String   @default("hi") @db.VarChar(40)\n'
    schema.write_text(text.replace("  score     Float", motto + "  score     Float"))
    added = await db_push(dbs.resolved_for("mysql", url, schema))
    assert added.executed_steps == 1 and "motto" in dbs.columns("mysql", url, "users")
    assert dbs.sql("mysql", url, "SELECT motto FROM users") == [{"motto": "hi"}]

    schema.write_text(text.replace("  score     Float     @default(1.5)\n", ""))
    resolved = dbs.resolved_for("mysql", url, schema)
    with pytest.raises(DataLossError) as refused:
        await db_push(resolved)
    message = str(refused.value)
    assert "`score`" in message and "`users`" in message and "`motto`" in message
    assert "a@x.io" not in message  # counts, never values
    assert {"score", "motto"} <= set(dbs.columns("mysql", url, "users"))  # nothing changed

    forced = await db_push(resolved, force=True)
    assert forced.warnings and not {"score", "motto"} & set(dbs.columns("mysql", url, "users"))
    assert (await db_push(resolved)).executed_steps == 0


@pytest.mark.integration
async def test_narrowing_a_type_needs_force_and_required_column_on_rows_is_refused(tmp_path: Path) -> None:
    url = dbs.fresh_url("mysql", tmp_path)
    schema = schema_file(tmp_path)
    text = schema.read_text()
    await db_push(dbs.resolved_for("mysql", url, schema))
    dbs.execute("mysql", url, "INSERT INTO Tag (name) VALUES ('t')")

    schema.write_text(text.replace("name  String @unique", "name  String @unique @db.VarChar(500)"))
    assert (await db_push(dbs.resolved_for("mysql", url, schema))).executed_steps == 1  # widening: no question

    schema.write_text(text.replace("name  String @unique", "name  String @unique @db.VarChar(5)"))
    with pytest.raises(DataLossError, match=r"`name` on the `Tag` table.*cast from `varchar\(500\)`"):
        await db_push(dbs.resolved_for("mysql", url, schema))

    schema.write_text(text.replace("name  String @unique", "name  String @unique\n  label String"))
    with pytest.raises(SchemaSyncError, match=r"required column `label` to the `Tag` table.*1 rows") as blocked:
        await db_push(dbs.resolved_for("mysql", url, schema), force=True)
    assert not isinstance(blocked.value, DataLossError) and blocked.value.unexecutable


@pytest.mark.integration
async def test_dropping_a_model_with_rows_needs_force(tmp_path: Path) -> None:
    url = dbs.fresh_url("mysql", tmp_path)
    schema = schema_file(tmp_path)
    text = schema.read_text()
    await db_push(dbs.resolved_for("mysql", url, schema))
    dbs.execute("mysql", url, "INSERT INTO Tag (name) VALUES ('t')")
    start, end = text.index("model Tag {"), text.index("model Membership")
    without = text[:start] + text[end:]
    schema.write_text(without.replace("  tags       Tag[]\n", "").replace("  tags      Tag[]\n", ""))

    with pytest.raises(DataLossError, match=r"drop the `Tag` table, which is not empty \(1 rows\)"):
        await db_push(dbs.resolved_for("mysql", url, schema))
    await db_push(dbs.resolved_for("mysql", url, schema), force=True)
    assert not {"Tag", "_PostToTag", "_TagToUser"} & dbs.tables("mysql", url)


@pytest.mark.integration
async def test_schema_changes_are_pushed_then_push_is_a_no_op(tmp_path: Path) -> None:
    url = dbs.fresh_url("mysql", tmp_path)
    schema = schema_file(tmp_path)
    text = schema.read_text()
    await db_push(dbs.resolved_for("mysql", url, schema))
    dbs.execute("mysql", url, "INSERT INTO users (email, updatedAt, uid, cid) VALUES ('a@x.io', NOW(3), 'u', 'c')")

    async def push(new_text: str, **options: bool) -> int:
        schema.write_text(new_text)
        resolved = dbs.resolved_for("mysql", url, schema)
        steps = (await db_push(resolved, **options)).executed_steps
        assert (await db_push(resolved)).executed_steps == 0, new_text  # idempotent after each change
        return steps

    with_guest = text.replace("  MEMBER  @map", "  GUEST\n  MEMBER  @map")
    assert await push(with_guest) == 1  # an enum value more: no data at risk
    assert "enum('ADMIN','GUEST','member')" in introspect(url)["users"].column("role").type  # type: ignore[union-attr]
    with pytest.raises(DataLossError, match=r"values \[GUEST\] on the column `role` of the `users` table"):
        await push(text)
    await push(text, force=True)

    indexed = text.replace('  @@map("users")', '  @@index([nick, score])\n  @@unique([cid])\n  @@map("users")')
    with pytest.raises(DataLossError, match=r"unique constraint covering the columns \[cid\] on the table `users`"):
        await push(indexed)
    await push(indexed, force=True)
    assert {"users_nick_name_score_idx", "users_cid_key"} <= {i.name for i in introspect(url)["users"].indexes}

    cascading = indexed.replace('map: "post_reviewer")', 'map: "post_reviewer", onDelete: Cascade)')
    assert await push(cascading) == 2  # the key is dropped and added again
    (key,) = (k for k in introspect(url)["Post"].foreign_keys if k.name == "post_reviewer")
    assert key.on_delete == "CASCADE"

    schema.write_text(cascading.replace('provider = "mysql"', 'provider = "mysql"\n  relationMode = "prisma"'))
    await push(schema.read_text())
    live = introspect(url)
    assert all(not t.foreign_keys for t in live.values())
    assert "post_reviewer" not in {i.name for i in live["Post"].indexes}  # MySQL's index for the key went with it


EDGE_MODELS = """
model Edge {
  id       Int       @id @default(autoincrement()) @db.UnsignedInt
  at       DateTime  @default("2020-01-02T04:04:05.678+01:00")
  day      DateTime  @default("2020-01-02T00:00:00Z") @db.Date
  t0       DateTime  @default(now()) @db.Timestamp(0)
  q        String    @default("it's \\"q\\"")
  g        String    @default(dbgenerated("(uuid())")) @db.VarChar(36)
  tiny     Int       @default(-3) @db.TinyInt
  flag     Boolean   @default(false) @db.TinyInt
  bits     Bytes?    @db.VarBinary(16)
  y        Int?      @db.Year
  ti       DateTime? @db.Time(2)
  f        Float     @default(0) @db.Float
  spot     Unsupported("point")?
  wide     Unsupported("mediumint unsigned")? @map("wide_col")
  friends  Edge[]    @relation("friends")
  friendOf Edge[]    @relation("friends")
}
"""


@pytest.mark.integration
async def test_literal_defaults_native_types_and_self_many_to_many(tmp_path: Path) -> None:
    schema = tmp_path / "schema.prisma"
    schema.write_text('datasource db {\n  provider = "mysql"\n}\n' + EDGE_MODELS)
    script = render(schema)
    for line in (
        "`id` INTEGER UNSIGNED NOT NULL AUTO_INCREMENT,",
        "`at` DATETIME(3) NOT NULL DEFAULT '2020-01-02 03:04:05.678',",  # UTC, no offset: MariaDB takes it
        "`day` DATE NOT NULL DEFAULT '2020-01-02',",
        "`t0` TIMESTAMP(0) NOT NULL DEFAULT CURRENT_TIMESTAMP(0),",
        "`q` VARCHAR(191) NOT NULL DEFAULT 'it''s \"q\"',",
        "`g` VARCHAR(36) NOT NULL DEFAULT (uuid()),",
        "`flag` BOOLEAN NOT NULL DEFAULT false,",
        "`tiny` TINYINT NOT NULL DEFAULT -3,",
        "`bits` VARBINARY(16) NULL,",
        "`y` YEAR NULL,",
        "`ti` TIME(2) NULL,",
        # Unsupported(...) fields are not in the DMMF: their columns come from the schema text.
        "`f` FLOAT NOT NULL DEFAULT 0,\n    `spot` point NULL,\n    `wide_col` mediumint unsigned NULL,",
        "CREATE TABLE `_friends` (\n    `A` INTEGER UNSIGNED NOT NULL,\n    `B` INTEGER UNSIGNED NOT NULL,",
        "FOREIGN KEY (`B`) REFERENCES `Edge`(`id`) ON DELETE CASCADE ON UPDATE CASCADE;",
    ):
        assert line in script, line
    url = dbs.fresh_url("mysql", tmp_path)
    resolved = dbs.resolved_for("mysql", url, schema)
    assert (await db_push(resolved)).executed_steps == 4  # two tables, two keys
    assert (await db_push(resolved)).executed_steps == 0  # the server's spelling of every default is understood
    dbs.execute("mysql", url, "INSERT INTO Edge () VALUES ()")
    (row,) = dbs.sql("mysql", url, "SELECT at, q, LENGTH(g) AS g FROM Edge")
    assert row == {"at": "2020-01-02 03:04:05.678", "q": 'it\'s "q"', "g": 36}


@pytest.mark.integration
async def test_keys_are_rebuilt_around_changed_columns_and_dropped_indexes(tmp_path: Path) -> None:
    """MySQL refuses to modify a key's column or drop the index serving a key: the key is dropped and added again."""
    url = dbs.fresh_url("mysql", tmp_path)
    schema = schema_file(tmp_path)
    text = schema.read_text()
    await db_push(dbs.resolved_for("mysql", url, schema))
    dbs.execute(
        "mysql",
        url,
        "INSERT INTO users (id, email, updatedAt, uid, cid) VALUES (7, 'a@x.io', NOW(3), 'u', 'c');"
        "INSERT INTO Post (id, post_title, authorId) VALUES ('p', 't', 7)",
    )
    wider = (
        text.replace(
            "  id        Int       @id @default(autoincrement())", "  id        BigInt    @id @default(autoincrement())"
        )
        .replace("  authorId   Int\n", "  authorId   BigInt\n")
        .replace("  reviewerId Int?", "  reviewerId BigInt?")
        .replace("  userId Int\n", "  userId BigInt\n")
        .replace("  @@unique([authorId, title])\n", "")  # the index serving Post_authorId_fkey
    )
    schema.write_text(wider)
    resolved = dbs.resolved_for("mysql", url, schema)
    assert (await db_push(resolved)).executed_steps > 0  # widening ids: no data-loss question
    assert (await db_push(resolved)).executed_steps == 0
    live = introspect(url)
    assert norm_type(live["_TagToUser"].column("B").type) == "bigint"  # type: ignore[union-attr]
    assert {k.name for k in live["Post"].foreign_keys} == {"Post_authorId_fkey", "post_reviewer"}
    assert "Post_authorId_post_title_key" not in {i.name for i in live["Post"].indexes}
    assert dbs.sql("mysql", url, "SELECT authorId FROM Post") == [{"authorId": 7}]


@pytest.mark.integration
async def test_changing_a_primary_key_over_rows_needs_force(tmp_path: Path) -> None:
    url = dbs.fresh_url("mysql", tmp_path)
    schema = schema_file(tmp_path)
    text = schema.read_text()
    await db_push(dbs.resolved_for("mysql", url, schema))
    dbs.execute(
        "mysql", url, "INSERT INTO users (id, email, updatedAt, uid, cid) VALUES (1, 'a@x.io', NOW(3), 'u', 'c')"
    )
    dbs.execute("mysql", url, "INSERT INTO Membership (userId, tagId) VALUES (1, 2)")
    schema.write_text(text.replace("@@id([userId, tagId])", "@@id([userId, tagId, level])"))
    resolved = dbs.resolved_for("mysql", url, schema)
    with pytest.raises(DataLossError, match="primary key for the `Membership` table will be changed"):
        await db_push(resolved)
    await db_push(resolved, force=True)
    assert [c.name for c in introspect(url)["Membership"].primary_key] == ["userId", "tagId", "level"]
    assert (await db_push(resolved)).executed_steps == 0

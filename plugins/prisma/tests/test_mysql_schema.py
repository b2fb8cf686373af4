"""db push and migrate create for MySQL/MariaDB: tables from the DMMF, diffed against real MariaDB."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "sync"))
import sync_dbs as dbs
from prisma_infra_prisma.dmmf import load_datamodel
from prisma_infra_prisma.migrate import create_migration, migrate_deploy
from prisma_infra_prisma.mysql_ddl import render_script, schema_tables
from prisma_infra_prisma.mysql_diff import introspect, norm_type
from prisma_infra_prisma.schema_sync import DataLossError, SchemaSyncError, db_push, diff_script

REPO = Path(__file__).resolve().parents[3]
IT_SCHEMA = REPO / "tests" / "integration" / "schema" / "mysql"


def _schema(folder: Path, models: str = "mysql_models.prisma", relation_mode: str | None = None) -> Path:
    path = dbs.write_schema(folder, "mysql", models)
    if relation_mode:
        text = path.read_text().replace('provider = "mysql"', f'provider = "mysql"\n  relationMode = "{relation_mode}"')
        path.write_text(text)
    return path


def _render(schema: Path, **options: Any) -> str:
    tables = schema_tables(load_datamodel(schema, cache=False), sources=[schema.read_text()], **options)
    return render_script(tables)


def _shape(url: str) -> dict[str, Any]:
    """Tables as the server reports them, comparable across databases."""
    return {
        name: (
            [(c.name, norm_type(c.type), c.not_null, c.default, c.auto_increment) for c in t.columns],
            t.primary_key,
            sorted(t.indexes, key=lambda i: i.name),
            sorted(t.foreign_keys, key=lambda k: k.name),
        )
        for name, t in introspect(url).items()
        if name != "_prisma_migrations"
    }


# --- rendering (Prisma's DDL, no database) ----------------------------------------------


def test_render_matches_prismas_migration_for_the_integration_schema() -> None:
    """The integration suite's 0001_init was written as `prisma migrate diff --from-empty` writes it."""
    expected = (IT_SCHEMA / "migrations" / "0001_init" / "migration.sql").read_text()
    expected = expected[expected.index("-- CreateTable") :]
    assert _render(IT_SCHEMA / "schema.prisma") == expected


def test_render_types_defaults_and_names(tmp_path: Path) -> None:
    script = _render(_schema(tmp_path))
    for line in (
        "`email` VARCHAR(200) NOT NULL,",
        "`bio` TEXT NULL,",
        "`nick_name` VARCHAR(191) NOT NULL DEFAULT 'new',",
        "`role` ENUM('ADMIN', 'member') NOT NULL DEFAULT 'member',",
        "`balance` DECIMAL(12, 2) NOT NULL DEFAULT 0,",
        "`ratio` DECIMAL(65, 30) NULL,",
        "`big` BIGINT NOT NULL DEFAULT 5,",
        "`score` DOUBLE NOT NULL DEFAULT 1.5,",
        "`active` BOOLEAN NOT NULL DEFAULT true,",
        "`meta` JSON NULL,",
        "`avatar` LONGBLOB NULL,",
        "`born` DATE NULL,",
        "`createdAt` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),",
        "`updatedAt` DATETIME(3) NOT NULL,",
        "`uid` VARCHAR(191) NOT NULL,",  # uuid() and cuid() are made by the client
        "`cid` VARCHAR(191) NOT NULL,",
        "`id` CHAR(36) NOT NULL,",
        "`level` SMALLINT NOT NULL DEFAULT 1,",
        "UNIQUE INDEX `users_email_key`(`email`),",
        "INDEX `users_bio_idx`(`bio`(10)),",
        "FULLTEXT INDEX `users_email_bio_idx`(`email`, `bio`),",
        "INDEX `title_ix`(`post_title`),",
        "UNIQUE INDEX `Post_authorId_post_title_key`(`authorId`, `post_title`),",
        "INDEX `Membership_tagId_idx`(`tagId` DESC),",
        "PRIMARY KEY (`userId`, `tagId`)",
        "UNIQUE INDEX `_PostToTag_AB_unique`(`A`, `B`),",
        "INDEX `_TagToUser_B_index`(`B`)",
        ") DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;",
    ):
        assert line in script, line
    assert "CREATE TABLE `_PostToTag` (\n    `A` CHAR(36) NOT NULL,\n    `B` INTEGER NOT NULL," in script
    for key in (
        "ALTER TABLE `Post` ADD CONSTRAINT `Post_authorId_fkey` FOREIGN KEY (`authorId`) REFERENCES `users`(`id`) "
        "ON DELETE CASCADE ON UPDATE CASCADE;",
        "ALTER TABLE `Post` ADD CONSTRAINT `post_reviewer` FOREIGN KEY (`reviewerId`) REFERENCES `users`(`id`) "
        "ON DELETE SET NULL ON UPDATE CASCADE;",  # optional relation: Prisma's default SetNull
        "ALTER TABLE `Membership` ADD CONSTRAINT `Membership_userId_fkey` FOREIGN KEY (`userId`) "
        "REFERENCES `users`(`id`) ON DELETE NO ACTION ON UPDATE RESTRICT;",
        "ALTER TABLE `_TagToUser` ADD CONSTRAINT `_TagToUser_A_fkey` FOREIGN KEY (`A`) REFERENCES `Tag`(`id`) "
        "ON DELETE CASCADE ON UPDATE CASCADE;",
        "ALTER TABLE `_TagToUser` ADD CONSTRAINT `_TagToUser_B_fkey` FOREIGN KEY (`B`) REFERENCES `users`(`id`) "
        "ON DELETE CASCADE ON UPDATE CASCADE;",
    ):
        assert key in script, key


def test_relation_mode_prisma_makes_no_foreign_keys(tmp_path: Path) -> None:
    script = _render(_schema(tmp_path, relation_mode="prisma"), relation_mode="prisma")
    assert "FOREIGN KEY" not in script and "-- AddForeignKey" not in script
    assert "UNIQUE INDEX `_PostToTag_AB_unique`(`A`, `B`)" in script and "INDEX `title_ix`" in script


def test_long_names_are_cut_to_64_bytes_as_prisma_does() -> None:
    long = "a" * 40
    schema = (
        'datasource db {\n  provider = "mysql"\n}\n'
        f"model {long} {{\n  id Int @id\n  {long}_value String @unique\n  parentId Int\n"
        f'  parent {long} @relation("p", fields: [parentId], references: [id])\n'
        f'  kids {long}[] @relation("p")\n}}\n'
    )
    script = render_script(schema_tables(load_datamodel(schema, cache=False), sources=[schema]))
    unique = f"{long}_{long}_value"[:60] + "_key"
    fkey = f"{long}_parentId"[:59] + "_fkey"
    assert f"UNIQUE INDEX `{unique}`" in script and len(unique) == 64
    assert f"CONSTRAINT `{fkey}`" in script


# --- db push against MariaDB --------------------------------------------------------------


@pytest.mark.integration
async def test_push_creates_every_table_then_is_a_no_op(tmp_path: Path) -> None:
    url = dbs.fresh_url("mysql", tmp_path)
    resolved = dbs.resolved_for("mysql", url, _schema(tmp_path / "prisma"))

    first = await db_push(resolved)
    assert first.executed_steps > 0 and not first.warnings
    assert dbs.tables("mysql", url) == {"users", "Post", "Tag", "Membership", "_PostToTag", "_TagToUser"}
    live = introspect(url)
    assert {k.name for k in live["Post"].foreign_keys} == {"Post_authorId_fkey", "post_reviewer"}
    assert {i.name for i in live["users"].indexes} >= {"users_email_key", "users_bio_idx", "users_email_bio_idx"}
    assert (await db_push(resolved)).executed_steps == 0


@pytest.mark.integration
async def test_push_into_a_missing_database_creates_it(tmp_path: Path) -> None:
    url = dbs.fresh_url("mysql", tmp_path)
    dbs.execute("mysql", dbs.MY_ADMIN, f"DROP DATABASE {dbs.MY_DB}")
    assert (await db_push(dbs.resolved_for("mysql", url, _schema(tmp_path)))).executed_steps > 0
    assert "users" in dbs.tables("mysql", url)


@pytest.mark.integration
async def test_relation_mode_prisma_pushes_no_foreign_keys(tmp_path: Path) -> None:
    url = dbs.fresh_url("mysql", tmp_path)
    resolved = dbs.resolved_for("mysql", url, _schema(tmp_path, relation_mode="prisma"))
    await db_push(resolved)
    live = introspect(url)
    assert all(not t.foreign_keys for t in live.values())
    assert "_TagToUser_B_index" in {i.name for i in live["_TagToUser"].indexes}
    assert (await db_push(resolved)).executed_steps == 0


@pytest.mark.integration
async def test_added_field_is_pushed_removed_field_needs_force(tmp_path: Path) -> None:
    url = dbs.fresh_url("mysql", tmp_path)
    folder = tmp_path / "prisma"
    schema = _schema(folder)
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
    schema = _schema(tmp_path)
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
    schema = _schema(tmp_path)
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


# --- migrate create ---------------------------------------------------------------------------


@pytest.mark.integration
async def test_migrate_create_writes_what_push_makes(tmp_path: Path) -> None:
    pushed = dbs.fresh_url("mysql", tmp_path)
    folder = tmp_path / "prisma"
    schema = _schema(folder)
    resolved = dbs.resolved_for("mysql", pushed, schema)
    await db_push(resolved)
    shape = _shape(pushed)

    # migrate create needs no database from an empty start; a second database gets the migration.
    assert diff_script(dbs.resolved_for("mysql", "mysql://nobody@127.0.0.1:1/none", schema)).startswith("-- Create")
    migrations = folder / "migrations"
    first = create_migration(resolved, migrations, "init")
    assert first is not None and first.parent.name.endswith("_init")
    assert (migrations / "migration_lock.toml").read_text().endswith('provider = "mysql"\n')
    dbs.execute("mysql", dbs.MY_ADMIN, f"DROP DATABASE {dbs.MY_DB}; CREATE DATABASE {dbs.MY_DB}")
    assert (await migrate_deploy(resolved, migrations)).applied == [first.parent.name]
    assert _shape(pushed) == shape

    from datetime import UTC, datetime

    later = datetime(2099, 1, 1, tzinfo=UTC)
    assert create_migration(resolved, migrations, "again", now=later) is None  # replayed: nothing new
    schema.write_text(schema.read_text().replace("  score     Float     @default(1.5)\n", ""))
    second = create_migration(dbs.resolved_for("mysql", pushed, schema), migrations, "drop score", now=later)
    assert second is not None and second.parent.name == "20990101000000_drop_score"
    script = second.read_text()
    assert "You are about to drop the column `score` on the `users` table" in script
    assert "ALTER TABLE `users` DROP COLUMN `score`;" in script
    assert (await migrate_deploy(resolved, migrations)).applied == [second.parent.name]
    assert "score" not in dbs.columns("mysql", pushed, "users")

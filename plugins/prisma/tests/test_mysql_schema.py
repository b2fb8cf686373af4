"""db push and migrate create for MySQL/MariaDB: tables from the DMMF, diffed against real MariaDB."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from prisma_infra_prisma.dmmf import load_datamodel
from prisma_infra_prisma.migrate import create_migration, migrate_deploy
from prisma_infra_prisma.mysql_ddl import render_script, schema_tables
from prisma_infra_prisma.mysql_diff import introspect
from prisma_infra_prisma.mysql_types import norm_type
from prisma_infra_prisma.schema_sync import db_push, diff_script

from plugins.prisma.tests.fixtures.sync import sync_dbs as dbs
from plugins.prisma.tests.fixtures.sync.mysql_schemas import render, schema_file

REPO = Path(__file__).resolve().parents[3]
IT_SCHEMA = REPO / "tests" / "integration" / "schema" / "mysql"


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


def test_render_matches_prismas_migration_for_the_integrationschema_file() -> None:
    """The integration suite's 0001_init was written as `prisma migrate diff --from-empty` writes it."""
    expected = (IT_SCHEMA / "migrations" / "0001_init" / "migration.sql").read_text()
    expected = expected[expected.index("-- CreateTable") :]
    assert render(IT_SCHEMA / "schema.prisma") == expected
    unreachable = dbs.resolved_for("mysql", "mysql://nobody@127.0.0.1:1/none", IT_SCHEMA / "schema.prisma")
    assert diff_script(unreachable) == expected  # what `migrate create` writes first, with no database


def test_render_types_defaults_and_names(tmp_path: Path) -> None:
    script = render(schema_file(tmp_path))
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
    script = render(schema_file(tmp_path, relation_mode="prisma"), relation_mode="prisma")
    assert "FOREIGN KEY" not in script and "-- AddForeignKey" not in script
    assert "UNIQUE INDEX `_PostToTag_AB_unique`(`A`, `B`)" in script and "INDEX `title_ix`" in script


def test_long_names_are_cut_to_64_bytes_as_prisma_does() -> None:
    long, other = "a" * 40, "b" * 40
    schema = (
        'datasource db {\n  provider = "mysql"\n}\n'
        f"model {long} {{\n  id Int @id\n  {long}_value String @unique\n  parentId Int\n"
        f'  parent {long} @relation("p", fields: [parentId], references: [id])\n'
        f'  kids {long}[] @relation("p")\n  others {other}[]\n}}\n'
        f"model {other} {{\n  id Int @id\n  peers {long}[]\n}}\n"
    )
    script = render_script(schema_tables(load_datamodel(schema, cache=False), sources=[schema]))
    unique = f"{long}_{long}_value"[:60] + "_key"
    fkey = f"{long}_parentId"[:59] + "_fkey"
    assert f"UNIQUE INDEX `{unique}`" in script and len(unique) == 64
    assert f"CONSTRAINT `{fkey}`" in script
    join = f"_{long}To{other}"[:64]  # the implicit many-to-many table and its names
    assert f"CREATE TABLE `{join}`" in script
    assert f"UNIQUE INDEX `{join[:54]}_AB_unique`" in script and f"INDEX `{join[:56]}_B_index`" in script
    assert f"CONSTRAINT `{join[:57]}_A_fkey`" in script and f"CONSTRAINT `{join[:57]}_B_fkey`" in script


# --- db push against MariaDB --------------------------------------------------------------


@pytest.mark.integration
async def test_push_creates_every_table_then_is_a_no_op(tmp_path: Path) -> None:
    url = dbs.fresh_url("mysql", tmp_path)
    resolved = dbs.resolved_for("mysql", url, schema_file(tmp_path / "prisma"))

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
    assert (await db_push(dbs.resolved_for("mysql", url, schema_file(tmp_path)))).executed_steps > 0
    assert "users" in dbs.tables("mysql", url)


@pytest.mark.integration
async def test_relation_mode_prisma_pushes_no_foreign_keys(tmp_path: Path) -> None:
    url = dbs.fresh_url("mysql", tmp_path)
    resolved = dbs.resolved_for("mysql", url, schema_file(tmp_path, relation_mode="prisma"))
    await db_push(resolved)
    live = introspect(url)
    assert all(not t.foreign_keys for t in live.values())
    assert "_TagToUser_B_index" in {i.name for i in live["_TagToUser"].indexes}
    assert (await db_push(resolved)).executed_steps == 0


# --- migrate create ---------------------------------------------------------------------------


@pytest.mark.integration
async def test_migrate_create_writes_what_push_makes(tmp_path: Path) -> None:
    pushed = dbs.fresh_url("mysql", tmp_path)
    folder = tmp_path / "prisma"
    schema = schema_file(folder)
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


# --- the real Prisma client on pushed tables ------------------------------------------------


@pytest.mark.integration
async def test_prisma_client_works_on_pushed_tables(tmp_path: Path) -> None:
    from datetime import UTC, datetime
    from decimal import Decimal

    from prisma_infra_sdk import ForeignKeyConstraintError, UniqueConstraintError
    from prisma_infra_sdk.testing import Infrastructure

    url = dbs.fresh_url("mysql", tmp_path)
    schema = schema_file(tmp_path / "prisma")
    await db_push(dbs.resolved_for("mysql", url, schema))
    infra = Infrastructure(
        {
            "database": {"engine": "prisma", "schema_path": str(schema), "url": url, "pool_size": 2},
            "plugins": {"load": ["prisma"]},
            "cache": {"enabled": False},
        }
    )
    await infra.start()
    try:
        users, posts, tags, members = (infra.repository(m) for m in ("User", "Post", "Tag", "Membership"))
        born = datetime(1990, 5, 17, tzinfo=UTC)
        ann = await users.create(
            {
                "email": "ann@x.io",
                "bio": "writes about databases",
                "role": "ADMIN",
                "balance": Decimal("1234.56"),
                "ratio": Decimal("0.123456789012345678901234567891"),
                "big": 2**62,
                "meta": {"k": [1, "two", None]},
                "avatar": b"\x00\xffpng",
                "born": born,
                "tags": {"create": [{"name": "db"}]},
            }
        )
        assert ann["role"] == "ADMIN" and ann["nick"] == "new" and ann["active"] is True and ann["score"] == 1.5
        assert ann["balance"] == Decimal("1234.56") and ann["ratio"] == Decimal("0.123456789012345678901234567891")
        assert ann["big"] == 2**62 and ann["meta"] == {"k": [1, "two", None]} and ann["avatar"] == b"\x00\xffpng"
        assert ann["born"] == born and ann["createdAt"].tzinfo is not None and ann["updatedAt"] >= ann["createdAt"]
        assert len(ann["uid"]) == 36 and ann["cid"]  # made by the client: no database default
        bob = await users.create({"email": "bob@x.io"})
        assert bob["role"] == "MEMBER"  # the mapped enum value's default ('member' in the database)
        assert dbs.sql("mysql", url, "SELECT role FROM users WHERE id = ?", [bob["id"]]) == [{"role": "member"}]

        post = await posts.create(
            {
                "title": "Hello",
                "author": {"connect": {"id": ann["id"]}},
                "reviewer": {"connect": {"id": bob["id"]}},
                "tags": {"connect": [{"name": "db"}], "create": [{"name": "mysql"}]},
            }
        )
        assert len(post["id"]) == 36
        found = await posts.find_unique(post["id"], include={"author": True, "reviewer": True, "tags": True})
        assert found is not None and found["author"]["email"] == "ann@x.io" and found["reviewer"]["id"] == bob["id"]
        assert sorted(t["name"] for t in found["tags"]) == ["db", "mysql"]
        await users.update(bob["id"], {"tags": {"connect": [{"name": "mysql"}]}})
        mysql_tag = await tags.find_unique({"name": "mysql"}, include={"users": True, "posts": True})
        assert mysql_tag is not None and [u["id"] for u in mysql_tag["users"]] == [bob["id"]]
        with pytest.raises(UniqueConstraintError):
            await posts.create({"title": "Hello", "author": {"connect": {"id": ann["id"]}}})

        await members.create({"userId": ann["id"], "tagId": mysql_tag["id"]})
        assert (await members.find_unique({"userId_tagId": {"userId": ann["id"], "tagId": mysql_tag["id"]}}))[
            "level"
        ] == 1
        updated = await users.update(ann["id"], {"big": {"increment": 1}, "balance": Decimal("0.01")})
        assert updated["big"] == 2**62 + 1 and updated["balance"] == Decimal("0.01")
        assert updated["updatedAt"] >= ann["updatedAt"]

        with pytest.raises(ForeignKeyConstraintError):  # Membership -> User is ON DELETE NO ACTION
            await users.delete(ann["id"])
        await members.delete_many()
        await users.update(bob["id"], {"tags": {"disconnect": [{"name": "mysql"}]}})
        await users.delete(bob["id"])  # the review is set null (optional relation's default)
        assert (await posts.find_unique(post["id"]))["reviewerId"] is None  # type: ignore[index]
        await users.delete(ann["id"])  # cascades to the post and its tag links
        assert await posts.count() == 0 and dbs.sql("mysql", url, "SELECT COUNT(*) AS n FROM _PostToTag") == [{"n": 0}]
        await tags.delete_many()
        assert await tags.count() == 0
    finally:
        await infra.close()


@pytest.mark.integration
def test_cli_push_and_create_on_mariadb(tmp_path: Path) -> None:
    import typer
    from prisma_infra_prisma.cli import register_cli
    from typer.testing import CliRunner

    app = typer.Typer()
    app.callback()(lambda: None)
    register_cli(app)
    url = dbs.fresh_url("mysql", tmp_path)
    schema = schema_file(tmp_path / "prisma")
    run = CliRunner().invoke
    args = ["--schema", str(schema), "--url", url]

    first = run(app, ["db", "push", *args])
    assert first.exit_code == 0 and "step(s) executed" in first.output, first.output
    assert "already in sync" in run(app, ["db", "push", *args]).output
    dbs.execute("mysql", url, "INSERT INTO Tag (name) VALUES ('t')")
    schema.write_text(schema.read_text().replace("  name  String @unique\n", "  name  String @unique @db.VarChar(3)\n"))
    refused = run(app, ["db", "push", *args])
    assert refused.exit_code == 1 and "`name` on the `Tag` table" in refused.output
    assert run(app, ["db", "push", "--force", *args]).exit_code == 0
    created = run(app, ["migrate", "create", "init", *args])
    assert created.exit_code == 0 and "wrote" in created.output, created.output
    assert "CREATE TABLE `Tag`" in next((tmp_path / "prisma" / "migrations").glob("*_init/migration.sql")).read_text()


def test_schema_folder_is_read_whole(tmp_path: Path) -> None:
    from prisma_infra_prisma.datasource import resolve_database
    from prisma_infra_sdk import DatabaseConfig

    folder = tmp_path / "prisma" / "schema"
    folder.mkdir(parents=True)
    (folder / "base.prisma").write_text('datasource db {\n  provider = "mysql"\n  relationMode = "prisma"\n}\n')
    (folder / "models.prisma").write_text(
        "model A {\n  id Int @id\n  bs B[]\n}\n"
        "model B {\n  id Int @id\n  aId Int\n  a A @relation(fields: [aId], references: [id])\n  @@index([aId])\n}\n"
    )
    config = DatabaseConfig(schema_path="prisma/schema", url="mysql://x@127.0.0.1:1/y")  # type: ignore[arg-type]
    script = diff_script(resolve_database(config, tmp_path))
    assert "CREATE TABLE `A`" in script and "INDEX `B_aId_idx`(`aId`)" in script
    assert "FOREIGN KEY" not in script  # relationMode from the other file


@pytest.mark.integration
def test_migrate_create_after_prismas_own_migration_has_nothing_to_write(tmp_path: Path) -> None:
    import shutil

    dbs.fresh_url("mysql", tmp_path)  # the server must be up: the migration is replayed in a scratch database
    migrations = tmp_path / "migrations"
    shutil.copytree(IT_SCHEMA / "migrations", migrations)
    resolved = dbs.resolved_for("mysql", f"mysql://root:@127.0.0.1:3306/{dbs.MY_DB}", IT_SCHEMA / "schema.prisma")
    assert create_migration(resolved, migrations, "again") is None
    assert [p.name for p in migrations.iterdir() if p.is_dir()] == ["0001_init"]


@pytest.mark.integration
async def test_views_are_not_tables(tmp_path: Path) -> None:
    schema = tmp_path / "schema.prisma"
    schema.write_text(
        'generator client {\n  provider        = "prisma-client-js"\n  previewFeatures = ["views"]\n}\n\n'
        'datasource db {\n  provider = "mysql"\n}\n\n'
        "model Author {\n  id    Int          @id @default(autoincrement())\n  name  String\n"
        "  stats AuthorStats?\n}\n\n"
        "view AuthorStats {\n  authorId Int    @unique\n  name     String\n"
        "  author   Author @relation(fields: [authorId], references: [id])\n}\n"
    )
    url = dbs.fresh_url("mysql", tmp_path)
    resolved = dbs.resolved_for("mysql", url, schema)
    assert "AuthorStats" not in diff_script(resolved)  # Prisma creates no table (nor key) for a view
    await db_push(resolved)
    dbs.execute("mysql", url, "CREATE VIEW AuthorStats AS SELECT id AS authorId, name FROM Author")
    assert (await db_push(resolved)).executed_steps == 0  # and leaves the view alone
    assert dbs.tables("mysql", url) == {"Author", "AuthorStats"}


def test_a_type_without_mysql_column_names_the_field() -> None:
    from prisma_infra_sdk import ConfigurationError

    datamodel = {
        "models": [
            {
                "name": "Doc",
                "fields": [
                    {"name": "body", "kind": "scalar", "type": "String", "isRequired": True, "nativeType": ["Xml", []]}
                ],
            }
        ],
        "enums": [],
        "indexes": [],
    }
    with pytest.raises(ConfigurationError, match=r"Doc\.body: the type @db\.Xml has no MySQL column type"):
        schema_tables(datamodel)

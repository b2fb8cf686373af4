"""``previewFeatures`` reach the generated client, and ``view`` blocks work read-only.

Real databases through the real Prisma client: the tables are pushed (PostgreSQL,
SQLite) or created by SQL (MariaDB), the view is always created by SQL (``db push``
does not create views). Reads, filters, includes in both directions, analytics and the
cache work on the view; every write to it, top level or nested, is refused naming it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from prisma_infra_prisma import PrismaEngine
from prisma_infra_prisma.datasource import resolve_database
from prisma_infra_prisma.generate import ensure_client
from prisma_infra_prisma.schema_sync import db_push
from prisma_infra_prisma.toolchain import ensure_toolchain
from prisma_infra_sdk import Action, ConfigurationError, DatabaseConfig, Operation, ReadOnlyViewError
from prisma_infra_sdk.testing import Infrastructure

from plugins.prisma.tests.fixtures.sync import sync_dbs as dbs

MODELS = """
model Author {
  id     Int          @id @default(autoincrement())
  name   String
  posts  Post[]
  stats  AuthorStats?
}

model Post {
  id       Int    @id @default(autoincrement())
  title    String
  likes    Int    @default(0)
  authorId Int
  author   Author @relation(fields: [authorId], references: [id])
}

view AuthorStats {
  authorId  Int    @unique
  name      String
  postCount Int
  likes     Int
  author    Author @relation(fields: [authorId], references: [id])
}
"""
GENERATOR = 'generator client {\n  provider        = "prisma-client-js"\n  previewFeatures = %s\n}\n\n'
VIEW_SQL = {
    "postgresql": """CREATE VIEW "AuthorStats" AS SELECT a."id" AS "authorId", a."name" AS "name",
        COUNT(p."id")::int AS "postCount", COALESCE(SUM(p."likes"), 0)::int AS "likes"
        FROM "Author" a LEFT JOIN "Post" p ON p."authorId" = a."id" GROUP BY a."id", a."name\"""",
    "sqlite": """CREATE VIEW "AuthorStats" AS SELECT a."id" AS "authorId", a."name" AS "name",
        COUNT(p."id") AS "postCount", COALESCE(SUM(p."likes"), 0) AS "likes"
        FROM "Author" a LEFT JOIN "Post" p ON p."authorId" = a."id" GROUP BY a."id", a."name\"""",
    "mysql": """CREATE VIEW `AuthorStats` AS SELECT a.`id` AS `authorId`, a.`name` AS `name`,
        CAST(COUNT(p.`id`) AS SIGNED) AS `postCount`, CAST(COALESCE(SUM(p.`likes`), 0) AS SIGNED) AS `likes`
        FROM `Author` a LEFT JOIN `Post` p ON p.`authorId` = a.`id` GROUP BY a.`id`, a.`name`""",
}
MYSQL_TABLES = """CREATE TABLE `Author` (`id` INT NOT NULL AUTO_INCREMENT, `name` VARCHAR(191) NOT NULL,
  PRIMARY KEY (`id`)) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE TABLE `Post` (`id` INT NOT NULL AUTO_INCREMENT, `title` VARCHAR(191) NOT NULL, `likes` INT NOT NULL DEFAULT 0,
  `authorId` INT NOT NULL, PRIMARY KEY (`id`),
  CONSTRAINT `Post_authorId_fkey` FOREIGN KEY (`authorId`) REFERENCES `Author`(`id`))
  DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"""


def _schema(folder: Path, provider: str, features: str = '["views", "relationJoins"]') -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "schema.prisma"
    path.write_text(GENERATOR % features + f'datasource db {{\n  provider = "{provider}"\n}}\n' + MODELS)
    return path


@pytest_asyncio.fixture(params=["postgresql", "mysql", "sqlite"])
async def infra(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Infrastructure]:
    provider = str(request.param)
    url = dbs.fresh_url(provider, tmp_path)
    schema = _schema(tmp_path / "prisma", provider)
    if provider == "mysql":
        dbs.execute(provider, url, MYSQL_TABLES)
    else:  # db push takes the same schema, views and all
        resolved = resolve_database(DatabaseConfig(schema_path=str(schema), url=url), tmp_path)
        assert (await db_push(resolved)).executed_steps > 0
    dbs.execute(provider, url, VIEW_SQL[provider])
    settings = {"database": {"schema_path": str(schema), "url": url}, "cache": {"ttl": 300}}
    async with Infrastructure(settings) as started:
        yield started


async def _seed(infra: Infrastructure) -> dict[str, Any]:
    ada = await infra.repository("Author").create({"name": "Ada", "posts": {"create": [{"title": "a", "likes": 3}]}})
    await infra.repository("Author").create({"name": "Bob"})
    return ada


async def test_reads_filters_includes_analytics_and_cache(infra: Infrastructure) -> None:
    ada = await _seed(infra)
    stats = infra.repository("AuthorStats")

    rows = await stats.find_many(where={"postCount": {"gt": 0}}, order_by={"name": "asc"})
    assert [(r["name"], r["postCount"], r["likes"]) for r in rows] == [("Ada", 1, 3)]
    one = await stats.find_unique(where={"authorId": ada["id"]}, include={"author": True})
    assert one is not None and one["author"]["name"] == "Ada"
    # relationLoadStrategy exists only with relationJoins, which PostgreSQL has (not SQLite, MariaDB).
    joined: dict[str, Any] = {"include": {"stats": True}, "orderBy": {"id": "asc"}}
    if infra.runtime.engine.provider == "postgresql":
        joined["relationLoadStrategy"] = "join"
    authors = await infra.execute(Operation("Author", Action.FIND_MANY, joined))
    assert [a["stats"]["postCount"] for a in authors] == [1, 0]  # relationJoins reached the client
    assert await stats.count(where={"likes": {"gte": 3}}) == 1
    total = await stats.aggregate(sum={"likes": True})
    assert total["_sum"]["likes"] == 3
    result = await infra.analytics("AuthorStats").metrics(["count", "sum:postCount"]).generate()
    assert result.totals == {"count": 2, "sum:postCount": 1}

    # A cached view read is dropped by a write to a table it reads (views change with any write).
    assert (await stats.find_unique(where={"authorId": ada["id"]}))["likes"] == 3  # type: ignore[index]
    calls = infra.cache.stats()["models"]["AuthorStats"]["engine_calls"]
    assert (await stats.find_unique(where={"authorId": ada["id"]}))["likes"] == 3  # type: ignore[index]
    assert infra.cache.stats()["models"]["AuthorStats"]["engine_calls"] == calls  # served by the cache
    await infra.repository("Post").update_many(where={"authorId": ada["id"]}, data={"likes": {"increment": 4}})
    assert (await stats.find_unique(where={"authorId": ada["id"]}))["likes"] == 7  # type: ignore[index]


WRITES: list[tuple[str, str, dict[str, Any]]] = [
    ("AuthorStats", "create", {"data": {"authorId": 1, "name": "x", "postCount": 0, "likes": 0}}),
    ("AuthorStats", "createMany", {"data": [{"authorId": 1, "name": "x", "postCount": 0, "likes": 0}]}),
    ("AuthorStats", "update", {"where": {"authorId": 1}, "data": {"likes": 9}}),
    ("AuthorStats", "updateMany", {"data": {"likes": 9}}),
    (
        "AuthorStats",
        "upsert",
        {
            "where": {"authorId": 1},
            "create": {"authorId": 1, "name": "x", "postCount": 0, "likes": 0},
            "update": {"likes": 9},
        },
    ),
    ("AuthorStats", "delete", {"where": {"authorId": 1}}),
    ("AuthorStats", "deleteMany", {}),
    ("Author", "create", {"data": {"name": "C", "stats": {"create": {"name": "C", "postCount": 0, "likes": 0}}}}),
    ("Author", "update", {"where": {"id": 1}, "data": {"stats": {"update": {"likes": 9}}}}),
    ("Author", "update", {"where": {"id": 1}, "data": {"stats": {"delete": True}}}),
    ("Author", "update", {"where": {"id": 1}, "data": {"stats": {"disconnect": True}}}),
    ("Post", "update", {"where": {"id": 1}, "data": {"author": {"update": {"stats": {"update": {"likes": 1}}}}}}),
]


async def test_every_write_to_the_view_is_refused_naming_it(infra: Infrastructure) -> None:
    await _seed(infra)
    for model, action, args in WRITES:
        with pytest.raises(ReadOnlyViewError, match="AuthorStats is a view") as refused:
            await infra.execute(Operation(model, Action(action), args))
        assert refused.value.model == "AuthorStats", (model, action)
    # The engine refuses too, whatever the pipeline does (validation disabled or bypassed).
    engine = infra.runtime.engine
    for model, action, args in WRITES:  # nested writes included
        with pytest.raises(ReadOnlyViewError, match="AuthorStats is a view"):
            await engine.execute(Operation(model, Action(action), args))
    with pytest.raises(ReadOnlyViewError, match="AuthorStats"):
        await engine.execute_batch(
            [Operation("Author", Action.COUNT, {}), Operation("AuthorStats", Action.DELETE_MANY, {})]
        )
    # Nothing changed: the view still reads its tables.
    assert await infra.repository("AuthorStats").count() == 2


async def test_renamed_feature_is_mapped_and_removed_one_refused(tmp_path: Path) -> None:
    toolchain = ensure_toolchain()
    renamed = _schema(tmp_path / "renamed", "postgresql", '["fullTextSearch", "views"]')
    generated = ensure_client(renamed, toolchain).schema.read_text()
    assert 'previewFeatures = ["fullTextSearchPostgres", "views"]' in generated

    removed = _schema(tmp_path / "removed", "sqlite", '["views", "metrics"]')
    engine = PrismaEngine(DatabaseConfig(schema_path=str(removed), url=f"file:{tmp_path / 'x.db'}"))
    with pytest.raises(
        ConfigurationError, match=rf'{removed}:3: the preview feature "metrics" does not exist in Prisma 7'
    ):
        await engine.start()
    await engine.close()

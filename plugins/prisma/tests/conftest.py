"""Fixtures: one `PrismaEngine` per database (PostgreSQL, MariaDB, SQLite) per test module.

Tables are made with plain SQL per provider (sent through the engine itself, so
no extra database driver is needed). PostgreSQL and MariaDB use a dedicated
database, ``prisma_infra_engine_test``; override the servers with
``PRISMA_INFRA_TEST_PG_URL`` / ``PRISMA_INFRA_TEST_MYSQL_URL`` (server URLs
without a database name).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from prisma_infra_prisma import PrismaEngine
from prisma_infra_sdk import Action, DatabaseConfig, Operation, PrismaInfraError

HERE = Path(__file__).parent
DB_NAME = "prisma_infra_engine_test" + os.environ.get("PRISMA_INFRA_TEST_DB_SUFFIX", "")
PG_SERVER = os.environ.get("PRISMA_INFRA_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432")
MYSQL_SERVER = os.environ.get("PRISMA_INFRA_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306")

DDL = {
    "postgresql": [
        'DROP TABLE IF EXISTS "Post"',
        'DROP TABLE IF EXISTS "User"',
        'DROP TYPE IF EXISTS "Role"',
        """CREATE TYPE "Role" AS ENUM ('ADMIN', 'MEMBER')""",
        """CREATE TABLE "User" (
            "id" SERIAL PRIMARY KEY, "email" TEXT NOT NULL, "name" TEXT,
            "role" "Role" NOT NULL DEFAULT 'MEMBER', "active" BOOLEAN NOT NULL DEFAULT true,
            "score" DOUBLE PRECISION NOT NULL DEFAULT 0, "big" BIGINT, "balance" DECIMAL(20, 6),
            "born" TIMESTAMP(3), "avatar" BYTEA, "meta" JSONB,
            "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP)""",
        'CREATE UNIQUE INDEX "User_email_key" ON "User"("email")',
        """CREATE TABLE "Post" (
            "id" SERIAL PRIMARY KEY, "title" TEXT NOT NULL, "views" INTEGER NOT NULL DEFAULT 0,
            "authorId" INTEGER NOT NULL,
            CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id")
              ON DELETE RESTRICT ON UPDATE CASCADE)""",
        'CREATE UNIQUE INDEX "Post_authorId_title_key" ON "Post"("authorId", "title")',
    ],
    "mysql": [
        "DROP TABLE IF EXISTS `Post`",
        "DROP TABLE IF EXISTS `User`",
        """CREATE TABLE `User` (
            `id` INT NOT NULL AUTO_INCREMENT, `email` VARCHAR(191) NOT NULL, `name` VARCHAR(191) NULL,
            `role` ENUM('ADMIN', 'MEMBER') NOT NULL DEFAULT 'MEMBER', `active` BOOLEAN NOT NULL DEFAULT true,
            `score` DOUBLE NOT NULL DEFAULT 0, `big` BIGINT NULL, `balance` DECIMAL(20, 6) NULL,
            `born` DATETIME(3) NULL, `avatar` LONGBLOB NULL, `meta` JSON NULL,
            `createdAt` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
            UNIQUE INDEX `User_email_key`(`email`), PRIMARY KEY (`id`)
        ) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci""",
        """CREATE TABLE `Post` (
            `id` INT NOT NULL AUTO_INCREMENT, `title` VARCHAR(191) NOT NULL, `views` INT NOT NULL DEFAULT 0,
            `authorId` INT NOT NULL,
            UNIQUE INDEX `Post_authorId_title_key`(`authorId`, `title`), PRIMARY KEY (`id`),
            CONSTRAINT `Post_authorId_fkey` FOREIGN KEY (`authorId`) REFERENCES `User`(`id`)
              ON DELETE RESTRICT ON UPDATE CASCADE
        ) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci""",
    ],
    "sqlite": [
        'DROP TABLE IF EXISTS "Post"',
        'DROP TABLE IF EXISTS "User"',
        """CREATE TABLE "User" (
            "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, "email" TEXT NOT NULL, "name" TEXT,
            "role" TEXT NOT NULL DEFAULT 'MEMBER', "active" BOOLEAN NOT NULL DEFAULT true,
            "score" REAL NOT NULL DEFAULT 0, "big" BIGINT, "balance" DECIMAL, "born" DATETIME,
            "avatar" BLOB, "meta" JSONB, "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP)""",
        'CREATE UNIQUE INDEX "User_email_key" ON "User"("email")',
        """CREATE TABLE "Post" (
            "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, "title" TEXT NOT NULL,
            "views" INTEGER NOT NULL DEFAULT 0, "authorId" INTEGER NOT NULL,
            CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User" ("id")
              ON DELETE RESTRICT ON UPDATE CASCADE)""",
        'CREATE UNIQUE INDEX "Post_authorId_title_key" ON "Post"("authorId", "title")',
    ],
}


def write_schema(folder: Path, provider: str) -> Path:
    template = (HERE / "schema_template.prisma").read_text()
    decimal = "" if provider == "sqlite" else "@db.Decimal(20, 6)"
    path = folder / f"schema_{provider}.prisma"
    path.write_text(template.replace("__PROVIDER__", provider).replace("__DECIMAL__", decimal))
    return path


@pytest.fixture
def sqlite_schema(tmp_path: Path) -> Path:
    """The test schema for SQLite, in the test's folder (its database goes beside it)."""
    return write_schema(tmp_path, "sqlite")


@contextlib.asynccontextmanager
async def started_engine(schema: Path, url: str, **options: object) -> AsyncIterator[PrismaEngine]:
    """A Prisma engine for ``schema`` at ``url`` with these ``database.options``, started, closed after."""
    engine = PrismaEngine(DatabaseConfig(schema_path=str(schema), url=url, options=options))  # type: ignore[arg-type]
    try:
        await engine.start()
        yield engine
    finally:
        await engine.close()


def raw(sql: str, *params: object) -> Operation:
    return Operation(model=None, action=Action.EXECUTE_RAW, args={"sql": sql, "params": list(params)})


async def _bootstrap_database(schema: Path, provider: str) -> str:
    """Create the dedicated test database on the server; returns its URL."""
    if provider == "postgresql":
        server_db, url = f"{PG_SERVER}/postgres", f"{PG_SERVER}/{DB_NAME}"
    else:
        server_db, url = f"{MYSQL_SERVER}/mysql", f"{MYSQL_SERVER}/{DB_NAME}"
    admin = PrismaEngine(DatabaseConfig(schema_path=str(schema), url=server_db, pool_size=1))  # type: ignore[arg-type]
    try:
        if provider == "postgresql":
            found = await admin.execute(
                Operation(
                    model=None,
                    action=Action.QUERY_RAW,
                    args={"sql": "SELECT 1 AS x FROM pg_database WHERE datname = $1", "params": [DB_NAME]},
                )
            )
            if not found:
                await admin.execute(raw(f'CREATE DATABASE "{DB_NAME}"'))
        else:
            await admin.execute(raw(f"CREATE DATABASE IF NOT EXISTS `{DB_NAME}`"))
    except PrismaInfraError as exc:
        pytest.fail(f"{provider} server not reachable (start it: bash scripts/services.sh): {exc}")
    finally:
        await admin.close()
    return url


@pytest_asyncio.fixture(
    scope="module", loop_scope="module", params=["postgresql", "mysql", "sqlite", "postgresql+busy_poll"]
)
async def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[PrismaEngine]:
    """An engine per database; ``+busy_poll``: the same suite with ``database.options.busy_poll``."""
    provider, _, polled = str(request.param).partition("+")
    folder = tmp_path_factory.mktemp(provider)
    schema = write_schema(folder, provider)
    if provider == "sqlite":
        url = f"file:{folder / 'test.db'}"
    else:
        url = await _bootstrap_database(schema, provider)
    config = DatabaseConfig(
        schema_path=str(schema),
        url=url,  # type: ignore[arg-type]
        pool_size=5,
        operation_timeout=20,
        max_in_flight=100,
        transaction_timeout=5,
        transaction_max_wait=5,
        options={"busy_poll": 300} if polled else {},
    )
    engine = PrismaEngine(config)
    for statement in DDL[provider]:
        await engine.execute(raw(statement))
    yield engine
    await engine.close()

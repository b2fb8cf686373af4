"""The Prisma engine on a fresh SQLite database holding the kit schema's tables."""

from __future__ import annotations

from pathlib import Path

from prisma_infra.config.model import DatabaseConfig
from prisma_infra.operation import Action, Operation
from prisma_infra_prisma import PrismaEngine
from prisma_infra_sdk.testing import kit_schema

DDL = [
    """CREATE TABLE "User" (
        "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, "email" TEXT NOT NULL, "name" TEXT,
        "score" INTEGER NOT NULL DEFAULT 0, "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP)""",
    'CREATE UNIQUE INDEX "User_email_key" ON "User"("email")',
    """CREATE TABLE "Post" (
        "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, "title" TEXT NOT NULL, "body" TEXT NOT NULL DEFAULT '',
        "published" BOOLEAN NOT NULL DEFAULT false, "authorId" INTEGER NOT NULL,
        CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User" ("id")
          ON DELETE RESTRICT ON UPDATE CASCADE)""",
    'CREATE UNIQUE INDEX "Post_authorId_title_key" ON "Post"("authorId", "title")',
]


async def sqlite_engine(folder: Path, *, tables: bool = True) -> PrismaEngine:
    """A started `PrismaEngine` on ``folder/kit.db`` with the kit schema (and its tables)."""
    schema = folder / "schema.prisma"
    schema.write_text(kit_schema("sqlite"))
    engine = PrismaEngine(
        DatabaseConfig(
            schema_path=str(schema),
            url=f"file:{folder / 'kit.db'}",  # type: ignore[arg-type]
            transaction_timeout=10,
            transaction_max_wait=5,
        )
    )
    await engine.start()
    if tables:
        for statement in DDL:
            await engine.execute(
                Operation(model=None, action=Action.EXECUTE_RAW, args={"sql": statement, "params": []})
            )
    return engine

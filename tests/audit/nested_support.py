"""Support for the nested-writes suite: the audit test schema plus a one-to-one, on SQLite, PostgreSQL and MariaDB.

``Owner``/``Card`` add a to-one whose key is on the related row (``card: {create: ...}``);
``Folder``/``Doc``/``Note``/``Pin``/``Draft``/``Lock`` the referential actions of the cascade suite
(a folder's docs and drafts cascade, a doc's notes cascade, its pins are set null, its locks restrict).
Each run makes each database once (``prisma_infra_nested_it<suffix>`` on the servers, a
file for SQLite); every test starts from empty tables without the audit and outbox tables.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from prisma_infra_prisma.datasource import ScriptFailure, call_script

from tests.audit.audit_it_support import fresh_database, write_schema

DB_NAME = "prisma_infra_nested_it" + os.environ.get("PRISMA_INFRA_TEST_DB_SUFFIX", "")
MYSQL_SERVER = os.environ.get("PRISMA_INFRA_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306")
PROVIDERS = ["sqlite", "postgresql", "mysql"]
_TABLES = (
    "User",
    "Post",
    "Tag",
    "Session",
    "_PostToTag",
    "Owner",
    "Card",
    "Folder",
    "Doc",
    "Note",
    "Pin",
    "Draft",
    "Lock",
)

EXTRA = """
model Owner {
  id   Int    @id @default(autoincrement())
  name String
  card Card?
}

model Card {
  id      Int    @id @default(autoincrement())
  number  String @unique
  ownerId Int?   @unique
  owner   Owner? @relation(fields: [ownerId], references: [id])
}

model Folder {
  id     Int     @id @default(autoincrement())
  name   String
  docs   Doc[]
  drafts Draft[]
}

model Doc {
  id       Int    @id @default(autoincrement())
  title    String
  folderId Int
  folder   Folder @relation(fields: [folderId], references: [id], onDelete: Cascade)
  notes    Note[]
  pins     Pin[]
  locks    Lock[]
}

model Note {
  id    Int    @id @default(autoincrement())
  text  String
  docId Int
  doc   Doc    @relation(fields: [docId], references: [id], onDelete: Cascade)
}

model Pin {
  id    Int    @id @default(autoincrement())
  label String
  docId Int?
  doc   Doc?   @relation(fields: [docId], references: [id])
}

model Draft {
  id       Int    @id @default(autoincrement())
  folderId Int
  folder   Folder @relation(fields: [folderId], references: [id], onDelete: Cascade)
}

model Lock {
  id    Int @id @default(autoincrement())
  docId Int
  doc   Doc @relation(fields: [docId], references: [id])
}
"""


def _child(table: str, columns: str, key: str, parent: str, on_delete: str) -> str:
    return (
        f"CREATE TABLE `{table}` (`id` INT NOT NULL AUTO_INCREMENT, {columns}, PRIMARY KEY (`id`), "
        f"FOREIGN KEY (`{key}`) REFERENCES `{parent}`(`id`) ON DELETE {on_delete} ON UPDATE CASCADE)"
    )


_CHARSET = " DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
#: MariaDB has no ``db push`` here (Prisma's WebAssembly schema engine): the tables as Prisma would make them.
_MYSQL_TABLES = (
    "CREATE TABLE `User` (`id` INT NOT NULL AUTO_INCREMENT, `email` VARCHAR(191) NOT NULL, `name` VARCHAR(191) NULL, "
    "`karma` BIGINT NOT NULL DEFAULT 0, `balance` DECIMAL(65, 30) NOT NULL DEFAULT 0, "
    "`createdAt` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3), UNIQUE INDEX `User_email_key`(`email`), "
    "PRIMARY KEY (`id`))",
    "CREATE TABLE `Post` (`id` VARCHAR(191) NOT NULL, `title` VARCHAR(191) NOT NULL, `views` INT NOT NULL DEFAULT 0, "
    "`authorId` INT NOT NULL, PRIMARY KEY (`id`), "
    "FOREIGN KEY (`authorId`) REFERENCES `User`(`id`) ON DELETE CASCADE ON UPDATE CASCADE)",
    "CREATE TABLE `Tag` (`id` INT NOT NULL AUTO_INCREMENT, `name` VARCHAR(191) NOT NULL, "
    "UNIQUE INDEX `Tag_name_key`(`name`), PRIMARY KEY (`id`))",
    "CREATE TABLE `Session` (`id` INT NOT NULL AUTO_INCREMENT, `token` VARCHAR(191) NOT NULL, `ip` VARCHAR(191) NULL, "
    "`userId` INT NULL, `createdAt` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3), "
    "UNIQUE INDEX `Session_token_key`(`token`), PRIMARY KEY (`id`), "
    "FOREIGN KEY (`userId`) REFERENCES `User`(`id`) ON DELETE SET NULL ON UPDATE CASCADE)",
    "CREATE TABLE `_PostToTag` (`A` VARCHAR(191) NOT NULL, `B` INT NOT NULL, "
    "UNIQUE INDEX `_PostToTag_AB_unique`(`A`, `B`), INDEX `_PostToTag_B_index`(`B`), "
    "FOREIGN KEY (`A`) REFERENCES `Post`(`id`) ON DELETE CASCADE ON UPDATE CASCADE, "
    "FOREIGN KEY (`B`) REFERENCES `Tag`(`id`) ON DELETE CASCADE ON UPDATE CASCADE)",
    "CREATE TABLE `Owner` (`id` INT NOT NULL AUTO_INCREMENT, `name` VARCHAR(191) NOT NULL, PRIMARY KEY (`id`))",
    "CREATE TABLE `Card` (`id` INT NOT NULL AUTO_INCREMENT, `number` VARCHAR(191) NOT NULL, `ownerId` INT NULL, "
    "UNIQUE INDEX `Card_number_key`(`number`), UNIQUE INDEX `Card_ownerId_key`(`ownerId`), PRIMARY KEY (`id`), "
    "FOREIGN KEY (`ownerId`) REFERENCES `Owner`(`id`) ON DELETE SET NULL ON UPDATE CASCADE)",
    "CREATE TABLE `Folder` (`id` INT NOT NULL AUTO_INCREMENT, `name` VARCHAR(191) NOT NULL, PRIMARY KEY (`id`))",
    _child("Doc", "`title` VARCHAR(191) NOT NULL, `folderId` INT NOT NULL", "folderId", "Folder", "CASCADE"),
    _child("Note", "`text` VARCHAR(191) NOT NULL, `docId` INT NOT NULL", "docId", "Doc", "CASCADE"),
    _child("Pin", "`label` VARCHAR(191) NOT NULL, `docId` INT NULL", "docId", "Doc", "SET NULL"),
    _child("Draft", "`folderId` INT NOT NULL", "folderId", "Folder", "CASCADE"),
    _child("Lock", "`docId` INT NOT NULL", "docId", "Doc", "RESTRICT"),
)
_MYSQL_DDL = ";".join(f"{table}{_CHARSET}" for table in _MYSQL_TABLES)


def _admin(provider: str, url: str, script: str) -> None:
    try:
        call_script("migrate.mjs", {"op": "execute", "provider": provider, "url": url, "script": script})
    except ScriptFailure as exc:
        pytest.fail(f"{provider} at {url} is not usable for the nested-writes suite: {exc.message}")


async def make_database(provider: str, folder: Path) -> tuple[Path, str]:
    """A fresh database with the suite's schema; returns the schema path and the URL."""
    if provider != "mysql":
        return await fresh_database(provider, folder, EXTRA, name=DB_NAME)
    schema = write_schema(folder, provider, EXTRA)
    url = f"{MYSQL_SERVER}/{DB_NAME}"
    _admin(
        provider, f"{MYSQL_SERVER}/mysql", f"DROP DATABASE IF EXISTS `{DB_NAME}`; CREATE DATABASE `{DB_NAME}`{_CHARSET}"
    )
    _admin(provider, url, _MYSQL_DDL)
    return schema, url


def emptied(provider: str, url: str, tmp_path: Path) -> str:
    """The database made by `make_database`, emptied for one test (SQLite: a copy); returns its URL."""
    if provider == "sqlite":
        copy = tmp_path / "audit.db"
        shutil.copyfile(url.removeprefix("file:"), copy)
        return f"file:{copy}"
    if provider == "postgresql":
        tables = ", ".join(f'"{t}"' for t in _TABLES)
        _admin(
            provider,
            url,
            f'DROP TABLE IF EXISTS "AuditEvent", "_prisma_infra_audit_outbox"; '
            f"TRUNCATE {tables} RESTART IDENTITY CASCADE",
        )
        return url
    truncate = "; ".join(f"TRUNCATE TABLE `{t}`" for t in _TABLES)
    _admin(
        provider,
        url,
        "DROP TABLE IF EXISTS `AuditEvent`, `_prisma_infra_audit_outbox`; "
        f"SET FOREIGN_KEY_CHECKS = 0; {truncate}; SET FOREIGN_KEY_CHECKS = 1",
    )
    return url

"""A standard Prisma project (``prisma.config.ts``, ``.env``, no URL in the settings) pushes and starts.

The commands and the running infrastructure read the URL one way, as Prisma's CLI does; the
process environment wins over ``.env``; ``config show`` names where the URL came from. Real
databases (PostgreSQL, MariaDB, SQLite) through the real Prisma client.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from prisma_infra_prisma.datasource import resolve_database
from prisma_infra_sdk import ConfigurationError, DatabaseConfig
from prisma_infra_sdk.testing import Infrastructure

from plugins.prisma.tests.fixtures.sync import sync_dbs as dbs

CONFIG_TS = (
    'import "dotenv/config";\n'
    'import { defineConfig, env } from "prisma/config";\n\n'
    "export default defineConfig({\n"
    '  schema: "prisma/schema.prisma",\n'
    '  datasource: {\n    url: env("DATABASE_URL"),\n  },\n'
    "});\n"
)
MYSQL_NOTE = """CREATE TABLE IF NOT EXISTS `Note` (`id` INT NOT NULL AUTO_INCREMENT, `text` VARCHAR(191) NOT NULL,
PRIMARY KEY (`id`))"""
NOTE_MODEL = "model Note {\n  id   Int    @id @default(autoincrement())\n  text String\n}\n"


def _project(root: Path, provider: str, url: str, *, datasource_url: str | None = None) -> Path:
    """``root``: settings.toml without a URL, prisma/schema.prisma, and the URL in ``.env``."""
    (root / "prisma").mkdir(parents=True, exist_ok=True)
    extra = f"  url      = {datasource_url}\n" if datasource_url else ""
    (root / "prisma" / "schema.prisma").write_text(
        f'datasource db {{\n  provider = "{provider}"\n{extra}}}\n\n{NOTE_MODEL}'
    )
    if datasource_url is None:
        (root / "prisma.config.ts").write_text(CONFIG_TS)
    (root / ".env").write_text(f'# the project\'s database\nDATABASE_URL="{url}"\n')
    settings = root / "settings.toml"
    settings.write_text('[default]\ndatabase.schema_path = "prisma/schema.prisma"\n')
    return settings


def _cli(root: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "DATABASE_URL" and not k.startswith("PRISMA_INFRA_DATABASE")}
    environ.update(env or {})
    command = [str(Path(sys.executable).parent / "prisma-infra"), *args]
    return subprocess.run(command, cwd=root, env=environ, capture_output=True, text=True, timeout=300)


async def _notes(settings: Path) -> list[str]:
    infra = Infrastructure.from_settings(settings)
    await infra.start()
    try:
        await infra.repository("Note").create({"text": "hello"})
        return [row["text"] for row in await infra.repository("Note").find_many()]
    finally:
        await infra.close()


@pytest.fixture(autouse=True)
def _no_url_in_the_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("PRISMA_INFRA_DATABASE__URL", raising=False)


@pytest.mark.parametrize("provider", ["postgresql", "sqlite"])
async def test_push_then_start_with_prisma_config_and_dotenv(
    provider: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "app"
    settings = _project(root, provider, dbs.fresh_url(provider, tmp_path))
    monkeypatch.chdir(root)

    pushed = _cli(root, "db", "push")
    assert pushed.returncode == 0, pushed.stderr
    assert await _notes(settings) == ["hello"]

    shown = _cli(root, "config", "show", "--format", "json")
    assert shown.returncode == 0, shown.stderr
    source = json.loads(shown.stdout)["sources"]["database.url"]
    assert source == f"env var DATABASE_URL from {root / '.env'} (datasource.url in {root / 'prisma.config.ts'})"


async def test_mariadb_starts_with_the_url_in_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = dbs.fresh_url("mysql", tmp_path)
    dbs.execute("mysql", url, MYSQL_NOTE)
    root = tmp_path / "app"
    settings = _project(root, "mysql", url)
    monkeypatch.chdir(root)
    assert await _notes(settings) == ["hello"]


async def test_prisma6_datasource_env_with_dotenv_beside_the_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "app"
    settings = _project(root, "sqlite", "unused", datasource_url='env("NOTES_DB")')
    (root / ".env").unlink()
    (root / "prisma" / ".env").write_text("NOTES_DB=file:./notes.db\n")
    monkeypatch.chdir(root)
    assert _cli(root, "db", "push").returncode == 0
    assert await _notes(settings) == ["hello"]
    assert (root / "prisma" / "notes.db").is_file()


async def test_process_environment_wins_over_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "app"
    settings = _project(root, "sqlite", "file:./from-dotenv.db")
    monkeypatch.chdir(root)
    monkeypatch.setenv("DATABASE_URL", "file:./from-process.db")
    assert _cli(root, "db", "push", env={"DATABASE_URL": "file:./from-process.db"}).returncode == 0
    assert await _notes(settings) == ["hello"]
    assert (root / "prisma" / "from-process.db").is_file()
    assert not (root / "prisma" / "from-dotenv.db").exists()
    resolved = resolve_database(DatabaseConfig(schema_path="prisma/schema.prisma"), root)
    assert resolved.url_source.startswith("env var DATABASE_URL from the process environment")


def test_missing_variable_names_it_and_the_config_file(tmp_path: Path) -> None:
    root = tmp_path / "app"
    _project(root, "sqlite", "unused")
    (root / ".env").unlink()
    with pytest.raises(ConfigurationError, match=r"env var DATABASE_URL \(datasource.url in .*prisma.config.ts\)"):
        resolve_database(DatabaseConfig(schema_path="prisma/schema.prisma"), root, env={})

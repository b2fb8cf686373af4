"""A copy of examples/blog on SQLite with its tables pushed, run by the real Prisma engine."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from prisma_infra.config import load_config
from prisma_infra.infrastructure import Infrastructure

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def blog(tmp_path: Path) -> Callable[..., Infrastructure]:
    from prisma_infra_prisma.datasource import resolve_database
    from prisma_infra_prisma.schema_sync import db_push

    folder = tmp_path / "blog"
    shutil.copytree(ROOT / "examples" / "blog", folder, ignore=shutil.ignore_patterns("*.db", "generated"))
    loaded = load_config(folder / "settings.toml", environment="test")
    await db_push(resolve_database(loaded.config.database, Path(loaded.config.base_dir)))

    def make(plugins: Sequence[object] = (), **monitoring: Any) -> Infrastructure:
        loaded = load_config(folder / "settings.toml", environment="test", overrides={"monitoring": monitoring})
        return Infrastructure(loaded, plugins=plugins)

    return make

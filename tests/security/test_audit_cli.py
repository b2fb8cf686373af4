"""The audit command line is an operator's tool: it exports the whole trail, whatever the policies.

Under the recommended set (deny by default) a caller without an actor reads nothing, so the
commands would export an empty trail if they ran as one.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest
from prisma_infra.cli.app import build_app
from prisma_infra.infrastructure import Infrastructure
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[2]
AUDIT = '\n[default.audit]\nsinks = ["file"]\n\n[default.audit.sink_options.file]\npath = "audit.jsonl"\n'


def cli(*args: str) -> str:
    result = CliRunner().invoke(build_app(), list(args), env={"PRISMA_INFRA_ENV": "development"})
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.integration
def test_export_and_history_show_the_whole_trail(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "examples" / "tenants", tmp_path / "tenants", ignore=shutil.ignore_patterns("*.db"))
    settings = tmp_path / "tenants" / "settings.toml"
    settings.write_text(settings.read_text().replace("[default.policies]", AUDIT + "\n[default.policies]", 1))
    cli("db", "push", "--settings", str(settings))

    async def seed() -> None:
        async with Infrastructure.from_settings(settings) as infra:
            with infra.policies.bypass():
                await infra.call("Tenant", "create", {"data": {"id": "globex", "name": "Globex"}})
                await infra.call("User", "create", {"data": {"id": 2, "tenantId": "globex", "email": "g@globex.test",
                                                            "name": "Gus"}})
                await infra.call("Post", "create", {"data": {"id": 20, "tenantId": "globex", "authorId": 2,
                                                            "title": "Q3", "secret": "merger"}})
            with infra.acting_as({"id": 1, "roles": ["READER"], "tenant_id": "acme"}):
                assert await infra.audit.query(model="Post") == []  # a reader of acme sees none of it

    asyncio.run(seed())
    output = tmp_path / "trail.jsonl"
    assert "exported 3 events" in cli("audit", "export", str(output), "--settings", str(settings))
    events = [json.loads(line) for line in output.read_text().splitlines()]
    assert [e["model"] for e in events] == ["Tenant", "User", "Post"]
    history = cli("audit", "history", "Post", "20", "--settings", str(settings))
    [post] = [json.loads(line) for line in history.splitlines()]
    assert post["after"]["secret"] == "merger"

"""``infra.audit``: history, query, export, verify (API and CLI), custom events, status."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from prisma_infra.audit.file_sink import iter_trail
from prisma_infra.cli import build_app
from prisma_infra.errors import ConfigurationError
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.plugin_manager import PluginManager
from typer.testing import CliRunner

from core.tests.audit.audit_doubles import MemorySink, audit_infrastructure


@pytest.fixture
async def infra(tmp_path: Path) -> AsyncIterator[Infrastructure]:
    async with audit_infrastructure(tmp_path) as started:
        users = started.repository("user")
        with started.acting_as("alice"):
            a = await users.create({"email": "a@x.io", "karma": 0})
            await users.update(a["id"], {"karma": 1})
        with started.acting_as("bob"):
            b = await users.create({"email": "b@x.io", "karma": 0})
            await users.delete(b["id"])
        yield started


async def test_history_of_one_record(infra: Infrastructure) -> None:
    history = await infra.audit.history("user", 1)
    assert [e["action"] for e in history] == ["create", "update"]
    assert [e["action"] for e in await infra.audit.history("User", {"id": 2})] == ["create", "delete"]
    assert await infra.audit.history("User", 99) == []


async def test_query_by_actor_action_and_time(infra: Infrastructure) -> None:
    assert len(await infra.audit.query(actor="alice")) == 2
    assert [e["actor"] for e in await infra.audit.query(action="delete")] == ["bob"]
    assert len(await infra.audit.query(model="User", limit=3)) == 3
    everything = await infra.audit.query()
    middle = everything[2]["time"]
    assert [e["seq"] for e in await infra.audit.query(since=middle)] == [3, 4]
    assert [e["seq"] for e in await infra.audit.query(until=middle)] == [1, 2]
    tomorrow = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    assert await infra.audit.query(since=tomorrow) == []


async def test_export_as_json_lines_and_csv(infra: Infrastructure, tmp_path: Path) -> None:
    assert await infra.audit.export(tmp_path / "out.jsonl") == 4
    lines = (tmp_path / "out.jsonl").read_text().splitlines()
    assert [orjson.loads(line)["seq"] for line in lines] == [1, 2, 3, 4]
    assert await infra.audit.export(tmp_path / "out.csv", format="csv", actor="bob") == 2
    with (tmp_path / "out.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert [r["action"] for r in rows] == ["create", "delete"]
    assert orjson.loads(rows[1]["before"])["id"] == 2
    with pytest.raises(ConfigurationError, match="jsonl"):
        await infra.audit.export(tmp_path / "x", format="xml")


async def test_custom_events_join_the_chain(infra: Infrastructure) -> None:
    with infra.acting_as("carol"):
        event = await infra.audit.record("login", details={"ip_country": "NL"})
    await infra.audit.record("export", model="user", record_id=1)
    assert event["seq"] == 5 and event["actor"] == "carol"
    assert [e["action"] for e in await infra.audit.history("User", 1)] == ["create", "update", "export"]
    assert (await infra.audit.verify()).ok


async def test_verify_detects_a_tampered_file_and_names_the_event(infra: Infrastructure) -> None:
    assert (await infra.audit.verify()).ok
    path = Path(infra.config.base_dir) / "audit.jsonl"
    lines = path.read_text().splitlines()
    second = orjson.loads(lines[1])
    second["after"]["karma"] = 1000
    lines[1] = orjson.dumps(second).decode()
    path.write_text("\n".join(lines) + "\n")
    result = await infra.audit.verify()
    assert not result.ok and result.first_bad is not None and result.first_bad["id"] == second["id"]


async def test_verify_detects_the_last_event_deleted(infra: Infrastructure) -> None:
    path = Path(infra.config.base_dir) / "audit.jsonl"
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:-1]) + "\n")
    result = await infra.audit.verify()
    assert not result.ok and "last events were deleted" in result.reason


async def test_status_reports_each_sink(infra: Infrastructure) -> None:
    (status,) = infra.audit.status()
    assert status.name == "file" and status.state == "ok" and status.stored == 4 and status.buffered == 0


async def test_an_outage_is_invisible_to_writers(tmp_path: Path) -> None:
    async with audit_infrastructure(tmp_path, audit={"sinks": ["memory"], "retry_max_wait": 0.05}) as infra:
        (sink,) = MemorySink.instances
        sink.down = True
        users = infra.repository("user")
        for i in range(5):
            await users.create({"email": f"{i}@x.io"})
        assert infra.audit.status()[0].state == "buffering" and infra.audit.status()[0].buffered == 5
        sink.down = False
        assert await infra.audit.drain(timeout=5)
        assert [e["seq"] for e in sink.events] == [1, 2, 3, 4, 5]


# -- the command line ------------------------------------------------------------------------


def _cli() -> Any:
    manager = PluginManager(autoload=False, environ={})
    manager.load_all()
    return build_app(manager)


def _tamper_and_run(trail_path: Path, change: str) -> Any:
    lines = trail_path.read_text().splitlines()
    if change == "edit":
        event = orjson.loads(lines[2])
        event["actor"] = "mallory"
        lines[2] = orjson.dumps(event).decode()
    elif change == "delete":
        del lines[1]
    elif change == "reorder":
        lines[1], lines[2] = lines[2], lines[1]
    trail_path.write_text("\n".join(lines) + "\n")
    return CliRunner().invoke(_cli(), ["audit", "verify", "--path", str(trail_path)])


@pytest.fixture
def trail_file(tmp_path: Path) -> Path:
    """A trail of four events written by a real (memory-engine) infrastructure."""

    async def make() -> None:
        async with audit_infrastructure(tmp_path) as infra:
            users = infra.repository("user")
            user = await users.create({"email": "a@x.io", "karma": 0})
            await users.update(user["id"], {"karma": 1})
            await users.update(user["id"], {"karma": 2})
            await users.delete(user["id"])

    asyncio.run(make())
    return tmp_path / "audit.jsonl"


def test_cli_verify_ok(trail_file: Path) -> None:
    result = CliRunner().invoke(_cli(), ["audit", "verify", "--path", str(trail_file)])
    assert result.exit_code == 0, result.output
    assert "audit trail OK: 4 events verified" in result.output


@pytest.mark.parametrize(("change", "position", "words"), [
    ("edit", 2, "edited"),
    ("delete", 1, "deleted"),
    ("reorder", 1, "reordered"),
])
def test_cli_verify_names_the_first_bad_event(trail_file: Path, change: str, position: int, words: str) -> None:
    original = list(iter_trail(trail_file))
    result = _tamper_and_run(trail_file, change)
    assert result.exit_code == 1
    assert f"BROKEN at event {original[2]['id']}" in result.output and words in result.output
    assert f"position {position}" in result.output

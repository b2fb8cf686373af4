"""``prisma-infra serve`` refuses what it cannot serve correctly: a clear message, exit code 2, no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from prisma_infra.cli.serve_cmd import local_cache_settings
from prisma_infra.config.model import InfraConfig

from tests.real_databases import pushed
from tests.serve.serve_process import ServeProcess, fresh_client
from tests.waiting import eventually

TOKEN = "serve-cli-token-0123456789abcdef"


def serve(folder: Path, *args: str, token: str | None = TOKEN) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(folder)}
    if token is not None:
        env["PRISMA_INFRA_MONITORING__WEB__TOKEN"] = token
    return subprocess.run(
        [sys.executable, "-m", "prisma_infra", "serve", "--port", "0", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def settings(folder: Path, body: str, url: str = "file:./x.db") -> str:
    path = folder / "settings.toml"
    path.write_text(f'[default]\ndatabase.engine = "prisma"\ndatabase.url = "{url}"\n' + body)
    return str(path)


def test_invalid_settings_exit_2_naming_the_setting(tmp_path: Path) -> None:
    done = serve(tmp_path, "--settings", settings(tmp_path, "cache.ttl = -3\n"))
    assert done.returncode == 2
    assert "configuration invalid" in done.stderr and done.stderr.count("cache.ttl:") == 1
    assert "Traceback" not in done.stderr + done.stdout


def test_a_missing_settings_file_exits_2(tmp_path: Path) -> None:
    done = serve(tmp_path, "--settings", str(tmp_path / "nowhere.toml"))
    assert done.returncode == 2 and "nowhere.toml" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_dashboard_without_its_token_is_refused(tmp_path: Path) -> None:
    done = serve(tmp_path, "--settings", settings(tmp_path, ""), token=None)
    assert done.returncode == 2 and "monitoring.web" in done.stderr
    assert "Traceback" not in done.stderr


def test_an_api_prefix_on_the_kernels_paths_is_refused(tmp_path: Path) -> None:
    done = serve(tmp_path, "--settings", settings(tmp_path, 'api.prefix = "/dashboard/api"\n'))
    assert done.returncode == 2 and "api.prefix '/dashboard/api'" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_trusted_header_actor_behind_proxy_headers_is_warned_about(tmp_path: Path) -> None:
    body = 'api.auth.header.enabled = true\ncache.tiers = ["memory"]\n'
    done = serve(tmp_path, "--settings", settings(tmp_path, body), "--workers", "2")  # refused after the check
    assert "WARNING: api.auth.header with --proxy-headers" in done.stderr and done.returncode == 2
    quiet = serve(tmp_path, "--settings", settings(tmp_path, body), "--workers", "2", "--no-proxy-headers")
    assert "api.auth.header" not in quiet.stderr and quiet.returncode == 2


def test_several_workers_with_an_in_process_cache_only_are_refused(tmp_path: Path) -> None:
    done = serve(tmp_path, "--settings", settings(tmp_path, 'cache.tiers = ["memory"]\n'), "--workers", "2")
    assert done.returncode == 2
    assert "NOT invalidate" in done.stderr and "--allow-local-cache" in done.stderr and "cache.tiers" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("cache", "models", "expected"),
    [
        ({"tiers": ["memory"]}, {}, ["cache.tiers"]),
        ({"tiers": ["memory", "redis"]}, {}, []),
        ({"tiers": ["redis"]}, {}, []),
        ({"enabled": False}, {}, []),
        ({"tiers": ["memory", "redis"]}, {"Post": {"cache": {"tiers": ["memory"]}}}, ["models.Post.cache.tiers"]),
        ({"tiers": ["memory", "redis"]}, {"Post": {"cache": {"tiers": ["memory"], "enabled": False}}}, []),
    ],
)
def test_which_settings_keep_a_cache_in_one_worker(
    cache: dict[str, object], models: dict[str, object], expected: list[str]
) -> None:
    config = InfraConfig.model_validate({"cache": cache, "models": models})
    assert local_cache_settings(config) == expected


def test_a_worker_that_cannot_start_stops_the_server_with_exit_code_3(tmp_path: Path) -> None:
    """uvicorn's own parent exits 0 when a worker's startup fails; the command must not."""
    broken = settings(tmp_path, 'database.schema_path = "missing.prisma"\ncache.tiers = ["memory"]\n')
    done = serve(tmp_path, "--settings", broken, "--workers", "2", "--allow-local-cache")
    assert done.returncode == 3, done.stderr[-2000:]
    assert "invalidation is NOT shared" in done.stderr  # the loud warning --allow-local-cache still gets
    assert "failed to start" in done.stderr
    assert "prisma-infra could not start: Prisma schema not found" in done.stderr
    assert "Traceback" not in done.stderr, "our errors name the setting: no traceback"


@pytest.mark.integration
@pytest.mark.parametrize("access_log", [True, False], ids=["access-log", "no-access-log"])
async def test_one_worker_on_the_in_process_cache_serves_and_stops_on_sigterm(tmp_path: Path, access_log: bool) -> None:
    schema = tmp_path / "schema.prisma"
    schema.write_text(
        'datasource db {\n  provider = "sqlite"\n}\n\nmodel Note {\n  id Int @id @default(autoincrement())\n}\n'
    )
    url = await pushed("sqlite", "one_worker", schema, tmp_path)
    body = 'database.schema_path = "schema.prisma"\ncache.tiers = ["memory"]\n'
    process = ServeProcess(
        ["--settings", settings(tmp_path, body, url), "--port", "0", *([] if access_log else ["--no-access-log"])],
        cwd=tmp_path,
        env={"PRISMA_INFRA_MONITORING__WEB__TOKEN": TOKEN},
    )
    try:
        base = await process.started()
        async with fresh_client(base) as http:
            await eventually(lambda: _ready(http), timeout=60, what="/readyz")
            listed = await http.get("/api/note")
    finally:
        code = process.stop()
    assert listed.status_code == 200 and listed.json()["data"] == []
    assert code == 0, process.output
    assert "WARNING" not in process.output, "one worker on an in-process cache is the plain case"
    assert ('"GET /api/note HTTP/1.1" 200' in process.output) is access_log


async def _ready(http: httpx.AsyncClient) -> bool:
    return (await http.get("/readyz")).status_code == 200

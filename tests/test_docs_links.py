"""The documentation stands alone: every link and every file it names is in the repository."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted(
    [
        ROOT / "README.md",
        ROOT / "plugin_sdk" / "README.md",
        *ROOT.glob("docs/*.md"),
        *ROOT.glob("plugins/*/README.md"),
        *ROOT.glob("examples/*/README.md"),
    ]
)
#: Files the documentation names that a command writes (not kept in the repository).
WRITTEN_BY_COMMANDS = {"bench-results/latest.md": "make bench"}
_LINK = re.compile(r"\]\(([^)\s]+)\)")
_MARKDOWN_NAME = re.compile(r"(?<![\w/.-])([\w./-]+\.md)\b")


def _exists(page: Path, target: str) -> bool:
    return (page.parent / target).exists() or (ROOT / target).exists()


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_links_resolve_inside_the_repository(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    broken = [
        target
        for target in (m.group(1).split("#")[0] for m in _LINK.finditer(text))
        if target and not target.startswith(("http://", "https://", "mailto:")) and not _exists(page, target)
    ]
    assert not broken, f"{page.relative_to(ROOT)} links to files that are not in the repository: {broken}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_named_pages_exist(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    missing = [
        name
        for name in _MARKDOWN_NAME.findall(text)
        if name not in WRITTEN_BY_COMMANDS and not _exists(page, name) and not any(ROOT.glob(f"*/{name}"))
    ]
    assert not missing, f"{page.relative_to(ROOT)} names pages a reader cannot find: {missing}"


def test_the_architecture_page_links_nowhere_outside() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert not re.findall(r"https?://", text)


def test_the_checks_catch_a_missing_page(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("see [it](nowhere.md) and PERFORMANCE.md")
    assert _LINK.findall(page.read_text()) == ["nowhere.md"]
    assert _MARKDOWN_NAME.findall(page.read_text()) == ["nowhere.md", "PERFORMANCE.md"]
    assert not _exists(page, "nowhere.md")

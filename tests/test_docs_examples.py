"""Every ```python block in the README and docs/ runs, in order, as one script per page.

Blocks run in a scratch copy of ``examples/blog`` (the page's working folder),
so they may use its settings file and its SQLite database; a page that starts with
``<!-- docs-test: example NAME -->`` runs in a copy of ``examples/NAME`` instead. A block marked with
an HTML comment ``<!-- docs-test: shell -->`` before it is run as a shell command
instead; no block is ever skipped.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [p for p in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))] if p.exists()]
EXAMPLE = re.compile(r"\A\s*(?:#[^\n]*\n\s*)?<!-- docs-test: example (?P<name>\w+) -->")
BLOCK = re.compile(r"(<!-- docs-test: (?P<mode>\w+) -->\s*)?```(?P<lang>python|console)\n(?P<code>.*?)```", re.S)


def blocks(page: Path) -> list[tuple[str, str]]:
    found = []
    for match in BLOCK.finditer(page.read_text()):
        mode = match["mode"] or ("shell" if match["lang"] == "console" else "python")
        found.append((mode, match["code"]))
    return found


PAGES_WITH_CODE = [p for p in PAGES if blocks(p)]


@pytest.mark.integration
@pytest.mark.parametrize("page", PAGES_WITH_CODE, ids=[p.name for p in PAGES_WITH_CODE])
def test_page_examples_run(page: Path, tmp_path: Path) -> None:
    example = EXAMPLE.match(page.read_text())
    name = example["name"] if example else "blog"
    workdir = tmp_path / name
    shutil.copytree(ROOT / "examples" / name, workdir, ignore=shutil.ignore_patterns("*.db", "generated"))
    env = {
        **os.environ,
        "PRISMA_INFRA_ENV": "development",
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
    }
    env.pop("PRISMA_INFRA_LOAD_PLUGINS", None)
    python_code: list[str] = []
    for mode, code in blocks(page):
        if mode == "shell":
            commands = [line.removeprefix("$ ") for line in code.splitlines() if line.startswith("$ ")]
            for command in commands:
                result = subprocess.run(command, shell=True, cwd=workdir, env=env, capture_output=True, text=True)
                assert result.returncode == 0, f"{page.name}: `{command}` failed:\n{result.stdout}\n{result.stderr}"
        else:
            python_code.append(code)
    if python_code:
        script = workdir / f"{page.stem}_examples.py"
        script.write_text("\n\n".join(python_code))
        result = subprocess.run(
            [sys.executable, str(script)], cwd=workdir, env=env, capture_output=True, text=True, timeout=600
        )
        assert result.returncode == 0, f"{page.name} examples failed:\n{result.stdout}\n{result.stderr}"

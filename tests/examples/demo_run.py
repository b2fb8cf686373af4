"""`make demo`'s tour, run once for every test of its sections: the facts it showed and what it printed."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BLOG = ROOT / "examples" / "blog"


@dataclass(frozen=True)
class TourRun:
    facts: dict[str, Any]
    output: str
    folder: Path

    def section(self, name: str) -> dict[str, Any]:
        found: dict[str, Any] = self.facts[name]
        return found


def run_tour(folder: Path) -> TourRun:
    """Run the demo in a copy of examples/blog (as ``make demo`` runs it, but not in the checkout)."""
    shutil.copytree(BLOG, folder, ignore=shutil.ignore_patterns("*.db", "*.db-journal", "tour-output", "generated"))
    done = subprocess.run(
        [sys.executable, "demo.py", "--facts", "facts.json"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "HOME": str(folder), "COLUMNS": "160", "TERM": "dumb"},
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return TourRun(json.loads((folder / "facts.json").read_text()), done.stdout, folder)

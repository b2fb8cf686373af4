"""The kernel's memory-engine double comes from core/tests (see core/tests/doubles.py)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "core" / "tests"))

from __future__ import annotations

import sys
from pathlib import Path

# The KPI tests here use the analytics suite's sqlite3 engine double.
sys.path.insert(0, str(Path(__file__).parent.parent / "analytics"))
sys.path.insert(0, str(Path(__file__).parent))

"""The policy set this suite attacks is the one docs/security.md recommends, word for word."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from tests.security.policy_set import POLICY_SET

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = ROOT / "examples" / "tenants" / "settings.toml"
PAGE = ROOT / "docs" / "security.md"


def test_the_example_settings_hold_the_attacked_policy_set() -> None:
    default = tomllib.loads(SETTINGS.read_text())["default"]
    assert {"policies": default["policies"], "models": default["models"]} == POLICY_SET


def test_the_page_shows_the_example_settings_verbatim() -> None:
    blocks = re.findall(r"```toml\n(.*?)```", PAGE.read_text(), re.S)
    shown = next(b for b in blocks if "[default.policies]" in b)
    assert shown in SETTINGS.read_text()
    parsed = tomllib.loads(shown)["default"]
    assert {"policies": parsed["policies"], "models": parsed["models"]} == POLICY_SET

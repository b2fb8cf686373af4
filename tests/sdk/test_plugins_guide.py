"""The plugin author's guide (docs/plugins.md) covers every hook, every kit and the template's kinds."""

from __future__ import annotations

import json
from pathlib import Path

from prisma_infra import hookspecs
from prisma_infra_sdk import PROVIDER_KINDS
from prisma_infra_sdk.testing import contracts

ROOT = Path(__file__).resolve().parents[2]
GUIDE = (ROOT / "docs" / "plugins.md").read_text()


def test_every_hook_has_a_section_with_an_example() -> None:
    names = [n for n, v in vars(hookspecs).items() if callable(v) and hasattr(v, f"{hookspecs.PROJECT_NAME}_spec")]
    assert names
    missing = [n for n in names if f"`{n}(" not in GUIDE]
    assert not missing, f"docs/plugins.md does not document: {missing}"
    unused = [n for n in names if f"def {n}(" not in GUIDE]
    assert not unused, f"docs/plugins.md has no example implementing: {unused}"


def test_every_kit_is_documented() -> None:
    for name in contracts.__all__:
        if name.endswith("Contract"):
            assert f"`{name}`" in GUIDE, name


def test_the_template_offers_every_pluggable_provider_kind() -> None:
    choices = json.loads((ROOT / "cookiecutter-plugin" / "cookiecutter.json").read_text())["provider_kind"]
    assert set(choices) == set(PROVIDER_KINDS) - {"engine"}, "engines are too large for a template"
    for kind in choices:
        assert f"`{kind}`" in GUIDE, kind

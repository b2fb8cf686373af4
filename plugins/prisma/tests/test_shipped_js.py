"""The bridge's JavaScript modules: every relative ``require`` names a file shipped beside it."""

from __future__ import annotations

import re
from importlib import resources

from prisma_infra_prisma.toolchain import shipped_js

_RELATIVE = re.compile(r"""require\(['"](\./[^'"]+)['"]\)""")


def _modules() -> list[str]:
    folder = resources.files("prisma_infra_prisma").joinpath("js")
    return sorted(item.name for item in folder.iterdir() if item.name.endswith((".cjs", ".mjs")))


def test_every_relative_require_is_shipped() -> None:
    shipped = set(_modules())
    assert {"bridge.cjs", "adapters.cjs", "codec.cjs", "errors.cjs", "dispatch.cjs", "io.cjs"} <= shipped
    for name in shipped:
        for target in _RELATIVE.findall(shipped_js(name).read_text("utf-8")):
            assert target[2:] in shipped, f"js/{name} requires {target}, which the package does not ship"


def test_the_bridge_entry_requires_one_module_per_job() -> None:
    required = set(_RELATIVE.findall(shipped_js("bridge.cjs").read_text("utf-8")))
    assert required == {"./adapters.cjs", "./codec.cjs", "./dispatch.cjs", "./io.cjs"}

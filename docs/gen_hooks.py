"""Write docs/hooks.md from the hookspecs' signatures and docstrings.

Run ``python docs/gen_hooks.py``; a test fails when the page is out of date.
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

from prisma_infra import hookspecs

PAGE = Path(__file__).with_name("hooks.md")

INTRO = """# Plugin hooks

Every extension point of prisma-infra is a [pluggy](https://pluggy.readthedocs.io) hook
declared in `prisma_infra.hookspecs`. Implement one with `@hookimpl` (importable from
`prisma_infra_sdk`), taking any subset of the hook's parameters, and declare the module
under the `prisma_infra` entry-point group of your dist:

```toml
[project.entry-points.prisma_infra]
my_plugin = "my_plugin"
```

Registration hooks (`register_*`) run when the configuration is applied, at start-up and on
every reload; event hooks observe the infrastructure's life. An implementation may be
`async def`: the kernel awaits what comes back. This page is generated from the hookspecs'
docstrings by `docs/gen_hooks.py`.
"""


def hook_names() -> list[str]:
    return sorted(
        name
        for name, value in vars(hookspecs).items()
        if callable(value) and hasattr(value, f"{hookspecs.PROJECT_NAME}_spec")
    )


def render() -> str:
    parts = [INTRO]
    for name in hook_names():
        function = getattr(hookspecs, name)
        params = ", ".join(inspect.signature(function).parameters)
        parts.append(f"## `{name}({params})`\n\n{inspect.cleandoc(function.__doc__ or '')}\n")
    return "\n".join(parts)


if __name__ == "__main__":
    PAGE.write_text(render())
    sys.stdout.write(f"wrote {PAGE}\n")

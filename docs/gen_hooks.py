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

## How hooks are called

- **Through pluggy.** Each call is one `pm.hook.<name>(**kwargs)` call, so pluggy's rules hold.
  Implementations run last-registered first; the built-in plugins are registered first and
  marked `trylast`, so installed plugins run before them. `@hookimpl(tryfirst=True)` /
  `trylast=True` move an implementation to the front or the back.
- **Wrappers.** A `@hookimpl(wrapper=True)` generator wraps the whole call: code before its
  `yield` runs before every implementation, `result = yield` receives the list of results
  (an async implementation's result is its awaitable, which the kernel awaits after the
  call), and what it returns replaces them.
- **Isolation.** A failing event-hook implementation is logged with its plugin's name and the
  others still run. A failing `register_commands` is listed by `prisma-infra plugins` (fatal with
  `plugins.strict`). A failing registration hook fails the configuration, naming the plugin.
- **`register` is bound to its plugin**, so a name registered twice is an error naming both
  plugins, and a wrong type names the plugin that registered it. The provider kinds behind
  the `register_*` hooks (base class, what `register` takes, contract kit, install hints) are
  one table: `prisma_infra.registry.PROVIDER_KINDS` (`prisma_infra_sdk.PROVIDER_KINDS`).
- **Renamed hooks** keep their old name for one release: `register_cache_backends` is now
  `register_cache_stores` (kind `cache_stores`; `registry["cache_backends"]` still reads it).
  A plugin implementing an old name still works and gets a `DeprecationWarning` naming it.
- **Tracing.** `PRISMA_INFRA_TRACE_PLUGINS=1` (or `plugins.trace: true` in the settings) logs
  every hook call to the `prisma_infra.plugins.trace` logger, with the plugins it reached, in
  call order, and its duration (an async implementation is timed until it returns its awaitable);
  pluggy's `add_hookcall_monitoring` on `PluginManager.pm` works too.
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

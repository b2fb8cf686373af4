"""Dashboard panels contributed by plugins through ``register_dashboard_panels``.

A plugin registers ``register(name, panel)`` where ``panel`` is a `Panel`, a
mapping with ``title`` and ``data``, or any object with those attributes.
``data(kernel)`` (the `prisma_infra.kernel.Kernel`, i.e. the infrastructure) — or
``data()`` when it takes no argument — returns
(sync or async) what the panel shows; the dashboard draws it by its shape:

* a list of mappings: a table (keys of the first row are the columns);
* a mapping with ``"plotly"``: a chart, ``{"plotly": {"data": [...], "layout": {...}}}``;
* any other mapping: a two-column key/value table;
* a string or a number: text.

``data`` runs every time the dashboard refreshes (once per
``monitoring.dashboard_interval`` however many browsers watch), bounded by
``monitoring.readiness_timeout``; an error is shown in the panel (its message
masked by `prisma_infra.pii.mask_text`), never breaks the page.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from prisma_infra.errors import PluginError
from prisma_infra.pii.text import mask_text
from prisma_infra.plugin_manager import await_me_maybe

if TYPE_CHECKING:
    from prisma_infra.kernel import Kernel
    from prisma_infra.plugin_manager import PluginManager

__all__ = ["Panel", "PanelData", "collect_panels", "panel_data"]

PanelData = Callable[..., Any | Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class Panel:
    """A dashboard panel: a title and a callable returning its data (see the module doc)."""

    title: str
    data: PanelData
    description: str = ""


def _as_panel(value: Any) -> Panel | None:
    if isinstance(value, Panel):
        return value
    if isinstance(value, Mapping):
        title, data, description = value.get("title"), value.get("data"), value.get("description", "")
    else:
        title = getattr(value, "title", None)
        data = getattr(value, "data", None)
        description = getattr(value, "description", "")
    if isinstance(title, str) and title and callable(data):
        return Panel(title=title, data=data, description=str(description or ""))
    return None


def collect_panels(plugins: PluginManager) -> dict[str, tuple[str, Panel]]:
    """``name -> (plugin, Panel)`` from every plugin; a malformed panel is a `PluginError` naming its plugin."""
    found = plugins.collect(
        "register_dashboard_panels",
        check=lambda value: _as_panel(value) is not None,
        expected="a Panel (or an object with a 'title' string and a callable 'data')",
    )
    out: dict[str, tuple[str, Panel]] = {}
    for name, registration in found.items():
        panel = _as_panel(registration.factory)
        if panel is None:  # pragma: no cover - collect() checked it
            raise PluginError(f"dashboard panel {name!r} is malformed", plugin=registration.plugin)
        out[name] = (registration.plugin, panel)
    return out


def _call(data: PanelData, kernel: Kernel) -> Any:
    try:
        takes_argument = bool(inspect.signature(data).parameters)
    except (TypeError, ValueError):  # builtins without a signature: assume the documented form
        takes_argument = True
    return data(kernel) if takes_argument else data()


async def panel_data(kernel: Kernel, panels: Mapping[str, tuple[str, Panel]], timeout: float) -> list[dict[str, Any]]:
    """Every panel's current data (or its error), in registration order."""

    async def one(name: str, plugin: str, panel: Panel) -> dict[str, Any]:
        entry: dict[str, Any] = {"name": name, "plugin": plugin, "title": panel.title, "description": panel.description}
        try:
            async with asyncio.timeout(timeout):
                entry["data"] = await await_me_maybe(_call(panel.data, kernel))
        except (Exception, TimeoutError) as exc:
            # The page shows the error: masked like every other text it serves.
            timed_out = isinstance(exc, TimeoutError)
            entry["error"] = "timed out" if timed_out else f"{type(exc).__name__}: {mask_text(str(exc))}"
        return entry

    return list(await asyncio.gather(*(one(name, plugin, panel) for name, (plugin, panel) in panels.items())))

"""Dashboard sources: what a feature shows on the live dashboard (`prisma_infra.web`).

A feature publishes a `DashboardSource` when its middleware starts::

    runtime.services.add(DASHBOARD_SOURCES, CacheDashboard(manager))

and the dashboard asks every source for its sections once per refresh (however many
browsers watch), each bounded by ``monitoring.readiness_timeout``. A source that
raises or times out is logged and its sections show as unavailable; it never
breaks the page. The dashboard never imports the feature behind a source.

Sections are keys of the dashboard document. The page draws these with their own
widgets (shapes below); any other section is drawn as a panel titled by its key
(a list of mappings as a table, a mapping as a key/value table, text as text):

* ``cache`` (the cache): ``{"enabled": bool, "stores": {name: {"state", "shared",
  "last_error"}}, "invalidations": {...}}``;
* ``kpis`` (analytics): ``[{"name", "unit"?, "value"?, "status"? ("ok" | "warning" |
  "critical"), "thresholds"? {"warning"?, "critical"?}, "points": [[time, value], ...]}]``,
  ``time`` in Unix seconds or ISO 8601;
* ``alerts`` (analytics): ``[{"name", "severity", "message", "since"? (Unix seconds or
  ISO), "source"?}]``;
* ``exporters`` (monitoring): the names of the metrics exporters in use.

The numbers at the top of the document (``totals``, ``series``, ``models``, errors...)
are the `prisma_infra.monitoring.monitor.Monitor` snapshot of this process, or, when
monitoring publishes a `DeploymentView` under `DEPLOYMENT` (always, while its
middleware runs), the view's document: every live process of the deployment merged
through the shared cache store, with a ``processes`` list and a ``deployment``
summary (``store``, ``status``, ``processes``, ``live_for_s``).

The dashboard is served to an authenticated role, but nothing on it holds a value in
clear: a source masks what it returns (store errors may quote a URL or a key's value).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from prisma_infra.stash import ServiceKey

__all__ = ["DASHBOARD_SECTIONS", "DASHBOARD_SOURCES", "DEPLOYMENT", "DashboardSource", "DeploymentView"]

#: The sections the page draws with their own widgets (see the module doc).
DASHBOARD_SECTIONS = ("cache", "kpis", "alerts", "exporters")


class DashboardSource(Protocol):
    """One feature's part of the dashboard document."""

    @property
    def name(self) -> str:
        """The feature publishing it (``"cache"``, ``"analytics"``, ``"security"``): logs and panel labels."""
        ...

    async def dashboard_sections(self) -> Mapping[str, object]:
        """This refresh's sections, ``{section: data}`` (JSON-friendly; see the module doc)."""
        ...


DASHBOARD_SOURCES: ServiceKey[list[DashboardSource]] = ServiceKey("dashboard sources")


class DeploymentView(Protocol):
    """The monitoring numbers of the whole deployment (`prisma_infra.monitoring.deployment`)."""

    async def document(self) -> dict[str, Any]:
        """The document's numbers (the shape of ``Monitor.snapshot``) for every live process."""
        ...


DEPLOYMENT: ServiceKey[DeploymentView] = ServiceKey("dashboard deployment")

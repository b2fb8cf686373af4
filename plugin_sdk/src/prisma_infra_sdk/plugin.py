"""`Plugin`: the seed's plugin interface (``name``, ``install``, ``configure``) on top of hooks.

``install(infrastructure)`` runs on the ``startup`` hook and ``configure(config)``
on ``configuration_changed`` with the plugin's own options (``plugins.options.<name>``).
Subclasses add any other hook as a method decorated with ``@hookimpl``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from prisma_infra.hookspecs import hookimpl
from prisma_infra.plugin_manager import await_me_maybe

if TYPE_CHECKING:
    from prisma_infra.config.model import InfraConfig
    from prisma_infra.infrastructure import Infrastructure

__all__ = ["Plugin"]


class Plugin:
    """Base class for class-style plugins; point the entry point at the subclass."""

    name: ClassVar[str] = ""

    def install(self, infrastructure: Infrastructure) -> Any:
        """Called once the infrastructure has started; may be ``async``."""

    def configure(self, config: Mapping[str, Any]) -> Any:
        """Called with this plugin's options at start-up and after every reload; may be ``async``."""

    @hookimpl
    async def startup(self, infrastructure: Infrastructure) -> None:
        await await_me_maybe(self.install(infrastructure))

    @hookimpl
    async def configuration_changed(self, config: InfraConfig) -> None:
        await await_me_maybe(self.configure(config.plugins.options.get(self.name, {})))

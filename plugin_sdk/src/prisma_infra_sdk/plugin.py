"""`Plugin`: the seed's plugin interface (``name``, ``install``, ``configure``) on top of hooks.

``install(infrastructure)`` runs on the ``startup`` hook and ``configure(config)``
on ``configuration_changed`` with the plugin's own options (``plugins.options.<name>``).
Providers can be declared as class attributes, which become registration hooks::

    class MyPlugin(Plugin):
        name = "mine"
        cache_stores = {"mine": MyStore}
        audit_sinks = {"mine-audit": MySink}

Subclasses add any other hook as a method decorated with ``@hookimpl`` (an
explicit ``register_*`` method wins over the declaration of the same kind).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from prisma_infra.hookspecs import DEPRECATED_HOOKS, hookimpl
from prisma_infra.plugin_manager import await_me_maybe

from prisma_infra_sdk.kinds import PROVIDER_KINDS

if TYPE_CHECKING:
    from prisma_infra.config.model import InfraConfig
    from prisma_infra.infrastructure import Infrastructure

__all__ = ["DECLARED_PROVIDERS", "Plugin"]

#: Class attribute -> the registration hook it becomes (the kernel's provider-kind table).
DECLARED_PROVIDERS: dict[str, str] = {kind.key: kind.hook for kind in PROVIDER_KINDS.values()}


def _registration_hook(attribute: str, hook: str) -> Callable[..., None]:
    def register_declared(self: Plugin, register: Callable[[str, object], None]) -> None:
        for provider_name, factory in getattr(self, attribute).items():
            register(provider_name, factory)

    register_declared.__name__ = register_declared.__qualname__ = hook
    register_declared.__doc__ = f"Registers the providers declared in ``{attribute}``."
    marked: Callable[..., None] = hookimpl(register_declared)
    return marked


class Plugin:
    """Base class for class-style plugins; point the entry point at the subclass."""

    name: ClassVar[str] = ""
    engines: ClassVar[Mapping[str, Any]] = {}
    cache_stores: ClassVar[Mapping[str, Any]] = {}
    search_providers: ClassVar[Mapping[str, Any]] = {}
    audit_sinks: ClassVar[Mapping[str, Any]] = {}
    metrics_exporters: ClassVar[Mapping[str, Any]] = {}
    pii_detectors: ClassVar[Mapping[str, Any]] = {}
    middleware: ClassVar[Mapping[str, Any]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for attribute, hook in DECLARED_PROVIDERS.items():
            if cls.__dict__.get(attribute) and hook not in cls.__dict__:
                setattr(cls, hook, _registration_hook(attribute, hook))
        for old, hook in DEPRECATED_HOOKS.items():
            if old in cls.__dict__ and hook not in cls.__dict__:
                setattr(cls, hook, None)  # an explicit old-name method wins over an inherited declaration

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

"""The plugin is discovered through its entry point and registers the ``redis`` store."""

from __future__ import annotations

from prisma_infra_redis import RedisStore
from prisma_infra_sdk.testing import PluginManager, collect_registry


def test_entry_point_registers_the_store() -> None:
    plugins = PluginManager(environ={})
    plugins.load_all()
    assert plugins.is_loaded("redis")
    registration = collect_registry(plugins)["cache_stores"]["redis"]
    assert registration.factory is RedisStore and registration.plugin == "redis"
    assert RedisStore.shared is True

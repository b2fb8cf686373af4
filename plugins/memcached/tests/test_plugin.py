"""The plugin is discovered through its entry point and registers the ``memcached`` store."""

from __future__ import annotations

from prisma_infra_memcached import MemcachedStore
from prisma_infra_memcached.store import _expire, _server
from prisma_infra_sdk.testing import PluginManager, collect_registry


def test_entry_point_registers_the_store() -> None:
    plugins = PluginManager(environ={})
    plugins.load_all()
    assert plugins.is_loaded("memcached")
    registration = collect_registry(plugins)["cache_stores"]["memcached"]
    assert registration.factory is MemcachedStore and registration.plugin == "memcached"
    assert MemcachedStore.shared is True


def test_options() -> None:
    assert _server("10.0.0.1:11212") == ("10.0.0.1", 11212)
    assert _server("cache") == ("cache", 11211)
    assert _expire(None) == 0 and _expire(0.2) == 1 and _expire(59.5) == 60
    assert _expire(40 * 24 * 3600) > 10**9  # beyond 30 days memcached wants an absolute time
    assert MemcachedStore({"servers": "h:1"}).servers == [("h", 1)]

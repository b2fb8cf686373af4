"""The plugin as an application sees it: loaded from its entry point by a real `Infrastructure`.

``infrastructure_with`` comes from the SDK's pytest plugin: it starts the kernel
(with its built-in plugins) on the SDK's in-memory engine and closes it after
the test. Passing the entry-point name loads the plugin the way production
does, so this fails if ``pyproject.toml`` does not declare it.
"""

from typing import Any

from prisma_infra_sdk.testing import PluginManager, collect_registry

from {{ cookiecutter.__package }} import PROVIDER_NAME

ENTRY_POINT = "{{ cookiecutter.__underscored }}"


def test_the_entry_point_registers_the_provider() -> None:
    manager = PluginManager(load=[ENTRY_POINT], strict=True, environ={})
    manager.load_all()
    assert manager.is_loaded(ENTRY_POINT), "install the plugin first: pip install -e ."
    registry = collect_registry(manager)
    registered = {name: reg.plugin for kind in registry.values() for name, reg in kind.items()}
    assert registered[PROVIDER_NAME] == ENTRY_POINT
{% if cookiecutter.provider_kind == "cache_store" %}

async def test_a_cached_read_is_served_by_the_store(infrastructure_with: Any) -> None:
    infra = await infrastructure_with(ENTRY_POINT, {"cache": {"tiers": [PROVIDER_NAME]}})
    users = infra.repository("user")
    await users.create({"email": "ada@example.com"})
    engine_calls = len(infra.engine.calls)
    first = await users.find_many(where={"email": "ada@example.com"})
    second = await users.find_many(where={"email": "ada@example.com"})
    assert first == second and first[0]["email"] == "ada@example.com"
    assert len(infra.engine.calls) == engine_calls + 1, "the second read must come from the cache"
    assert infra.cache.stats()["models"]["User"]["tiers"][PROVIDER_NAME]["hits"] >= 1
{% elif cookiecutter.provider_kind == "audit_sink" %}

async def test_a_write_reaches_the_sink(infrastructure_with: Any, tmp_path: Any) -> None:
    trail = tmp_path / "trail.jsonl"
    config = {"audit": {"sinks": [PROVIDER_NAME], "sink_options": {PROVIDER_NAME: {"path": str(trail)}}}}
    infra = await infrastructure_with(ENTRY_POINT, config)
    await infra.repository("user").create({"email": "ada@example.com"})
    await infra.close()  # flushes the audit writer
    lines = trail.read_text().splitlines()
    assert any('"model":"User"' in line and '"action":"create"' in line for line in lines), lines
{% elif cookiecutter.provider_kind == "pii_detector" %}

async def test_the_kernel_uses_the_detector(infrastructure_with: Any) -> None:
    infra = await infrastructure_with(ENTRY_POINT)
    best = infra.pii.best("EMP-004217", field="employee")
    assert best is not None and best.category == "{{ cookiecutter.__underscored }}"
    assert "EMP-004217" not in infra.pii.mask_text("Ask EMP-004217 about it")
{% elif cookiecutter.provider_kind == "metrics_exporter" %}

async def test_operations_reach_the_exporter(infrastructure_with: Any) -> None:
    infra = await infrastructure_with(ENTRY_POINT, {"monitoring": {"exporters": [PROVIDER_NAME]}})
    await infra.repository("user").create({"email": "ada@example.com"})
    await infra.repository("user").find_many()
    from prisma_infra_sdk import METRICS_EXPORTERS

    exporter = infra.runtime.services[METRICS_EXPORTERS][PROVIDER_NAME]
    snapshot = exporter.snapshot()
    assert snapshot["User.create"]["operations"] == 1 and snapshot["User.findMany"]["operations"] == 1
{% elif cookiecutter.provider_kind == "search_provider" %}

async def test_the_infrastructure_registers_the_provider(infrastructure_with: Any) -> None:
    infra = await infrastructure_with(ENTRY_POINT)
    assert infra.runtime.registry["search_providers"][PROVIDER_NAME].plugin == ENTRY_POINT
{% elif cookiecutter.provider_kind == "middleware" %}

async def test_operations_go_through_the_middleware(infrastructure_with: Any) -> None:
    infra = await infrastructure_with(ENTRY_POINT, {"plugins": {"options": {ENTRY_POINT: {"tag": "reviewed"}}}})
    (middleware,) = [m for m in infra.runtime.middleware if m.name == PROVIDER_NAME]
    await infra.repository("user").create({"email": "ada@example.com"})
    await infra.repository("user").find_many()
    assert middleware.tag == "reviewed"
    assert middleware.tagged["User.create"] == 1 and middleware.tagged["User.findMany"] == 1
{% endif %}

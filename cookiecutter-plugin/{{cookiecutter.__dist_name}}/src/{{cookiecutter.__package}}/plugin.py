"""The entry point (``prisma_infra`` group): registers the {{ cookiecutter.provider_kind | replace('_', ' ') }}.

The kernel calls registration hooks when the configuration is applied (at
start-up and on every reload), with a ``register(name, provider)`` callable.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prisma_infra_sdk import hookimpl

from {{ cookiecutter.__package }} import PROVIDER_NAME, Provider

name = "{{ cookiecutter.__underscored }}"

{% if cookiecutter.provider_kind == "cache_store" %}
@hookimpl
def register_cache_stores(register: Callable[[str, Any], None]) -> None:
    """Select it with ``cache.tiers``; options come from ``cache.stores.{{ cookiecutter.__hyphenated }}``."""
    register(PROVIDER_NAME, Provider)
{% elif cookiecutter.provider_kind == "audit_sink" %}
@hookimpl
def register_audit_sinks(register: Callable[[str, Any], None]) -> None:
    """Select it with ``audit.sinks``; options come from ``audit.sink_options.{{ cookiecutter.__hyphenated }}``."""
    register(PROVIDER_NAME, Provider)
{% elif cookiecutter.provider_kind == "pii_detector" %}
@hookimpl
def register_pii_detectors(register: Callable[[str, Any], None]) -> None:
    """Registered detectors run unless named in ``pii.disable``."""
    register(PROVIDER_NAME, Provider())
{% elif cookiecutter.provider_kind == "metrics_exporter" %}
@hookimpl
def register_metrics_exporters(register: Callable[[str, Any], None]) -> None:
    """Select it with ``monitoring.exporters``; options come from ``monitoring.exporter_options``."""
    register(PROVIDER_NAME, Provider)
{% elif cookiecutter.provider_kind == "search_provider" %}
@hookimpl
def register_search_providers(register: Callable[[str, Any], None]) -> None:
    """Full-text search over ``models.<Model>.searchable`` fields."""
    register(PROVIDER_NAME, Provider)
{% elif cookiecutter.provider_kind == "middleware" %}
@hookimpl
def register_middleware(register: Callable[[str, Any], None]) -> None:
    """Joins every pipeline; place it with ``pipeline.order``, turn it off with ``pipeline.disable``."""
    register(PROVIDER_NAME, Provider)
{% endif %}

"""{{ cookiecutter.__dist_name }}: {{ cookiecutter.description }}"""

{% if cookiecutter.provider_kind == "cache_store" -%}
from {{ cookiecutter.__package }}.cache_store import {{ cookiecutter.__class_prefix }}Store as Provider
{%- elif cookiecutter.provider_kind == "audit_sink" -%}
from {{ cookiecutter.__package }}.audit_sink import {{ cookiecutter.__class_prefix }}Sink as Provider
{%- elif cookiecutter.provider_kind == "pii_detector" -%}
from {{ cookiecutter.__package }}.pii_detector import {{ cookiecutter.__class_prefix }}Detector as Provider
{%- elif cookiecutter.provider_kind == "metrics_exporter" -%}
from {{ cookiecutter.__package }}.metrics_exporter import {{ cookiecutter.__class_prefix }}Exporter as Provider
{%- elif cookiecutter.provider_kind == "search_provider" -%}
from {{ cookiecutter.__package }}.search_provider import {{ cookiecutter.__class_prefix }}Search as Provider
{%- elif cookiecutter.provider_kind == "middleware" -%}
from {{ cookiecutter.__package }}.middleware import {{ cookiecutter.__class_prefix }}Middleware as Provider
{%- endif %}

__all__ = ["PROVIDER_NAME", "Provider"]
__version__ = "{{ cookiecutter.version }}"

#: The name the provider is registered under (what the settings refer to).
PROVIDER_NAME = "{{ cookiecutter.__hyphenated }}"

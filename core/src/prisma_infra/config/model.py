"""`InfraConfig`: the validated shape of every setting.

Unknown keys are errors (``extra="forbid"``) so that a typo is reported with
the closest valid key instead of being silently ignored.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr

__all__ = [
    "AnalyticsConfig",
    "AuditConfig",
    "CacheConfig",
    "DatabaseConfig",
    "InfraConfig",
    "ModelCacheConfig",
    "ModelConfig",
    "MonitoringConfig",
    "PipelineConfig",
    "PluginsConfig",
    "Section",
]


class Section(BaseModel):
    """Base of every settings section: strict keys, immutable once validated."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class DatabaseConfig(Section):
    engine: str = "prisma"
    """Registered engine name."""
    schema_path: str = "prisma/schema.prisma"
    """Path of the Prisma schema (relative paths resolve from the settings file's folder)."""
    url: SecretStr | None = None
    """Connection URL; overrides the schema's datasource ``url``/``env()``."""
    pool_size: int = Field(default=10, ge=1, le=1000)
    connect_timeout: float = Field(default=10.0, gt=0)
    operation_timeout: float = Field(default=30.0, gt=0)
    """Seconds before an operation is abandoned with `OperationTimeoutError`."""
    max_in_flight: int = Field(default=1000, ge=1)
    """Operations sent to the engine at once; more wait (back-pressure)."""
    transaction_timeout: float = Field(default=5.0, gt=0)
    transaction_max_wait: float = Field(default=2.0, gt=0)
    options: dict[str, Any] = Field(default_factory=dict)
    """Engine-specific settings."""


class ModelCacheConfig(Section):
    enabled: bool | None = None
    ttl: float | None = Field(default=None, ge=0)
    swr: float | None = Field(default=None, ge=0)
    tiers: list[str] | None = None
    cache_empty: bool | None = None


class CacheConfig(Section):
    enabled: bool = True
    tiers: list[str] = Field(default_factory=lambda: ["memory"])
    """Store names, nearest first."""
    ttl: float = Field(default=60.0, ge=0)
    swr: float = Field(default=0.0, ge=0)
    jitter: float = Field(default=0.1, ge=0, le=1)
    """Fraction of the TTL added at random so entries do not expire together."""
    cache_empty: bool = False
    store_timeout: float = Field(default=0.25, gt=0)
    stores: dict[str, dict[str, Any]] = Field(default_factory=dict)
    """Options per store name (``cache.stores.redis.url`` ...)."""
    warm: list[dict[str, Any]] = Field(default_factory=list)
    warm_interval: float | None = Field(default=None, gt=0)


class AnalyticsConfig(Section):
    enabled: bool = True
    kpis: list[dict[str, Any]] = Field(default_factory=list)
    alerts: list[dict[str, Any]] = Field(default_factory=list)
    reports: list[dict[str, Any]] = Field(default_factory=list)


class AuditConfig(Section):
    enabled: bool = True
    sinks: list[str] = Field(default_factory=list)
    sink_options: dict[str, dict[str, Any]] = Field(default_factory=dict)
    buffer_dir: str = ".prisma-infra/audit-buffer"
    hash_key: SecretStr | None = None


class MonitoringConfig(Section):
    enabled: bool = True
    exporters: list[str] = Field(default_factory=list)
    exporter_options: dict[str, dict[str, Any]] = Field(default_factory=dict)
    slow_operation_ms: float = Field(default=200.0, gt=0)
    recent_errors: int = Field(default=100, ge=0)


class PluginsConfig(Section):
    strict: bool = False
    """Make a plugin that fails to load fatal instead of reported and skipped."""
    load: list[str] | None = None
    """Allowlist of plugin names (``None``: all installed)."""
    disable: list[str] = Field(default_factory=list)
    options: dict[str, dict[str, Any]] = Field(default_factory=dict)
    """Per-plugin settings handed to `Plugin.configure`."""


class PipelineConfig(Section):
    order: list[str] = Field(default_factory=list)
    """Middleware names, outermost first; unlisted middleware follow by their ``order``."""
    disable: list[str] = Field(default_factory=list)


class ModelConfig(Section):
    cache: ModelCacheConfig = Field(default_factory=ModelCacheConfig)
    audit: bool | None = None
    searchable: list[str] | None = None
    pii: dict[str, str] = Field(default_factory=dict)
    """Field name → PII category (or ``"none"``) overriding the classifier."""
    policies: list[dict[str, Any]] = Field(default_factory=list)


class InfraConfig(Section):
    environment: str = "development"
    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    cache: CacheConfig = Field(default_factory=CacheConfig)
    analytics: AnalyticsConfig = Field(default_factory=AnalyticsConfig)
    audit: AuditConfig = Field(default_factory=AuditConfig)
    monitoring: MonitoringConfig = Field(default_factory=MonitoringConfig)
    plugins: PluginsConfig = Field(default_factory=PluginsConfig)
    pipeline: PipelineConfig = Field(default_factory=PipelineConfig)
    models: dict[str, ModelConfig] = Field(default_factory=dict)
    """Per-model settings keyed by Prisma model name."""
    base_dir: str = "."
    """Folder that relative paths resolve from (the settings file's folder)."""

    def model_settings(self, model: str) -> ModelConfig:
        """Settings for ``model`` (matched case-insensitively), defaults when absent."""
        found = self.models.get(model)
        if found is not None:
            return found
        lower = model.lower()
        for name, value in self.models.items():
            if name.lower() == lower:
                return value
        return ModelConfig()

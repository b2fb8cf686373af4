"""Configuration: the validated model and the Dynaconf loader."""

from prisma_infra.config.model import (
    AnalyticsConfig,
    AuditConfig,
    CacheConfig,
    DatabaseConfig,
    InfraConfig,
    ModelCacheConfig,
    ModelConfig,
    MonitoringConfig,
    PipelineConfig,
    PluginsConfig,
)

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
]

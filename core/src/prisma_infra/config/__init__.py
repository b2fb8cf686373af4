"""Configuration: the validated model and the Dynaconf loader."""

from prisma_infra.config.loader import LoadedConfig, load_config, reload_config, require_secret, validate_config
from prisma_infra.config.masking import mask_secrets
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
    "LoadedConfig",
    "ModelCacheConfig",
    "ModelConfig",
    "MonitoringConfig",
    "PipelineConfig",
    "PluginsConfig",
    "load_config",
    "mask_secrets",
    "reload_config",
    "require_secret",
    "validate_config",
]

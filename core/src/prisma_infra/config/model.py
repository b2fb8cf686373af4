"""`InfraConfig`: the validated shape of every setting.

Unknown keys are errors (``extra="forbid"``) so that a typo is reported with
the closest valid key instead of being silently ignored.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from prisma_infra.config.api import ApiConfig, ModelApiConfig
from prisma_infra.config.section import Section

__all__ = [
    "AnalyticsConfig",
    "AnchorConfig",
    "ApiConfig",
    "AuditConfig",
    "CacheConfig",
    "DatabaseConfig",
    "InfraConfig",
    "ModelApiConfig",
    "ModelCacheConfig",
    "ModelConfig",
    "MonitoringConfig",
    "PiiConfig",
    "PipelineConfig",
    "PluginsConfig",
    "PoliciesConfig",
    "Section",
    "SecurityConfig",
    "WebConfig",
]




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
    yield_every: int = Field(default=32, ge=0)
    """In-process hits answered in a row before one yields to the event loop (``0``: never yield)."""


# -- analytics (owned by prisma_infra.analytics / prisma_infra.alerts; see docs/analytics.md)
#: An interval in seconds, or a cron expression (``"*/5 * * * *"``, five fields, UTC).
Schedule = float | str

_INTERVALS = Literal["hour", "day", "week", "month", "quarter", "year"]
_FORMATS = Literal["json", "csv", "html"]


class ThresholdsConfig(Section):
    warning: float | None = None
    critical: float | None = None
    direction: Literal["above", "below"] = "above"
    """``above``: a value above a threshold is bad (errors); ``below``: below it is bad (sign-ups)."""


class KpiConfig(Section):
    name: str = Field(min_length=1)
    model: str
    metric: str | dict[str, Any] = "count"
    """An analytics metric: ``"count"``, ``"sum:views"``, ``"growth_rate"``, ``{"avg": "price"}``..."""
    where: dict[str, Any] = Field(default_factory=dict)
    date_field: str | None = None
    interval: _INTERVALS = "day"
    window: int = Field(default=7, ge=2, le=1000)
    """Buckets used for the trend (least-squares slope) and the anomaly score (z-score against their mean)."""
    include_current: bool = False
    """Use the current, incomplete bucket as the KPI's value (default: the last complete one)."""
    thresholds: ThresholdsConfig | None = None
    """When the value crosses one, the KPI's status changes and an alert is raised."""
    alert_after: int = Field(default=1, ge=1)
    """Evaluations in a row past a threshold before the KPI alerts."""
    schedule: Schedule | None = None
    """When to evaluate (default ``analytics.evaluate_every``)."""
    unit: str | None = None
    description: str | None = None


class AlertRuleConfig(Section):
    name: str = Field(min_length=1)
    source: Literal["kpi", "error_rate", "p95_latency_ms", "cache_hit_ratio"] = "kpi"
    """``kpi`` reads a KPI; the others read the monitor (and the cache manager) of this process."""
    kpi: str | None = None
    """The KPI's name (``source = "kpi"``)."""
    value: Literal["value", "trend", "anomaly"] = "value"
    """What of the KPI: its value, its trend (slope per bucket) or its anomaly z-score."""
    operator: Literal[">", ">=", "<", "<="] = ">"
    threshold: float
    for_evaluations: int = Field(default=1, ge=1)
    """Evaluations in a row past the threshold before the alert fires."""
    for_seconds: float = Field(default=0.0, ge=0)
    """...and for at least this long."""
    severity: Literal["info", "warning", "critical"] = "warning"
    message: str | None = None
    """``{name}``, ``{value}``, ``{threshold}``, ``{operator}`` are replaced."""
    sinks: list[str] | None = None
    """Sink names (default: every sink)."""
    schedule: Schedule | None = None
    """For operational rules (default ``analytics.evaluate_every``); KPI rules run after each KPI evaluation."""


class AlertSinkConfig(Section):
    name: str = Field(min_length=1)
    type: Literal["log", "webhook", "email"]
    min_severity: Literal["info", "warning", "critical"] = "info"
    # webhook
    url: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    timeout: float = Field(default=5.0, gt=0)
    """Seconds one delivery may take in all (every attempt, wait and byte of the answer)."""
    retries: int = Field(default=3, ge=1, le=20)
    """Attempts (with exponential backoff) before a delivery is given up."""
    max_response_bytes: int = Field(default=65_536, ge=1)
    """Bytes of a webhook's answer read at most (the rest is never read)."""
    queue: int = Field(default=100, ge=1)
    """Alerts waiting for this sink at most; more are dropped (counted and logged)."""
    # email
    host: str = "127.0.0.1"
    port: int = Field(default=25, ge=1, le=65535)
    username: str | None = None
    password: SecretStr | None = None
    security: Literal["none", "starttls", "ssl"] = "starttls"
    """``starttls`` (refused when the server does not offer it), ``ssl``; ``none`` (plain) must be explicit."""
    ca_file: str | None = None
    """CA certificates (PEM) the SMTP server's certificate is verified against (default: the system's)."""
    sender: str = "prisma-infra@localhost"
    recipients: list[str] = Field(default_factory=list)
    # log
    logger: str = "prisma_infra.alerts"


class ReportQueryConfig(Section):
    model: str
    metrics: list[str | dict[str, Any]] = Field(default_factory=lambda: list[str | dict[str, Any]](["count"]))
    group_by: list[str] = Field(default_factory=list)
    interval: _INTERVALS | None = "day"
    since: str = "30d"
    """How far back: ``"30d"``, ``"12h"``, ``"8w"``, ``"6m"``, ``"1y"``."""
    where: dict[str, Any] = Field(default_factory=dict)
    date_field: str | None = None
    title: str | None = None


class ReportConfig(Section):
    name: str = Field(min_length=1)
    schedule: Schedule
    queries: list[ReportQueryConfig] = Field(default_factory=list)
    kpis: list[str] = Field(default_factory=list)
    """KPI names whose latest state the report lists."""
    formats: list[_FORMATS] = Field(default_factory=lambda: list[_FORMATS](["html"]))
    sinks: list[str] | None = None


class AnalyticsConfig(Section):
    enabled: bool = True
    """Evaluate KPIs, alert rules and reports on their schedules (queries work either way)."""
    evaluate_every: Schedule = 60.0
    """Default schedule of KPIs and operational alert rules."""
    history: int = Field(default=1000, ge=1, le=1_000_000)
    """Evaluations kept per KPI."""
    history_file: str | None = None
    """JSON file the KPI history is saved to and reloaded from (relative to the settings file)."""
    max_result_rows: int = Field(default=100_000, ge=1)
    """Most (bucket, group) rows one analytics query may return."""
    notify_resolved: bool = True
    """Tell the sinks when a firing alert is resolved."""
    kpis: list[KpiConfig] = Field(default_factory=list)
    alerts: list[AlertRuleConfig] = Field(default_factory=list)
    reports: list[ReportConfig] = Field(default_factory=list)
    sinks: list[AlertSinkConfig] = Field(default_factory=list)


# -- end analytics


# -- audit.anchor (owned by prisma_infra.audit.anchor; see docs/audit.md)
_ANCHOR_LOCATIONS = {
    "file": "audit/anchors.jsonl",
    "database": "AuditAnchor",
    "redis": "prisma-infra:audit:anchors",
    "nats": "audit.anchors",
}


class AnchorConfig(Section):
    """Where and how often the chain head is anchored outside the trail (off until ``store`` is set)."""

    store: Literal["file", "database", "redis", "nats"] | None = None
    """``file``, ``database`` (a table of the application's database), ``redis`` or ``nats`` (JetStream)."""
    location: str | None = None
    """File path, table name, Redis key or NATS subject prefix (default per store: see docs/audit.md)."""
    url: SecretStr | None = None
    """Redis or NATS server URL (default ``redis://127.0.0.1:6379/0`` / ``nats://127.0.0.1:4222``)."""
    stream: str = Field(default="AUDIT_ANCHORS", pattern=r"^[A-Za-z0-9_-]+$")
    """JetStream stream holding the anchors (``nats``), created when missing."""
    every_events: int | None = Field(default=1000, ge=1)
    """Anchor after this many events (``None``: only by time)."""
    every_seconds: float | None = Field(default=60.0, gt=0)
    """Anchor when events were written and this many seconds passed since the last anchor."""
    timeout: float = Field(default=2.0, gt=0)
    """Seconds the store may take (connecting, publishing)."""

    @model_validator(mode="after")
    def _check_location(self) -> AnchorConfig:
        if self.store is None:
            return self
        location = self.where
        if not location.strip():
            raise ValueError(f"audit.anchor.location: empty for store {self.store!r}")
        if self.store == "database" and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", location):
            raise ValueError(f"audit.anchor.location: {location!r} is not a plain table name")
        if self.store == "nats" and not re.fullmatch(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*", location):
            raise ValueError(f"audit.anchor.location: {location!r} is not a NATS subject (no wildcards)")
        if self.every_events is None and self.every_seconds is None:
            raise ValueError("audit.anchor: set every_events or every_seconds (or both)")
        return self

    @property
    def where(self) -> str:
        """The location, or the store's default one."""
        if self.location is not None:
            return self.location
        return _ANCHOR_LOCATIONS[self.store] if self.store is not None else ""


# -- end audit.anchor


class AuditConfig(Section):
    enabled: bool = True
    sinks: list[str] = Field(default_factory=list)
    sink_options: dict[str, dict[str, Any]] = Field(default_factory=dict)
    buffer_dir: str = ".prisma-infra/audit-buffer"
    hash_key: SecretStr | None = None
    # -- audit (owned by prisma_infra.audit; see docs/audit.md)
    chain: str = "default"
    """Name of this writer's hash chain (one per process that writes events)."""
    before_images: bool = True
    """Read before-images in the write's transaction (opens one around a single write)."""
    read_batch_size: int = Field(default=1000, ge=1)
    """Rows per before/after-image read for ``updateMany``/``deleteMany``."""
    sink_timeout: float = Field(default=5.0, gt=0)
    """Seconds a sink may take to store a batch before the batch goes to the durable buffer."""
    retry_max_wait: float = Field(default=30.0, gt=0)
    """Longest pause, in seconds, between two replays of a sink's buffer (exponential backoff)."""
    report_roles: list[str] = Field(default_factory=list)
    """Actor roles that see PII in compliance reports (everyone else gets masked values)."""
    outbox: bool = False
    """Save each write's events in ``_prisma_infra_audit_outbox`` in the write's own transaction (docs/audit.md)."""
    anchor: AnchorConfig = Field(default_factory=AnchorConfig)
    """Signed checkpoints of the chain head in a second store (`prisma_infra.audit.anchor`)."""
    # -- end audit


# -- monitoring.web (owned by prisma_infra.web; see docs/monitoring.md)
class WebConfig(Section):
    """Who may use the kernel's web app (dashboard, snapshot, events, ``/metrics``, plugin routes)."""

    auth: str = "bearer"
    """``bearer``, ``basic``, ``none`` (open: explicit, logged loudly) or ``package.module:callable``."""
    token: SecretStr | None = None
    """The bearer token (``auth = "bearer"``): in ``.secrets.toml`` or ``PRISMA_INFRA_MONITORING__WEB__TOKEN``."""
    users: dict[str, SecretStr] = Field(default_factory=dict)
    """User name → password (``auth = "basic"``)."""
    roles: list[str] = Field(default_factory=lambda: ["monitoring"])
    """Roles of the actor a valid bearer token or basic password authenticates."""
    role: str | None = "monitoring"
    """Role the actor must have (403 otherwise); ``None``: any authenticated actor."""
    allowed_hosts: list[str] | None = None
    """``Host`` names served (``*.example.com`` patterns, ``*``: any); ``None``: dashboard_host and localhost."""
    realm: str = "prisma-infra"

    @field_validator("allowed_hosts")
    @classmethod
    def _host_patterns(cls, hosts: list[str] | None) -> list[str] | None:
        for host in hosts or ():
            if "*" in host[1:] or (host.startswith("*") and host != "*" and not host.startswith("*.")):
                raise ValueError(f"{host!r}: a wildcard is '*' alone or a leading '*.' (e.g. '*.example.com')")
        return hosts


# -- end monitoring.web


class MonitoringConfig(Section):
    enabled: bool = True
    """Measure every operation (the ``metrics`` middleware); off, it passes operations through untouched."""
    exporters: list[str] = Field(default_factory=list)
    """Metrics exporter names (``prometheus`` ...); each receives every measured operation."""
    exporter_options: dict[str, dict[str, Any]] = Field(default_factory=dict)
    slow_operation_ms: float = Field(default=200.0, gt=0)
    """Operations slower than this are recorded (args masked) and analysed for a missing index."""
    recent_errors: int = Field(default=100, ge=0)
    """Failed operations kept, with their stack traces, for the dashboard."""
    slow_operations: int = Field(default=100, ge=0)
    """Slow operations kept for the dashboard."""
    history_seconds: int = Field(default=600, ge=10, le=86_400)
    """Seconds of one-second buckets kept for the dashboard's time series."""
    query_analysis: bool = True
    """Detect N+1 patterns and suggest indexes for slow operations."""
    n_plus_one_threshold: int = Field(default=10, ge=2)
    """Single-record reads of one model from one request or task that make an N+1 pattern..."""
    n_plus_one_window_ms: float = Field(default=1000.0, gt=0)
    """...when they happen within this many milliseconds."""
    readiness_stores: list[str] | None = None
    """Cache stores ``/readyz`` requires; ``None``: every configured tier; ``[]``: none (reported only)."""
    readiness_timeout: float = Field(default=2.0, gt=0)
    """Seconds each ``/readyz`` check may take."""
    dashboard_host: str = "127.0.0.1"
    dashboard_port: int = Field(default=8765, ge=0, le=65535)
    dashboard_interval: float = Field(default=1.0, ge=0.1, le=60)
    """Seconds between two live updates pushed to the dashboard."""
    web: WebConfig = Field(default_factory=WebConfig)  # -- monitoring.web


class PluginsConfig(Section):
    strict: bool = False
    """Make a plugin that fails to load fatal instead of reported and skipped."""
    load: list[str] | None = None
    """Allowlist of plugin names (``None``: all installed)."""
    disable: list[str] = Field(default_factory=list)
    options: dict[str, dict[str, Any]] = Field(default_factory=dict)
    """Per-plugin settings handed to `Plugin.configure`."""
    trace: bool = False
    """Log every hook call (plugins reached, duration) to ``prisma_infra.plugins.trace`` (a reload turns it on
    or off). ``PRISMA_INFRA_TRACE_PLUGINS=1`` turns it on whatever the settings say."""


class PipelineConfig(Section):
    order: list[str] = Field(default_factory=list)
    """Middleware names, outermost first; unlisted middleware follow by their ``order``."""
    disable: list[str] = Field(default_factory=list)


class PiiConfig(Section):
    """PII detection and masking (see docs/pii.md)."""

    enabled: bool = True
    disable: list[str] = Field(default_factory=list)
    """Registered detector names not to run."""
    min_confidence: float = Field(default=0.5, ge=0, le=1)
    """A detection below this confidence is ignored."""
    min_share: float = Field(default=0.5, gt=0, le=1)
    """Share of sampled values that must agree before a field is classified from its values."""
    sample_size: int = Field(default=100, ge=0)
    """Rows read per model by ``pii scan`` / ``inventory()`` when no sample size is given."""
    default_region: str = "US"
    """Region for phone numbers written without a country code."""
    regions: list[str] = Field(default_factory=lambda: ["GB", "DE", "FR", "NL", "ES", "IT", "BE", "CH", "AT", "IE"])
    """Further regions tried for formatted national phone numbers."""
    strategies: dict[str, str] = Field(default_factory=dict)
    """Category → masking strategy (redact, partial, hash, token, null, keep), over the built-in defaults."""
    fields: dict[str, str] = Field(default_factory=dict)
    """``"Model.field"`` → masking strategy, over the category's."""
    purposes: dict[str, dict[str, str]] = Field(default_factory=dict)
    """Purpose (audit, log, export, result) → {category or ``"Model.field"`` → strategy}."""
    hash_key: SecretStr | None = None
    """HMAC-SHA256 key of the ``hash`` strategy."""
    token_key: SecretStr | None = None
    """Key of the reversible ``token`` strategy (AES-256-GCM, derived with HKDF)."""
    unmask_roles: list[str] = Field(default_factory=list)
    """Roles allowed to turn a token back into its value."""
    reveal_roles: list[str] = Field(default_factory=list)
    """Roles that see clear values in query results and exports (never in audit events or logs)."""


# -- policies (owned by prisma_infra.policies / prisma_infra.security; see docs/policies.md)
class PoliciesConfig(Section):
    enabled: bool = True
    default: Literal["allow", "deny"] = "allow"
    """What happens on models without access rules (models with rules deny what no rule allows)."""
    raw_roles: list[str] | None = None
    """Roles allowed to run raw SQL (``None``: everyone; policies cannot filter raw SQL)."""


class BusinessHoursConfig(Section):
    start: str = Field(default="08:00", pattern=r"^\d{1,2}(:\d{2})?$")
    end: str = Field(default="18:00", pattern=r"^\d{1,2}(:\d{2})?$")
    days: list[str | int] = Field(default_factory=lambda: list[str | int](["mon", "tue", "wed", "thu", "fri"]))
    """Weekdays (``mon``..``sun`` or 0 = Monday)."""
    timezone: str = "UTC"
    """IANA name, e.g. ``Europe/Paris``."""


class SecurityConfig(Section):
    enabled: bool = True
    bulk_read_rows: int | None = Field(default=1000, ge=1)
    """A read returning more rows is a ``bulk_read`` event (``None``: off)."""
    rate_window: float = Field(default=60.0, gt=0)
    rate_threshold: int | None = Field(default=None, ge=1)
    """More operations by one actor within ``rate_window`` seconds is an ``unusual_rate`` event."""
    business_hours: BusinessHoursConfig | None = None
    """When set, writes outside these hours are ``off_hours_write`` events."""
    alert_cooldown: float = Field(default=300.0, ge=0)
    """Seconds before the same event for the same actor alerts again (it is still counted)."""
    max_tracked_actors: int = Field(default=10_000, ge=1)


# -- end policies


class ModelConfig(Section):
    cache: ModelCacheConfig = Field(default_factory=ModelCacheConfig)
    audit: bool | None = None
    searchable: list[str] | None = None
    pii: dict[str, str] = Field(default_factory=dict)
    """Field name → PII category (or ``"none"``) overriding the classifier."""
    policies: list[dict[str, Any]] = Field(default_factory=list)
    # -- audit: retention enforcement (prisma_infra.compliance.retention)
    retention_days: float | None = Field(default=None, gt=0)
    """Records older than this many days (by ``retention_field``) are deleted or anonymised."""
    retention_field: str | None = None
    """The DateTime field that dates a record for retention (e.g. ``createdAt``)."""
    retention_action: Literal["delete", "anonymise"] = "delete"
    # -- end audit
    api: ModelApiConfig = Field(default_factory=ModelApiConfig)
    """What the auto REST API exposes of this model (``prisma_infra.rest``)."""


class InfraConfig(Section):
    environment: str = "development"
    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    cache: CacheConfig = Field(default_factory=CacheConfig)
    analytics: AnalyticsConfig = Field(default_factory=AnalyticsConfig)
    audit: AuditConfig = Field(default_factory=AuditConfig)
    monitoring: MonitoringConfig = Field(default_factory=MonitoringConfig)
    plugins: PluginsConfig = Field(default_factory=PluginsConfig)
    pipeline: PipelineConfig = Field(default_factory=PipelineConfig)
    pii: PiiConfig = Field(default_factory=PiiConfig)
    policies: PoliciesConfig = Field(default_factory=PoliciesConfig)  # -- policies
    security: SecurityConfig = Field(default_factory=SecurityConfig)  # -- policies
    api: ApiConfig = Field(default_factory=ApiConfig)
    """The auto REST API and the web integrations' request actors (docs/web.md)."""
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

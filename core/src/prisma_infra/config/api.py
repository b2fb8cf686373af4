"""Settings of the auto REST API (``api``, ``models.<Model>.api``) and of request actors (``api.auth``).

Owned by ``prisma_infra.rest`` and ``prisma_infra.integrations``; docs/web.md describes each key.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from prisma_infra.config.section import Section

__all__ = [
    "API_ACTIONS",
    "ApiAction",
    "ApiAuthConfig",
    "ApiConfig",
    "JwtConfig",
    "ModelApiConfig",
    "TrustedHeaderConfig",
]

ApiAction = Literal[
    "list", "read", "create", "update", "upsert", "delete", "bulk", "count", "aggregate", "group_by", "analytics"
]
#: Every action of the REST API, in the order the OpenAPI document lists them.
API_ACTIONS: tuple[ApiAction, ...] = (
    "list",
    "read",
    "create",
    "update",
    "upsert",
    "delete",
    "bulk",
    "count",
    "aggregate",
    "group_by",
    "analytics",
)
#: Signature algorithms a JWT may be verified with (``none`` is never one of them).
_JWT_ALGORITHMS = frozenset(
    {
        "HS256",
        "HS384",
        "HS512",
        "RS256",
        "RS384",
        "RS512",
        "PS256",
        "PS384",
        "PS512",
        "ES256",
        "ES384",
        "ES512",
        "EdDSA",
    }
)


class JwtConfig(Section):
    """Bearer JWTs (``Authorization: Bearer <token>``) verified with PyJWT."""

    enabled: bool = False
    algorithms: list[str] = Field(default_factory=lambda: ["RS256"], min_length=1)
    """The allow-list: a token signed with any other algorithm (``none`` included) is refused."""
    secret: SecretStr | None = None
    """The shared secret for ``HS*`` algorithms: in ``.secrets.toml`` or ``PRISMA_INFRA_API__AUTH__JOSE__SECRET``."""
    public_key: SecretStr | None = None
    """A PEM public key (``RS*``/``PS*``/``ES*``/``EdDSA``) given inline."""
    public_key_file: str | None = None
    """A PEM public key file (relative to the settings file's folder)."""
    jwks_file: str | None = None
    """A JSON Web Key Set file: the key is chosen by the token's ``kid``."""
    audience: str | list[str] | None = None
    """Required ``aud``: a token for another audience is refused."""
    issuer: str | None = None
    """Required ``iss``."""
    leeway: float = Field(default=0.0, ge=0, le=300)
    """Seconds of clock skew allowed on ``exp``/``nbf``/``iat``."""
    require: list[str] = Field(default_factory=lambda: ["exp"])
    """Claims every token must carry."""
    claims: dict[str, str] = Field(default_factory=lambda: {"id": "sub", "roles": "roles", "tenant_id": "tenant_id"})
    """Actor attribute → claim name (dotted for nested claims, e.g. ``realm_access.roles``)."""

    @field_validator("algorithms")
    @classmethod
    def _allowed(cls, algorithms: list[str]) -> list[str]:
        for name in algorithms:
            if name not in _JWT_ALGORITHMS:
                raise ValueError(f"{name!r} is not a signature algorithm; use some of {sorted(_JWT_ALGORITHMS)}")
        if any(a.startswith("HS") for a in algorithms) and any(not a.startswith("HS") for a in algorithms):
            # A public key must never be usable as an HMAC secret (algorithm confusion).
            raise ValueError("HS* and public-key algorithms cannot be allowed together")
        return algorithms


class TrustedHeaderConfig(Section):
    """An actor named by headers that a reverse proxy in front of the app sets (after it authenticated)."""

    enabled: bool = False
    id_header: str = "X-Forwarded-User"
    roles_header: str | None = "X-Forwarded-Roles"
    """Comma-separated roles."""
    tenant_header: str | None = "X-Forwarded-Tenant"
    trusted_proxies: list[str] = Field(default_factory=lambda: ["127.0.0.1/32", "::1/128"])
    """Client addresses (CIDR) allowed to set the headers; from any other client they are ignored."""


class ApiAuthConfig(Section):
    """How a web request's actor is found: the first resolver that answers wins."""

    jose: JwtConfig = Field(default_factory=JwtConfig)
    """Bearer JWTs (JOSE: JSON Object Signing and Encryption); named so that settings display does not mask it whole."""
    header: TrustedHeaderConfig = Field(default_factory=TrustedHeaderConfig)
    anonymous: Any = None
    """The actor of a request no resolver authenticates (``None``: no actor, denied where policies need one)."""

    @model_validator(mode="after")
    def _keys(self) -> ApiAuthConfig:
        jwt = self.jose
        if jwt.enabled:
            symmetric = jwt.algorithms[0].startswith("HS")
            if symmetric and jwt.secret is None:
                raise ValueError("api.auth.jose.secret is required for HS* algorithms")
            if not symmetric and not (jwt.public_key or jwt.public_key_file or jwt.jwks_file):
                raise ValueError(
                    "api.auth.jose needs public_key, public_key_file or jwks_file for public-key algorithms"
                )
        return self


class ApiConfig(Section):
    """The auto REST API generated from the schema."""

    enabled: bool = True
    prefix: str = Field(default="/api", pattern=r"^(/[A-Za-z0-9._~-]+)*$")
    """Where ``prisma-infra serve`` and ``install`` mount the API (``""``: at the root)."""
    models: list[str] | None = None
    """Models exposed (``None``: every model of the schema)."""
    actions: list[ApiAction] = Field(default_factory=lambda: list(API_ACTIONS))
    """Actions of every exposed model, unless ``models.<Model>.api.actions`` says otherwise."""
    exclude_fields: list[str] = Field(default_factory=list)
    """Fields never exposed: ``Model.field``, or ``field`` on every model."""
    page_size: int = Field(default=20, ge=1)
    max_page_size: int = Field(default=100, ge=1, le=10_000)
    bulk_max: int = Field(default=1000, ge=1)
    """Most operations one ``POST /{model}/bulk`` request may carry."""
    bulk_batch_size: int = Field(default=100, ge=1)
    """Operations per transaction of a bulk request."""
    max_body_size: int = Field(default=1_048_576, ge=1)
    """Largest request body in bytes (larger: 413)."""
    cache_control: str = "private, no-cache"
    """``Cache-Control`` of cacheable reads (revalidated with ``If-None-Match``)."""
    docs: bool = True
    """Serve ``/openapi.json`` and the docs UI."""
    auth: ApiAuthConfig = Field(default_factory=ApiAuthConfig)

    @model_validator(mode="after")
    def _pages(self) -> ApiConfig:
        if self.page_size > self.max_page_size:
            raise ValueError(f"api.page_size ({self.page_size}) exceeds api.max_page_size ({self.max_page_size})")
        return self


class ModelApiConfig(Section):
    """``models.<Model>.api``: this model's part of the REST API."""

    enabled: bool | None = None
    """``False`` hides the model; ``True`` exposes it even when ``api.models`` does not list it."""
    actions: list[ApiAction] | None = None
    exclude_fields: list[str] = Field(default_factory=list)

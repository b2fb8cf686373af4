"""A settings folder for the web integration tests: a fresh SQLite database with users and posts of tenants.

`make_site` writes ``settings.toml`` (the real Prisma engine, the memory cache, a file audit sink, bearer JWTs
and the trusted proxy header enabled, an anonymous actor, a tenant policy on ``Post``) and ``.secrets.toml``
(the JWT secret) into a folder, and pushes the schema's tables to a new SQLite file there. `Site.token`
signs a JWT the settings accept.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt

from tests.real_databases import pushed

SCHEMA = Path(__file__).parent / "schema.prisma"
SECRET = "web-integration-tests-hs256-secret-0123456789"
AUDIENCE = "prisma-infra-tests"
#: The actor of a request no resolver authenticates.
ANONYMOUS = {"id": "anonymous", "roles": ["ANONYMOUS"], "tenant_id": "public"}

SETTINGS = """\
[default]
database.engine = "prisma"
database.schema_path = "schema.prisma"
database.url = "{url}"
database.operation_timeout = {operation_timeout}
plugins.load = ["prisma"]
cache.tiers = ["memory"]
audit.sinks = ["file"]
audit.buffer_dir = "{folder}/audit-buffer"
audit.sink_options.file.path = "{folder}/audit.jsonl"
api.auth.jose.enabled = true
api.auth.jose.algorithms = ["HS256"]
api.auth.jose.audience = "{audience}"
api.auth.header.enabled = true
api.auth.anonymous = {{ id = "anonymous", roles = ["ANONYMOUS"], tenant_id = "{anonymous_tenant}" }}

[[default.models.Post.policies]]
name = "posts"
rules = [
  {{ name = "same-tenant", effect = "allow", actions = ["all"], where = {{ tenantId = "{{actor.tenant_id}}" }} }},
  {{ name = "readers-do-not-delete", effect = "deny", actions = ["delete"], roles = ["READER"] }},
]
"""


@dataclass
class Site:
    """A folder holding settings, secrets, the schema and the SQLite database."""

    folder: Path
    url: str
    operation_timeout: float = 30.0

    @property
    def settings(self) -> Path:
        return self.folder / "settings.toml"

    def write_settings(self, *, anonymous_tenant: str = "public") -> None:
        text = SETTINGS.format(
            url=self.url,
            folder=self.folder,
            audience=AUDIENCE,
            anonymous_tenant=anonymous_tenant,
            operation_timeout=self.operation_timeout,
        )
        self.settings.write_text(text)

    def token(self, *, secret: str = SECRET, audience: str = AUDIENCE, expires_in: float = 300, **claims: Any) -> str:
        """A bearer JWT: ``sub``, ``roles``, ``tenant_id`` and any other claims given."""
        payload = {"aud": audience, "exp": int(time.time() + expires_in), **claims}
        return jwt.encode(payload, secret, algorithm="HS256")

    def bearer(self, **claims: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(**claims)}"}


def make_site(folder: Path, *, operation_timeout: float = 30.0) -> Site:
    """Write the settings and push the tables of a fresh SQLite database in ``folder`` (no loop running)."""
    return asyncio.run(site_in(folder, operation_timeout=operation_timeout))


async def site_in(folder: Path, *, operation_timeout: float = 30.0) -> Site:
    """`make_site` from a running event loop."""
    await asyncio.to_thread(_copy_schema, folder)
    url = await pushed("sqlite", "web", folder / "schema.prisma", folder)
    site = Site(folder, url, operation_timeout)
    await asyncio.to_thread(_write_files, site)
    return site


def _copy_schema(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(SCHEMA, folder / "schema.prisma")


def _write_files(site: Site) -> None:
    site.write_settings()
    (site.folder / ".secrets.toml").write_text(f'[default]\napi.auth.jose.secret = "{SECRET}"\n')

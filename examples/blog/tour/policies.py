"""The tour's access-policies section: tenant row filters and a denied write that names its rule.

The blog has no tenants, so this section starts a second ``Infrastructure`` on a copy of
``examples/tenants`` (a multi-tenant schema with the recommended policy set of docs/security.md)
in the run's output folder, on a fresh SQLite database, and closes it before returning.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import prisma_infra
from prisma_infra.config import load_config
from prisma_infra.errors import PolicyDeniedError, RecordNotFoundError
from prisma_infra.infrastructure import Infrastructure
from prisma_infra_prisma.datasource import resolve_database
from prisma_infra_prisma.schema_sync import db_push
from rich.console import Console
from rich.table import Table

TENANTS = {"acme": "Acme Corp", "globex": "Globex Inc"}
USERS = [
    {"id": 1, "tenantId": "acme", "email": "ann@acme.test", "name": "Ann", "salary": 50},
    {"id": 2, "tenantId": "acme", "email": "ada@acme.test", "name": "Ada", "salary": 60},
    {"id": 3, "tenantId": "globex", "email": "gus@globex.test", "name": "Gus", "salary": 90},
    {"id": 4, "tenantId": "globex", "email": "gwen@globex.test", "name": "Gwen", "salary": 80},
]
POSTS = [
    {"id": 10, "tenantId": "acme", "authorId": 1, "title": "Acme roadmap", "secret": "launch in May"},
    {"id": 11, "tenantId": "acme", "authorId": 2, "title": "Acme hiring plan"},
    {"id": 12, "tenantId": "acme", "authorId": 1, "title": "Acme offsite"},
    {"id": 20, "tenantId": "globex", "authorId": 3, "title": "Globex Q3 results", "secret": "merger"},
    {"id": 21, "tenantId": "globex", "authorId": 4, "title": "Globex security review"},
]
ACTORS: dict[str, dict[str, Any]] = {
    "acme": {"id": 1, "roles": ["READER"], "tenant_id": "acme"},
    "globex": {"id": 3, "roles": ["READER"], "tenant_id": "globex"},
}
PLATFORM_ADMIN: dict[str, Any] = {"id": 99, "roles": ["ADMIN"], "tenant_id": "acme"}


def settings(output: Path) -> dict[str, Any]:
    return {}  # the blog's own settings are untouched: this section runs its own Infrastructure


def tenants_example() -> Path:
    """examples/tenants of the checkout (this file's, else the one prisma_infra is installed from)."""
    for root in (*Path(__file__).resolve().parents, *Path(prisma_infra.__file__).resolve().parents):
        candidate = root / "examples" / "tenants"
        if (candidate / "settings.toml").is_file():
            return candidate
    raise FileNotFoundError("examples/tenants not found next to the tour or the installed prisma_infra")


async def fresh_tenants_database(folder: Path) -> tuple[Path, str]:
    """Copy examples/tenants into ``folder`` and push its schema to a new SQLite file there."""
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(tenants_example(), folder, ignore=shutil.ignore_patterns("*.db", "*.db-journal"))
    config = load_config(folder / "settings.toml").config
    database = resolve_database(config.database, Path(config.base_dir))
    await db_push(database)
    return folder / "settings.toml", database.redacted_url()


def posts_table(title: str, rows: list[dict[str, Any]]) -> Table:
    table = Table(title=title)
    for column in ("id", "tenantId", "title", "author", "secret"):
        table.add_column(column)
    for row in rows:
        author = row.get("author") or {}
        secret = row.get("secret", "[dim](hidden)[/]")
        table.add_row(str(row["id"]), row["tenantId"], row["title"], author.get("name", "-"), str(secret))
    return table


async def show(infra: Infrastructure, console: Console, output: Path) -> dict[str, Any]:
    console.rule("[bold cyan]Access policies: tenants see their own rows, and a denied write names its rule")
    started = time.perf_counter()
    settings_file, url = await fresh_tenants_database(output / "tenants")
    console.print(
        f"a second Infrastructure on a copy of examples/tenants ({url}): Tenant/User/Post/Comment, every row "
        "with a tenantId, the recommended policy set of docs/security.md (default deny, a same-tenant row "
        "filter per model, platform admins see all, tenantId fixed, secrets hidden)"
    )
    facts: dict[str, Any] = {}
    async with Infrastructure.from_settings(settings_file) as tenants:
        tenant_repo, users, posts = (tenants.repository(m) for m in ("Tenant", "User", "Post"))
        with tenants.policies.bypass():  # seeding is a job: no actor, no policies (docs/security.md)
            await tenant_repo.create_many([{"id": key, "name": name} for key, name in TENANTS.items()])
            await users.create_many(USERS)
            await posts.create_many(POSTS)
        console.print(f"seeded under policies.bypass(): {len(TENANTS)} tenants, {len(USERS)} users, {len(POSTS)} posts")

        console.print('the same query for every actor: posts.find_many(include=["author"], order_by={"id": "asc"})')
        seen: dict[str, list[dict[str, Any]]] = {}
        for tenant, actor in ACTORS.items():
            with tenants.acting_as(actor):
                rows = await posts.find_many(include=["author"], order_by={"id": "asc"})
            seen[tenant] = rows
            console.print(posts_table(f"as {actor['roles'][0]} {actor['id']} of tenant {tenant!r}", rows))
        with tenants.acting_as(PLATFORM_ADMIN):
            everything = await posts.find_many(include=["author"], order_by={"id": "asc"})
        console.print(
            f"a platform ADMIN runs it too: {len(everything)} posts of "
            f"{len({p['tenantId'] for p in everything})} tenants, secrets in clear"
        )
        facts["tenants"] = {
            tenant: {
                "ids": [r["id"] for r in rows],
                "tenant_ids": sorted({r["tenantId"] for r in rows}),
                "authors": sorted({r["author"]["name"] for r in rows if r.get("author")}),
                "secret_shown": any("secret" in r for r in rows),
            }
            for tenant, rows in seen.items()
        }
        facts["admin"] = {
            "ids": [r["id"] for r in everything],
            "secret_shown": any(r.get("secret") for r in everything),
        }

        acme = ACTORS["acme"]
        with tenants.acting_as(acme):
            try:  # move Acme's post to Globex: the recommended set fixes tenantId
                await posts.update(10, {"tenantId": "globex"})
            except PolicyDeniedError as error:
                denied = error
            else:
                raise AssertionError("moving a row to another tenant was not refused")
        console.print(
            f"[bold]as {acme['roles'][0]} {acme['id']} of 'acme':[/] posts.update(10, {{'tenantId': 'globex'}}) → "
            f"[red]{type(denied).__name__}[/]: {denied}"
        )
        console.print(f"  policy [bold]{denied.policy}[/], rule [bold]{denied.rule}[/]")
        facts["denied"] = {
            "error": type(denied).__name__,
            "policy": denied.policy,
            "rule": denied.rule,
            "field": getattr(denied, "field", None),
            "message": str(denied),
        }

        globex = ACTORS["globex"]
        with tenants.acting_as(globex):
            try:  # Acme's post is outside Globex's filter: not there at all, not "forbidden"
                await posts.update(10, {"title": "pwned"})
            except RecordNotFoundError as error:
                cross = type(error).__name__
            else:
                raise AssertionError("a cross-tenant update was not refused")
        with tenants.policies.bypass():
            after = await posts.find_unique(10)
        assert after is not None
        console.print(
            f"[bold]as {globex['roles'][0]} {globex['id']} of 'globex':[/] posts.update(10, {{'title': 'pwned'}}) → "
            f"[red]{cross}[/] (a row outside the filter is absent); post 10 is still "
            f"{after['title']!r} of {after['tenantId']!r}"
        )
        facts["cross_tenant_update"] = {
            "error": cross,
            "title_after": after["title"],
            "tenant_after": after["tenantId"],
        }
    facts["seconds"] = round(time.perf_counter() - started, 2)
    console.print(f"policies section: {facts['seconds']} s — docs/policies.md, docs/security.md")
    return facts

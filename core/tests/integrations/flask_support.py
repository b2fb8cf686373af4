"""Support for the Flask and WSGI tests: a real SQLite database, one `SyncInfrastructure` per test module.

The database has the integration suite's schema (``tests/integration/schema/sqlite``). Posts carry a
policy (an ``ADMIN`` sees every post, anyone else only their own: a row filter on ``authorId``), writes
go to a file audit trail, and a request's actor comes from the app's own async resolver (``X-User: 7``
or ``X-User: 7 ADMIN``) or, through ``api.auth.header``, from a trusted proxy's ``X-Forwarded-User``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from prisma_infra.context import bypass_policies
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.integrations.actors import RequestInfo
from prisma_infra.sync import SyncInfrastructure

from tests.integration.it_support import fresh_database, settings

POST_POLICIES = [
    {
        "name": "posts",
        "rules": [
            {"name": "admins", "effect": "allow", "actions": ["all"], "roles": ["ADMIN"]},
            {"name": "own", "effect": "allow", "actions": ["all"], "where": {"authorId": "{actor.id}"}},
        ],
    }
]


def infra_settings(url: str, folder: Path) -> dict[str, Any]:
    return {
        **settings("sqlite", url),
        "models": {"Post": {"policies": POST_POLICIES}},
        "audit": {
            "sinks": ["file"],
            "buffer_dir": str(folder / "audit-buffer"),
            "sink_options": {"file": {"path": str(folder / "audit.jsonl"), "fsync": "always"}},
        },
        "api": {"auth": {"header": {"enabled": True}}},
    }


async def user_header(request: RequestInfo) -> dict[str, Any] | None:
    """The app's own resolver (async, as a session or database look-up would be): ``X-User: <id> [ROLE]``."""
    await asyncio.sleep(0)  # it runs on the facade's loop: an await must work
    value = request.header("x-user")
    if not value:
        return None
    user, _, role = value.partition(" ")
    return {"id": int(user), "roles": [role] if role else []}


def as_user(user: int, role: str = "") -> dict[str, str]:
    return {"X-User": f"{user} {role}".strip()}


@pytest.fixture(scope="module")
def sync_infra(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SyncInfrastructure]:
    folder = tmp_path_factory.mktemp("web-sqlite")
    url = asyncio.run(fresh_database("sqlite", folder))
    infra = SyncInfrastructure(Infrastructure(infra_settings(url, folder))).start()
    try:
        yield infra
    finally:
        infra.close()


@contextlib.contextmanager
def configured(infra: SyncInfrastructure, during: Mapping[str, Any], after: Mapping[str, Any]) -> Iterator[None]:
    """Settings ``during`` for the block (a hot reload), ``after`` again once it is over (the module's infra
    is shared by its tests)."""
    infra.configure(during)
    try:
        yield
    finally:
        infra.configure(after)


def clean(infra: SyncInfrastructure) -> None:
    """Empty tables (users cascade to posts), whatever the policies."""
    with bypass_policies():
        infra.repository("user").delete_many()


def seed(infra: SyncInfrastructure, users: int = 2, posts_each: int = 2) -> dict[int, list[int]]:
    """``users`` users, each with ``posts_each`` posts: user id → post ids."""
    clean(infra)
    owned: dict[int, list[int]] = {}
    with bypass_policies():
        for n in range(users):
            user = infra.repository("user").create({"email": f"u{n}@example.com", "name": f"User {n}"})
            owned[user["id"]] = [
                infra.repository("post").create({"title": f"post {k} of {n}", "authorId": user["id"]})["id"]
                for k in range(posts_each)
            ]
    return owned

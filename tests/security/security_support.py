"""Databases, seed rows and assertions of the adversarial suite.

Each provider gets a fresh database built from ``schema/schema.prisma.template``
(PostgreSQL: a dedicated database ``prisma_infra_security<PRISMA_INFRA_TEST_DB_SUFFIX>``;
SQLite: a new file). Every test starts from the same seed rows, written with
policies bypassed. An unreachable server fails the tests (never a skip).

The assertions work on real outcomes: an attack either raises one of the
refusals the issue allows, or returns nothing that the attacker may not see —
``SECRETS`` lists every value the attacker must never receive in clear, and
`assert_no_secret` looks for them in the whole result (nested records, groups,
aggregates, pages, error messages).
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from prisma_infra.errors import PolicyDeniedError, PrismaInfraError, RecordNotFoundError
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.policies import bypass_policies

from tests.security.policy_set import POLICY_SET

HERE = Path(__file__).parent
PROVIDERS = ["sqlite", "postgresql"]
PG_SERVER = os.environ.get("PRISMA_INFRA_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432")
PG_DB = "prisma_infra_security" + os.environ.get("PRISMA_INFRA_TEST_DB_SUFFIX", "")

TENANTS = [{"id": "acme", "name": "Acme"}, {"id": "globex", "name": "Globex"}]
USERS = [
    {"id": 1, "tenantId": "acme", "email": "alice@acme.test", "name": "Alice", "cardNumber": "4111000011110001",
     "salary": 510001, "role": "READER"},
    {"id": 2, "tenantId": "acme", "email": "bob@acme.test", "name": "Bob", "cardNumber": "4111000022220002",
     "salary": 520002, "role": "EDITOR"},
    {"id": 3, "tenantId": "globex", "email": "gina@globex.test", "name": "Gina", "cardNumber": "5500000033330003",
     "salary": 930003, "role": "READER"},
    {"id": 4, "tenantId": "globex", "email": "gus@globex.test", "name": "Gus", "cardNumber": "5500000044440004",
     "salary": 940004, "role": "EDITOR"},
]
POSTS = [
    {"id": 10, "tenantId": "acme", "authorId": 1, "title": "acme launch", "secret": "acme-plan-x", "views": 5},
    {"id": 11, "tenantId": "acme", "authorId": 2, "title": "acme hiring", "secret": "acme-plan-y", "views": 7},
    {"id": 20, "tenantId": "globex", "authorId": 3, "title": "globex merger", "secret": "globex-plan-z", "views": 11},
    {"id": 21, "tenantId": "globex", "authorId": 4, "title": "globex quarterly", "secret": "globex-plan-w",
     "views": 13},
]
COMMENTS = [
    # a globex user's comment on an acme post, in globex's tenant
    {"id": 100, "tenantId": "globex", "postId": 10, "authorId": 3, "body": "globex spy note"},
    {"id": 101, "tenantId": "acme", "postId": 10, "authorId": 1, "body": "acme comment"},
    {"id": 102, "tenantId": "globex", "postId": 20, "authorId": 4, "body": "globex internal"},
    # an acme-visible comment whose author is a globex user: depth-2 relation filters reach globex
    {"id": 103, "tenantId": "acme", "postId": 11, "authorId": 3, "body": "guest comment"},
]
SEED = (("Tenant", TENANTS), ("User", USERS), ("Post", POSTS), ("Comment", COMMENTS))
MODELS = ("Tenant", "User", "Post", "Comment")

#: Everything of globex, and the hidden/masked values of acme: the attacker must never get these in clear.
SECRETS: tuple[str, ...] = (
    *(u["email"] for u in USERS),
    *(u["cardNumber"] for u in USERS),
    *(str(u["salary"]) for u in USERS),
    *(p["secret"] for p in POSTS),
    *(p["title"] for p in POSTS if p["tenantId"] == "globex"),
    *(c["body"] for c in COMMENTS if c["tenantId"] == "globex"),
    "Gina",
    "Gus",
    "Globex",
)
#: The field rule of the policy set that protects each field.
FIELD_RULES = {"email": "email-masked", "cardNumber": "card-hidden", "salary": "salary-masked",
               "secret": "secret-hidden"}
ACME_USERS = {1, 2}
ACME_POSTS = {10, 11}
ACME_COMMENTS = {101, 103}



@dataclass
class World:
    """One provider's database and the started infrastructure on it (the ``world`` fixture)."""

    provider: str
    schema: Path
    url: str
    folder: Path
    infra: Infrastructure

def schema_for(provider: str, folder: Path) -> Path:
    path = folder / "schema.prisma"
    template = (HERE / "schema" / "schema.prisma.template").read_text()
    path.write_text(template.replace("__PROVIDER__", provider))
    return path


def _admin(url: str, script: str) -> None:
    from prisma_infra_prisma.datasource import ScriptFailure, call_script

    try:
        call_script("migrate.mjs", {"op": "execute", "provider": "postgresql", "url": url, "script": script})
    except ScriptFailure as exc:
        pytest.fail(f"PostgreSQL at {url} is not usable for the security suite: {exc.message}")


async def fresh_database(provider: str, folder: Path) -> tuple[Path, str]:
    """An empty database with the suite's tables; returns (schema path, URL)."""
    from prisma_infra.config.model import DatabaseConfig
    from prisma_infra_prisma.datasource import resolve_database
    from prisma_infra_prisma.schema_sync import db_push

    schema = schema_for(provider, folder)
    if provider == "sqlite":
        url = f"file:{folder / 'security.db'}"
    else:
        url = f"{PG_SERVER}/{PG_DB}"
        _admin(f"{PG_SERVER}/postgres", f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')
        _admin(f"{PG_SERVER}/postgres", f'CREATE DATABASE "{PG_DB}"')
    pushed = await db_push(resolve_database(DatabaseConfig(schema_path=str(schema), url=url), folder))  # type: ignore[arg-type]
    assert pushed.executed_steps > 0, pushed
    return schema, url


def settings(schema: Path, url: str, folder: Path, **sections: Any) -> dict[str, Any]:
    """The suite's settings: the recommended policy set, an audit file sink, no cache unless asked."""
    models: dict[str, Any] = {name: dict(spec) for name, spec in POLICY_SET["models"].items()}
    models["Post"]["searchable"] = ["title", "body"]
    base: dict[str, Any] = {
        "database": {"engine": "prisma", "schema_path": str(schema), "url": url, "pool_size": 4,
                     "operation_timeout": 30},
        "plugins": {"load": ["prisma"]},
        "cache": {"enabled": False},
        "audit": {"sinks": ["file"], "sink_options": {"file": {"path": str(folder / "audit.jsonl")}},
                  "buffer_dir": str(folder / "audit-buffer")},
        "policies": dict(POLICY_SET["policies"]),
        "models": models,
    }
    for key, value in sections.items():
        base[key] = {**base.get(key, {}), **value} if isinstance(value, dict) else value
    return base


async def seed(infra: Infrastructure) -> None:
    """The seed rows, with policies bypassed (like a migration)."""
    with bypass_policies():
        for model in reversed(MODELS):
            await infra.call(model, "deleteMany", {})
        for model, rows in SEED:
            await infra.call(model, "createMany", {"data": rows})


async def snapshot(infra: Infrastructure) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, read with policies bypassed (to prove a write attack changed nothing)."""
    with bypass_policies():
        return {m: await infra.call(m, "findMany", {"orderBy": {"id": "asc"}}) for m in MODELS}


def assert_no_secret(value: Any, *, allowed: tuple[str, ...] = ()) -> None:
    text = repr(value)
    leaked = [s for s in SECRETS if s in text and s not in allowed]
    assert not leaked, f"the attacker received {leaked} in {text[:600]}"


Outcome = tuple[str, Any]


async def attempt(make: Callable[[], Awaitable[Any]]) -> Outcome:
    """Run an attack: ``("ok", result)`` or ``("error", exception)`` (project errors only; others propagate)."""
    try:
        return "ok", await make()
    except PrismaInfraError as exc:
        return "error", exc


def is_refusal(exc: BaseException) -> bool:
    """A refusal the issue allows: `PolicyDeniedError` (and its subclasses) or `PolicyError`."""
    return isinstance(exc, PolicyDeniedError) or type(exc).__name__ == "PolicyError" or any(
        c.__name__ == "PolicyError" for c in type(exc).__mro__
    )


def assert_field_refused(outcome: Outcome, field: str) -> None:
    """The attack was refused by name: `FieldReadDeniedError` naming ``field``, with no value in the message."""
    kind, value = outcome
    assert kind == "error", f"reading through {field!r} was not refused: got {value!r:.400}"
    names = [c.__name__ for c in type(value).__mro__]
    assert "FieldReadDeniedError" in names, f"expected FieldReadDeniedError for {field!r}, got {value!r}"
    assert getattr(value, "field", None) == field, f"the error names {getattr(value, 'field', None)!r}, not {field!r}"
    assert getattr(value, "rule", None) == FIELD_RULES[field], f"the error names rule {getattr(value, 'rule', None)!r}"
    assert_no_secret(str(value))


def assert_refused(outcome: Outcome) -> None:
    kind, value = outcome
    assert kind == "error" and is_refusal(value), f"expected a policy refusal, got {kind}: {value!r:.400}"
    assert_no_secret(str(value))


def assert_refused_or_not_found(outcome: Outcome) -> None:
    """Writes outside the actor's rows are refused, or "not found" (Prisma's answer for a filtered-out row)."""
    kind, value = outcome
    if kind == "ok":
        assert value in ({"count": 0}, None, []), f"the write went through: {value!r:.400}"
        return
    assert is_refusal(value) or isinstance(value, RecordNotFoundError), f"unexpected error {value!r}"
    assert_no_secret(str(value))


def ids(rows: Any) -> set[int]:
    items = getattr(rows, "items", rows)
    return {r["id"] for r in items}

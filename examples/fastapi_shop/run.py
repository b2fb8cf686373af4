"""Start the shop with one command: ``python examples/fastapi_shop/run.py``.

1. a JWT secret: ``PRISMA_INFRA_API__AUTH__JOSE__SECRET`` when set, else ``.secrets.toml`` (written
   with a random secret the first time; git-ignored);
2. the PostgreSQL database of ``settings.toml`` (``fastapi_shop``), created when it does not exist;
3. its tables (``prisma-infra db push``, the same code) and the demo rows (`seed.seed`; ``--no-seed``
   keeps the rows there are);
4. a bearer token per demo user, printed with a ``curl`` line to try;
5. the app (`app.app`) under uvicorn, on ``--host`` / ``--port`` (``--port 0``: a free port, printed).

Safe to run twice: the seed starts from empty tables each time.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import uvicorn
from prisma_infra.config import load_config
from prisma_infra.config.model import InfraConfig
from prisma_infra.infrastructure import Infrastructure
from prisma_infra_prisma.datasource import ResolvedDatabase, ScriptFailure, call_script, resolve_database
from prisma_infra_prisma.schema_sync import db_push

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # `seed` and `app` next to this file, wherever it is run from

from seed import SETTINGS, USERS, mint_token, seed  # noqa: E402

SECRET_VARIABLE = "PRISMA_INFRA_API__AUTH__JOSE__SECRET"
SECRETS_FILE = HERE / ".secrets.toml"


def ensure_secret() -> None:
    """A JWT secret in the environment or in ``.secrets.toml`` (a new random one the first time)."""
    if os.environ.get(SECRET_VARIABLE) or SECRETS_FILE.exists():
        return
    SECRETS_FILE.write_text(
        "# Written by run.py: the HS256 secret the demo tokens are signed with. Never commit it.\n"
        f'[default]\napi.auth.jose.secret = "{secrets.token_urlsafe(32)}"\n'
    )
    SECRETS_FILE.chmod(0o600)
    print(f"wrote a new JWT secret to {SECRETS_FILE}")


def create_database(database: ResolvedDatabase) -> None:
    """``CREATE DATABASE`` of the URL's database on its server, unless it exists."""
    if database.provider != "postgresql":
        return
    parts = urlsplit(database.url)
    name = parts.path.lstrip("/")
    maintenance = urlunsplit(parts._replace(path="/postgres", query=""))
    try:
        call_script("migrate.mjs", {"op": "execute", "provider": "postgresql", "url": maintenance,
                                    "script": f'CREATE DATABASE "{name}"'})  # fmt: skip
        print(f"created database {name!r}")
    except ScriptFailure as exc:
        if "already exists" not in exc.message:
            raise


async def prepare(config: InfraConfig, *, reseed: bool) -> None:
    database = resolve_database(config.database, Path(config.base_dir))
    create_database(database)
    pushed = await db_push(database)
    print(f"schema pushed to {database.redacted_url()}: {pushed.executed_steps} steps")
    if reseed:
        async with Infrastructure.from_settings(SETTINGS) as infra:
            counts = await seed(infra)
        print("seeded:", ", ".join(f"{n} {model}" for model, n in counts.items()))


def print_tokens(config: InfraConfig, host: str, port: int) -> None:
    print("\ndemo tokens (valid 12 hours):")
    for user in USERS:
        token = mint_token(config.api.auth.jose, user, ttl=12 * 3600)
        print(f"  {user['id']:<13} {user['role']:<9} {token}")
    where = f"http://{host}:{port or '<port>'}"
    print(f'\ntry: curl -H "Authorization: Bearer <token>" {where}{config.api.prefix}/product\n')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--no-seed", action="store_true", help="keep the rows the database has")
    args = parser.parse_args()
    ensure_secret()
    config = load_config(SETTINGS).config
    asyncio.run(prepare(config, reseed=not args.no_seed))
    print_tokens(config, args.host, args.port)
    uvicorn.run("app:app", app_dir=str(HERE), host=args.host, port=args.port)


if __name__ == "__main__":
    main()

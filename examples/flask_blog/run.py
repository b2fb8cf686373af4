"""Start the Flask blog: ``python examples/flask_blog/run.py [--host 127.0.0.1] [--port 5000]``.

A fresh SQLite database each time (the schema pushed with the project's own ``db push``, as
``examples/blog/demo.py`` does), the seed data, then werkzeug's threaded server. The first line
printed is the URL it serves (``--port 0`` picks a free port). Ctrl-C or SIGTERM stops it and
closes the infrastructure.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import signal
import sys
from pathlib import Path
from types import FrameType

from app import HERE, create_app, pi
from prisma_infra.config import load_config
from prisma_infra_prisma.datasource import resolve_database
from prisma_infra_prisma.schema_sync import db_push
from seed import seed
from werkzeug.serving import make_server

SETTINGS = HERE / "settings.toml"


async def fresh_database() -> None:
    """Delete the database file and the audit trail of a previous run, push the schema into a new file."""
    config = load_config(SETTINGS).config
    database = resolve_database(config.database, Path(config.base_dir))
    db_file = Path(database.url.removeprefix("file:"))
    for leftover in (db_file, db_file.with_name(db_file.name + "-journal")):
        leftover.unlink(missing_ok=True)
    for folder in (HERE / "audit", HERE / ".prisma-infra"):  # the trail and its chain head go together
        shutil.rmtree(folder, ignore_errors=True)
    await db_push(database)


def _stop(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)  # unwinds serve_forever: the finally below closes everything


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    args = parser.parse_args(argv)

    asyncio.run(fresh_database())
    app = create_app()
    with app.app_context():
        counts = seed(pi)
    server = make_server(args.host, args.port, app, threaded=True)
    signal.signal(signal.SIGTERM, _stop)
    url = f"http://{args.host}:{server.server_port}"
    print(url, flush=True)
    print(f"seeded {counts}; try: curl -H 'X-Forwarded-User: ada' {url}/api/post", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        pi.close()


if __name__ == "__main__":
    main()

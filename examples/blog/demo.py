"""The blog tour: an SQLite database, thousands of realistic rows, and real results.

Run it with ``make demo`` (or ``python examples/blog/demo.py``). No server is needed:
the embedded default is SQLite and the in-memory cache. Safe to run twice: it starts
from a fresh database file each time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from faker import Faker
from prisma_infra.config import load_config
from prisma_infra.errors import PrismaInfraError, UniqueConstraintError
from prisma_infra.infrastructure import Infrastructure
from prisma_infra_prisma.datasource import resolve_database
from prisma_infra_prisma.schema_sync import db_push
from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent
SETTINGS = HERE / "settings.toml"
#: What the tour writes besides the database (audit trail, chart): made anew on every run.
OUTPUT = HERE / "tour-output"
sys.path.insert(0, str(HERE))  # the tour's sections: examples/blog/tour/

from tour import analytics, audit, caching, monitoring, pii, policies  # noqa: E402

SECTIONS = {
    "caching": caching,
    "analytics": analytics,
    "audit": audit,
    "pii": pii,
    "policies": policies,
    "monitoring": monitoring,
}
USERS, POSTS_PER_USER, COMMENTS = 400, 6, 6000
TAGS = ["python", "prisma", "postgres", "sqlite", "caching", "redis", "audit", "privacy", "analytics", "async"]

console = Console()
fake = Faker(["en_US", "en_GB", "de_DE", "fr_FR"])
Faker.seed(7)
random.seed(7)


def section(title: str) -> None:
    console.rule(f"[bold cyan]{title}")


async def fresh_database() -> None:
    config = load_config(SETTINGS).config
    database = resolve_database(config.database, Path(config.base_dir))
    db_file = Path(database.url.removeprefix("file:"))
    for leftover in (db_file, db_file.with_name(db_file.name + "-journal")):
        leftover.unlink(missing_ok=True)
    result = await db_push(database)
    console.print(f"schema pushed to [bold]{database.redacted_url()}[/]: {result.executed_steps} steps")


async def seed(infra: Infrastructure) -> None:
    started = time.perf_counter()
    users, posts, comments, tags = (infra.repository(m) for m in ("User", "Post", "Comment", "Tag"))
    await tags.create_many([{"name": name} for name in TAGS])
    people = [
        {
            "email": f"{i}.{fake.unique.user_name()}@{fake.free_email_domain()}",
            "name": fake.name(),
            "role": random.choices(["READER", "AUTHOR", "EDITOR", "ADMIN"], weights=[60, 30, 8, 2])[0],
            "karma": random.randint(0, 2**40),
        }
        for i in range(USERS)
    ]
    report = await users.bulk_create(people, batch_size=200)
    user_ids = [u["id"] for u in await users.find_many(select=["id"], order_by={"id": "asc"})]
    now = datetime.now(UTC)
    drafts = []
    for author_id in user_ids:
        for _ in range(random.randint(1, POSTS_PER_USER * 2 - 1)):
            status = random.choices(["DRAFT", "PUBLISHED", "ARCHIVED"], weights=[25, 65, 10])[0]
            published = now - timedelta(days=random.randint(0, 365)) if status != "DRAFT" else None
            drafts.append(
                {
                    "title": fake.sentence(nb_words=6).rstrip("."),
                    "slug": f"{fake.slug()}-{len(drafts)}",
                    "body": fake.paragraph(nb_sentences=5),
                    "status": status,
                    "price": Decimal(random.choice(["0", "0", "2.50", "4.99", "9.99"])),
                    "views": random.randint(0, 50_000),
                    "metadata": {"lang": random.choice(["en", "de", "fr"]), "readingMinutes": random.randint(1, 15)},
                    "publishedAt": published,
                    "authorId": author_id,
                }
            )
    await posts.bulk_create(drafts, batch_size=500)
    post_ids = [p["id"] for p in await posts.find_many(select=["id"])]
    await comments.bulk_create(
        [
            {"body": fake.sentence(), "postId": random.choice(post_ids), "authorId": random.choice(user_ids)}
            for _ in range(COMMENTS)
        ],
        batch_size=1000,
    )
    tag_ids = [t["id"] for t in await tags.find_many()]
    sample = random.sample(post_ids, k=min(300, len(post_ids)))
    for start in range(0, len(sample), 25):  # a few at a time: SQLite has one writer
        await asyncio.gather(
            *(
                posts.update(
                    pid, {"tags": {"connect": [{"id": t} for t in random.sample(tag_ids, k=random.randint(1, 3))]}}
                )
                for pid in sample[start : start + 25]
            )
        )
    console.print(
        f"seeded {report.affected} users, {len(drafts)} posts, {COMMENTS} comments, {len(TAGS)} tags "
        f"in {time.perf_counter() - started:.1f} s"
    )


def show(rows: list[dict[str, Any]], columns: list[str], title: str) -> None:
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(str(row.get(c)) for c in columns))
    console.print(table)


async def tour(infra: Infrastructure) -> None:
    users, posts = infra.repository("user"), infra.repository("post")

    section("Repository: any model by name")
    first = await users.find_unique(1, include=["profile", "posts"])
    assert first is not None
    console.print(f"user 1: {first['name']} <{first['email']}>, {len(first['posts'])} posts, karma {first['karma']}")
    console.print(f"users: {await users.count()}, editors: {await users.count({'role': 'EDITOR'})}")
    stats = await posts.aggregate(avg={"views": True}, max={"price": True}, count={"_all": True})
    console.print(
        f"posts: {stats['_count']['_all']}, average views {stats['_avg']['views']:.0f}, "
        f"top price {stats['_max']['price']}"
    )
    by_status = await posts.group_by(["status"], count={"_all": True}, order_by={"status": "asc"})
    show(
        [{"status": g["status"], "posts": g["_count"]["_all"]} for g in by_status],
        ["status", "posts"],
        "posts by status",
    )

    section("Relation filters, search and the query builder")
    popular = await (
        infra.query("post")
        .where({"status": "PUBLISHED", "tags": {"some": {"name": "prisma"}}})
        .include(["author", "tags"])
        .order_by({"views": "desc"})
        .paginate(page=1, limit=5)
        .execute()
    )
    console.print(f"published posts tagged 'prisma': {popular.total} in {popular.pages} pages")  # type: ignore[union-attr]
    show(
        [
            {
                "title": p["title"][:40],
                "author": p["author"]["name"],
                "views": p["views"],
                "tags": ",".join(t["name"] for t in p["tags"]),
            }
            for p in popular.items
        ],  # type: ignore[union-attr]
        ["title", "author", "views", "tags"],
        "page 1",
    )
    word = popular.items[0]["title"].split()[0].upper() if popular.items else "THE"  # type: ignore[union-attr]
    found = await posts.search(word, ["title", "body"], take=3)
    console.print(f"case-insensitive search for {word!r}: {len(found)} shown")
    page = await infra.query("comment").order_by({"id": "asc"}).cursor_paginate(limit=250).execute()
    pages = 1
    while page.next_cursor is not None:  # type: ignore[union-attr]
        page = (
            await infra.query("comment")
            .order_by({"id": "asc"})
            .cursor_paginate(after=page.next_cursor, limit=250)
            .execute()
        )  # type: ignore[union-attr]
        pages += 1
    console.print(f"walked every comment by cursor in {pages} pages")
    console.print(
        "explain:", infra.query("post").where({"author": {"is": {"role": "ADMIN"}}}).include(["comments"]).explain()
    )

    section("Streaming and lazy loading")
    total = 0
    async for batch in posts.stream(batch_size=1000):
        total += len(batch)
    console.print(f"streamed {total} posts in batches of 1,000")
    authors = await users.find_many(where={"role": "EDITOR"}, take=20)
    await users.load(authors, "posts")
    console.print(
        f"loaded posts for {len(authors)} editors with one query: {sum(len(a['posts']) for a in authors)} posts"
    )

    section("Bulk operations in batches")
    bumped = await posts.bulk_update(
        {"status": "ARCHIVED"}, {"views": 0}, batch_size=100, on_progress=lambda done, total: None
    )
    console.print(f"bulk_update: matched {bumped.matched}, affected {bumped.affected} in {bumped.batches} batches")

    section("Transactions")
    async with infra.transaction(timeout=10) as tx:
        author = await tx.repository("user").create(
            {"email": "grace@example.com", "name": "Grace Hopper", "role": "AUTHOR"}
        )
        await tx.repository("post").create(
            {"title": "Compilers", "slug": "compilers", "body": "...", "authorId": author["id"]}
        )
    console.print(f"committed: Grace has {await posts.count({'author': {'is': {'email': 'grace@example.com'}}})} post")
    try:
        async with infra.transaction() as tx:
            await tx.repository("user").create({"email": "temp@example.com", "name": "Temp"})
            await tx.repository("user").create({"email": "grace@example.com", "name": "Duplicate"})
    except UniqueConstraintError as error:
        console.print(f"rolled back: {error} (fields {error.fields})")
    console.print(f"temp user exists after rollback: {await users.exists({'email': 'temp@example.com'})}")

    section("Clear errors")
    for bad in ({"emial": "x"}, {"author": {"is": {"nmae": "x"}}}):
        try:
            await users.find_many(where=bad) if "emial" in bad else await posts.find_many(where=bad)
        except PrismaInfraError as error:
            console.print(f"[red]{type(error).__name__}[/]: {error}")


def merged(*layers: dict[str, Any]) -> dict[str, Any]:
    """Nested settings layered left to right (the sections' additions to settings.toml)."""
    out: dict[str, Any] = {}
    for layer in layers:
        for key, value in layer.items():
            out[key] = merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


async def main() -> dict[str, Any]:
    started = time.perf_counter()
    await fresh_database()
    shutil.rmtree(OUTPUT, ignore_errors=True)
    OUTPUT.mkdir()
    facts: dict[str, Any] = {}
    overrides = merged(*(module.settings(OUTPUT) for module in SECTIONS.values()))
    async with Infrastructure.from_settings(SETTINGS, overrides=overrides) as infra:
        await seed(infra)
        await tour(infra)
        for name, module in SECTIONS.items():
            facts[name] = await module.show(infra, console, OUTPUT)
    facts["seconds"] = round(time.perf_counter() - started, 1)
    console.rule(f"[bold cyan]The tour took {facts['seconds']} s")
    return facts


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--facts", type=Path, help="write what each section showed as JSON (for the tests)")
    arguments = parser.parse_args()
    shown = asyncio.run(main())
    if arguments.facts is not None:
        arguments.facts.write_text(json.dumps(shown, indent=2, default=str))

"""The blog's seed data: four users, a few posts (published and drafts), tags and comments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from prisma_infra.context import bypass_policies

USERS = [
    {"id": "ada", "email": "ada@example.com", "name": "Ada Lovelace", "role": "AUTHOR"},
    {"id": "grace", "email": "grace@example.com", "name": "Grace Hopper", "role": "AUTHOR"},
    {"id": "linus", "email": "linus@example.com", "name": "Linus Reader", "role": "READER"},
    {"id": "root", "email": "root@example.com", "name": "The Editor", "role": "ADMIN"},
]
TAGS = ["python", "flask", "sqlite", "compilers", "history"]
#: (author, slug, title, published days ago or None for a draft, tags)
POSTS = [
    ("ada", "notes-on-the-engine", "Notes on the Analytical Engine", 30, ["history"]),
    ("ada", "flask-on-prisma", "Flask on a Prisma schema", 2, ["python", "flask", "sqlite"]),
    ("ada", "bernoulli-draft", "Computing Bernoulli numbers (draft)", None, ["history"]),
    ("grace", "first-compiler", "The first compiler", 10, ["compilers", "history"]),
    ("grace", "cobol-draft", "COBOL for everyone (draft)", None, ["compilers"]),
]
COMMENTS = [
    ("linus", "notes-on-the-engine", "A great read."),
    ("grace", "flask-on-prisma", "Works with my compiler too."),
    ("ada", "first-compiler", "Congratulations!"),
]


def seed(pi: Any) -> dict[str, int]:
    """Write the seed data through the app's infrastructure (policies bypassed: it is set-up, not a request)."""
    now = datetime.now(UTC)
    with bypass_policies():
        pi.repository("user").create_many(USERS)
        pi.repository("tag").create_many([{"name": name} for name in TAGS])
        post_ids = {}
        for author, slug, title, days, tags in POSTS:
            created = pi.repository("post").create(
                {
                    "title": title,
                    "slug": slug,
                    "body": f"{title}: the whole story.",
                    "status": "DRAFT" if days is None else "PUBLISHED",
                    "publishedAt": None if days is None else now - timedelta(days=days),
                    "author": {"connect": {"id": author}},
                    "tags": {"connect": [{"name": tag} for tag in tags]},
                }
            )
            post_ids[slug] = created["id"]
        for author, slug, body in COMMENTS:
            pi.repository("comment").create({"body": body, "postId": post_ids[slug], "authorId": author})
    return {"users": len(USERS), "posts": len(POSTS), "comments": len(COMMENTS), "tags": len(TAGS)}

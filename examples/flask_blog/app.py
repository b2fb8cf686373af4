"""The Flask blog: an app factory with a few hand-written routes and the auto REST API.

``create_app()`` gives the app; ``python run.py`` prepares the database and serves it. Every
request acts as the user a trusted proxy names (``X-Forwarded-User: ada``, roles in
``X-Forwarded-Roles``), so the policies of ``settings.toml`` decide what it sees and may change,
and the audit trail records who did it. Errors are ``application/problem+json``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, request
from prisma_infra.actor import actor_id
from prisma_infra.context import current_context
from prisma_infra.errors import ValidationError
from prisma_infra.integrations.flask import PrismaInfra

HERE = Path(__file__).resolve().parent

#: One extension for every app the factory makes (``init_app`` binds it).
pi = PrismaInfra()
pages = Blueprint("blog", __name__)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config["PRISMA_INFRA_SETTINGS"] = str(HERE / "settings.toml")
    app.config.update(config or {})
    pi.init_app(app)
    app.register_blueprint(pi.rest_blueprint())  # GET /api/post, POST /api/comment, ... (api.prefix)
    app.register_blueprint(pages)
    return app


def _post_card(post: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": post["id"],
        "title": post["title"],
        "slug": post["slug"],
        "author": post["author"]["name"],
        "tags": sorted(tag["name"] for tag in post["tags"]),
    }


@pages.get("/")
def index() -> dict[str, Any]:
    """The front page: what the actor may read, newest first (drafts only for their author)."""
    page = (
        pi.query("post")
        .include(["author", "tags"])
        .order_by([{"publishedAt": "desc"}, {"id": "desc"}])
        .paginate(page=request.args.get("page", 1, type=int), limit=10)
        .execute()
    )
    return {"posts": [_post_card(p) for p in page.items], "total": page.total, "pages": page.pages}


@pages.get("/whoami")
def whoami() -> dict[str, Any]:
    context = current_context()
    return {"actor": context.actor, "request_id": context.request_id}


@pages.get("/posts/<slug>")
def post(slug: str) -> dict[str, Any]:
    """One post with its comments; one the actor may not read is a 404 problem, like a missing one."""
    found = pi.repository("post").find_unique_or_raise(
        {"slug": slug}, include={"author": True, "tags": True, "comments": {"include": {"author": True}}}
    )
    return {
        **_post_card(found),
        "body": found["body"],
        "status": found["status"],
        "comments": [{"by": c["author"]["name"], "body": c["body"]} for c in found["comments"]],
    }


@pages.post("/posts/<int:post_id>/publish")
def publish(post_id: int) -> dict[str, Any]:
    """Publish a draft: the policy lets its author (or an admin) do it; anyone else gets a 404 problem."""
    updated = pi.repository("post").update(post_id, {"status": "PUBLISHED", "publishedAt": datetime.now(UTC)})
    return {"id": updated["id"], "status": updated["status"]}


@pages.post("/posts/<int:post_id>/comments")
def comment(post_id: int) -> tuple[dict[str, Any], int]:
    """Comment as the request's actor (an anonymous request is refused by the comments policy)."""
    body = (request.get_json(silent=True) or {}).get("body")
    if not isinstance(body, str) or not body.strip():
        raise ValidationError("A comment needs a non-empty 'body'", model="Comment", field="body")
    created = pi.repository("comment").create(
        {"body": body, "postId": post_id, "authorId": actor_id(current_context().actor)}
    )
    return {"id": created["id"]}, 201

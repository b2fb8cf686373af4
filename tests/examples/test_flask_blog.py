"""examples/flask_blog started by its README's one command (in a copy of the folder), spoken to over real HTTP."""

from __future__ import annotations

import asyncio
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.waiting import eventually

pytestmark = pytest.mark.integration

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "flask_blog"
#: Seconds the example may take to push its schema, seed and listen.
START_TIMEOUT = 120


@pytest.fixture(scope="module")
def blog(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, Path]]:
    folder = tmp_path_factory.mktemp("flask-blog") / "flask_blog"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns("*.db", "generated", "audit", ".prisma-infra"))
    env = {k: v for k, v in os.environ.items() if k != "PRISMA_INFRA_LOAD_PLUGINS"}
    log = (folder.parent / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, str(folder / "run.py"), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(process.stdout.readline()), daemon=True).start()  # type: ignore[union-attr]
    try:
        try:
            url = lines.get(timeout=START_TIMEOUT).strip()
        except queue.Empty:
            url = ""
        assert url.startswith("http://127.0.0.1:"), (folder.parent / "server.log").read_text()
        with httpx.Client(base_url=url, timeout=30) as client:
            yield client, folder
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(30)
        log.close()
    assert code == 0, (folder.parent / "server.log").read_text()


def as_(user: str, roles: str = "") -> dict[str, str]:
    return {"X-Forwarded-User": user, **({"X-Forwarded-Roles": roles} if roles else {})}


def test_hand_written_routes_follow_the_policies(blog: tuple[httpx.Client, Path]) -> None:
    http, _ = blog
    public = http.get("/").json()
    ada = http.get("/", headers=as_("ada")).json()
    assert public["total"] == 3 and all("draft" not in p["title"] for p in public["posts"])
    assert ada["total"] == 4 and "Computing Bernoulli numbers (draft)" in [p["title"] for p in ada["posts"]]
    post = http.get("/posts/notes-on-the-engine").json()
    assert post["author"] == "Ada Lovelace" and post["comments"] == [{"by": "Linus Reader", "body": "A great read."}]
    hidden = http.get("/posts/cobol-draft", headers=as_("ada"))  # Grace's draft
    assert hidden.status_code == 404 and hidden.headers["content-type"].startswith("application/problem+json")
    assert http.get("/whoami", headers=as_("root", "ADMIN")).json()["actor"]["roles"] == ["ADMIN"]


def test_writes_as_the_actor_reach_the_audit_trail(blog: tuple[httpx.Client, Path]) -> None:
    http, folder = blog
    draft = next(p for p in http.get("/", headers=as_("grace")).json()["posts"] if "draft" in p["title"])
    refused = http.post(f"/posts/{draft['id']}/publish", headers=as_("ada"))
    published = http.post(f"/posts/{draft['id']}/publish", headers={**as_("grace"), "X-Request-ID": "publish-1"})
    anonymous = http.post("/posts/1/comments", json={"body": "hi"})
    commented = http.post("/posts/1/comments", json={"body": "Nice!"}, headers=as_("linus"))
    assert refused.status_code == 404 and refused.json()["model"] == "Post"
    assert published.json() == {"id": draft["id"], "status": "PUBLISHED"}
    assert anonymous.status_code == 403 and anonymous.json()["policy"] == "comments"
    assert commented.status_code == 201
    trail = folder / "audit" / "audit.jsonl"

    def events() -> list[dict[str, Any]]:
        return [json.loads(line) for line in trail.read_text().splitlines()] if trail.exists() else []

    def written() -> bool:
        return any(e["model"] == "Comment" and e["actor"] == "linus" for e in events())

    asyncio.run(eventually(written, what="linus's comment in the audit trail"))
    publish = [e for e in events() if e["model"] == "Post" and e["action"] == "update"]
    assert [(e["actor"], e["request_id"], e["record_id"]) for e in publish] == [
        ("grace", "publish-1", {"id": draft["id"]})
    ]


def test_the_rest_api(blog: tuple[httpx.Client, Path]) -> None:
    http, _ = blog
    mine = http.get("/api/post", params={"authorId": "eq.ada", "order": "id.asc"}, headers=as_("ada"))
    assert mine.status_code == 200, mine.text
    assert [p["slug"] for p in mine.json()["data"]] == ["notes-on-the-engine", "flask-on-prisma", "bernoulli-draft"]
    users = http.get("/api/user", params={"order": "id.asc"}, headers=as_("ada")).json()["data"]
    emails = {u["id"]: u["email"] for u in users}
    assert emails["ada"] == "ada@example.com" and emails["grace"] == "g***@example.com"  # masked but one's own
    created = http.post(
        "/api/post", json={"title": "New", "slug": "new", "body": "...", "authorId": "ada"}, headers=as_("ada")
    )
    assert created.status_code == 201, created.text
    location = created.headers["location"]
    assert http.patch(location, json={"title": "Newer"}, headers=as_("ada")).json()["title"] == "Newer"
    assert http.patch(location, json={"title": "Mine!"}, headers=as_("grace")).status_code == 404
    duplicate = http.post(
        "/api/post", json={"title": "Again", "slug": "new", "body": "...", "authorId": "ada"}, headers=as_("ada")
    )
    assert duplicate.status_code == 409 and duplicate.json()["fields"] == ["slug"]
    typo = http.get("/api/post", params={"titel": "eq.x"}).json()
    assert (typo["status"], typo["model"], typo["field"], typo["suggestion"]) == (422, "Post", "titel", "title")
    assert http.delete(location, headers=as_("ada")).status_code in (200, 204)
    assert http.get(location, headers=as_("ada")).status_code == 404

"""RestApi records (rest/records.py): read, create, update, upsert and delete by key, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from core.tests.rest.api_support import BASE, ApiClient, api_database, client
from core.tests.rest.rest_support import RestDatabase

__all__ = ["api_database", "client"]  # the fixtures

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

EDITOR = {"id": 1, "roles": ["EDITOR"]}
READER = {"id": 2, "roles": ["READER"]}


async def test_create_read_update_delete(client: ApiClient) -> None:
    created = await client.post("/user", {"email": "ada@x.io", "name": "Ada", "secretNote": None})
    assert created.status == 422  # an excluded field is refused as unknown, even with null
    created = await client.post("/user", {"email": "ada@x.io", "name": "Ada"})
    assert created.status == 201, created.json
    ada = created.json
    assert created.headers["location"] == f"{BASE}/user/{ada['id']}"
    assert "secretNote" not in ada and ada["role"] == "READER"
    read = await client.get(f"/user/{ada['id']}")
    assert read.status == 200 and read.json == ada
    assert (await client.get(f"/User/{ada['id']}")).status == 200  # routes are case-insensitive
    patched = await client.send("PATCH", f"/user/{ada['id']}", {"karma": 5})
    assert patched.status == 200 and patched.json["karma"] == 5
    deleted = await client.send("DELETE", f"/user/{ada['id']}")
    assert deleted.status == 200 and deleted.json["email"] == "ada@x.io"
    gone = await client.get(f"/user/{ada['id']}")
    assert gone.status == 404
    assert gone.headers["content-type"] == "application/problem+json"
    assert gone.json["model"] == "User" and "ada" not in gone.raw.decode()
    assert (await client.send("PATCH", f"/user/{ada['id']}", {"karma": 1})).status == 404
    assert (await client.send("DELETE", f"/user/{ada['id']}")).status == 404


async def test_unique_conflict_is_409_naming_the_fields(client: ApiClient) -> None:
    assert (await client.post("/user", {"email": "ada@x.io"})).status == 201
    again = await client.post("/user", {"email": "ada@x.io"})
    assert again.status == 409, again.json
    assert again.json["model"] == "User" and "email" in again.json["fields"]
    assert "ada@x.io" not in again.raw.decode()


async def test_unknown_field_is_422_with_a_visible_suggestion(client: ApiClient) -> None:
    wrong = await client.post("/user", {"emial": "ada@x.io"})
    assert wrong.status == 422
    assert wrong.json["field"] == "emial" and wrong.json["suggestion"] == "email"
    # a hidden field is never suggested
    near_hidden = await client.post("/user", {"email": "b@x.io", "secretNot": "x"})
    assert near_hidden.status == 422 and near_hidden.json.get("suggestion") != "secretNote"
    # a relation to a hidden model (Badge) is hidden too, nested writes included
    nested = await client.post("/user", {"email": "c@x.io", "badges": {"create": [{"label": "x"}]}})
    assert nested.status == 422 and nested.json["field"] == "badges"
    assert (await client.get("/user/1", query={"include": "badges"})).status == 422


async def test_select_and_include_shape_the_record(client: ApiClient) -> None:
    ada = (await client.post("/user", {"email": "ada@x.io", "posts": {"create": [{"title": "T"}]}})).json
    slim = await client.get(f"/user/{ada['id']}", query={"select": "email"})
    assert slim.json == {"id": ada["id"], "email": "ada@x.io"}
    full = await client.get(f"/user/{ada['id']}", query={"include": "posts"})
    assert [p["title"] for p in full.json["posts"]] == ["T"]
    assert (await client.get(f"/user/{ada['id']}", query={"select": "secretNote"})).status == 422


async def test_put_upserts_by_the_key_in_the_path(client: ApiClient) -> None:
    made = await client.send("PUT", "/enrollment/1/2", {"grade": 3})
    assert made.status == 201, made.json
    assert made.json == {"studentId": 1, "courseId": 2, "grade": 3}
    assert made.headers["location"] == f"{BASE}/enrollment/1/2"
    changed = await client.send("PUT", "/enrollment/1/2", {"grade": 4})
    assert changed.status == 200 and changed.json["grade"] == 4
    clash = await client.send("PUT", "/enrollment/1/2", {"studentId": 9, "grade": 4})
    assert clash.status == 422 and clash.json["field"] == "studentId"


async def test_compound_ids_are_path_segments_in_id_order(client: ApiClient) -> None:
    await client.post("/enrollment", {"studentId": 7, "courseId": 8, "grade": 1})
    assert (await client.get("/enrollment/7/8")).json["grade"] == 1
    assert (await client.get("/enrollment/8/7")).status == 404
    assert (await client.get("/enrollment/7")).status == 404  # one segment short
    patched = await client.send("PATCH", "/enrollment/7/8", {"grade": 2})
    assert patched.json == {"studentId": 7, "courseId": 8, "grade": 2}
    assert (await client.send("DELETE", "/enrollment/7/8")).status == 200
    assert (await client.get("/enrollment/7/8")).status == 404


async def test_a_model_without_id_is_keyed_by_its_first_unique(client: ApiClient, api_database: RestDatabase) -> None:
    await api_database.infra.repository("slot").create({"day": "mon", "hour": 9, "label": "standup"})
    found = await client.get("/slot/mon/9")
    assert found.status == 200 and found.json["label"] == "standup"
    assert (await client.get("/slot/mon/10")).status == 404


async def test_policy_denial_is_403_naming_policy_and_rule(client: ApiClient, api_database: RestDatabase) -> None:
    infra = api_database.infra
    with infra.acting_as(EDITOR):
        ada = (await client.post("/user", {"email": "ada@x.io"})).json
        post = (await client.post("/post", {"title": "Keep", "authorId": ada["id"]})).json
    with infra.acting_as(READER):
        denied = await client.send("DELETE", f"/post/{post['id']}")
    assert denied.status == 403, denied.json
    assert denied.json["policy"] == "posts" and denied.json["rule"] == "readers-keep-posts"
    assert "Keep" not in denied.raw.decode()
    with infra.acting_as(EDITOR):
        assert (await client.send("DELETE", f"/post/{post['id']}")).status == 200


async def test_key_segments_are_typed(client: ApiClient) -> None:
    bad = await client.get("/user/abc")
    assert bad.status == 422 and bad.json["field"] == "id"

"""Query-string filters, orderings, selections and cursors, parsed and run through the real Prisma engine
on SQLite and PostgreSQL: the rows that come back are the ones the documented syntax means — ``ilike``
ignores case on both databases (also beyond ASCII), relation paths, ``in.``, ``is.null``, ``or=`` trees,
``order`` with ``nullsfirst``/``nullslast``, and cursor tokens that walk a compound key holding an enum."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import pytest_asyncio
from prisma_infra.data.pagination import CursorPage
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.rest.asgi import rest_asgi_app
from prisma_infra.rest.encoding import decode_input
from prisma_infra.rest.params import ListParams, decode_cursor, encode_cursor, parse_list_params

from core.tests.rest.rest_support import RestDatabase, clean, rest_database
from tests.http_server import serving

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

__all__ = ["rest_database"]

BIG = 2**53 + 1


def hide_secret(model: str, field: str) -> bool:
    return (model, field) == ("Owner", "secret")


def blob(n: int) -> bytes:
    return bytes([n]) * 3


@dataclass
class Seeded:
    infra: Infrastructure
    provider: str
    owners: dict[str, int]
    items: dict[int, int]
    """Item number (1..4) → its id."""


ITEMS: list[dict[str, Any]] = [
    # 1: Ada's, 2: Grace's, 3: nobody's, 4: Émile's
    {"name": "Widget", "count": 1, "big": BIG, "ratio": 0.5, "price": "10.50", "active": True,
     "at": "2024-01-01T10:00:00Z", "note": "red", "tier": "FREE", "meta": {"k": 1}},
    {"name": "gadget", "count": 5, "big": 1, "ratio": 1.5, "price": "20.00", "active": False,
     "at": "2024-02-01T00:00:00Z", "note": None, "tier": "PRO", "meta": {"k": 2}},
    {"name": "WIDGET mini", "count": 9, "big": 2, "ratio": 2.5, "price": "30.25", "active": True,
     "at": "2024-03-01T00:00:00Z", "note": "blue", "tier": "PRO", "meta": [1]},
    {"name": "Émilie, the thing", "count": 3, "big": 3, "ratio": 3.5, "price": "0.01", "active": False,
     "at": "2024-04-01T00:00:00Z", "note": None, "tier": "FREE", "meta": {"k": 4}},
]  # fmt: skip
OWNERS = {"Ada": "ada@example.com", "Grace": "GRACE@Example.COM", "Émile": "emile@exemple.fr", "Linus": "l@x.org"}
ITEM_OWNER = {1: "Ada", 2: "Grace", 3: None, 4: "Émile"}


@pytest_asyncio.fixture(loop_scope="module")
async def seeded(rest_database: RestDatabase) -> AsyncIterator[Seeded]:
    infra = rest_database.infra
    await clean(infra)
    schema = infra.schema
    owners: dict[str, int] = {}
    for name, email in OWNERS.items():
        owners[name] = (await infra.repository("owner").create({"name": name, "email": email, "secret": "s"}))["id"]
    items: dict[int, int] = {}
    for n, row in enumerate(ITEMS, start=1):
        body = {**row, "big": str(row["big"]), "blob": base64.b64encode(blob(n)).decode()}
        data = decode_input(schema.model("Item"), schema, body, where="body")
        owner = ITEM_OWNER[n]
        if owner is not None:
            data["owner"] = {"connect": {"id": owners[owner]}}
        items[n] = (await infra.repository("item").create(data))["id"]
    for author, title, published in [("Ada", "Notes", True), ("Grace", "COBOL", False), ("Grace", "Bugs", True)]:
        await infra.repository("blogPost").create(
            {"title": title, "published": published, "author": {"connect": {"id": owners[author]}}}
        )
    yield Seeded(infra, rest_database.provider, owners, items)


def parse(seeded: Seeded, model: str, query: list[tuple[str, str]]) -> ListParams:
    schema = seeded.infra.schema
    return parse_list_params(
        schema.model(model), schema, query, default_page_size=20, max_page_size=100, hidden=hide_secret
    )


async def rows(seeded: Seeded, model: str, query: str | list[tuple[str, str]]) -> list[dict[str, Any]]:
    pairs = [tuple(p.split("=", 1)) for p in query.split("&")] if isinstance(query, str) else query
    params = parse(seeded, model, [(k, v) for k, v in pairs])
    found: list[dict[str, Any]] = await seeded.infra.repository(model).find_many(
        params.where or None,
        order_by=params.order_by or [{"id": "asc"}],
        select=params.select,
        include=params.include,
        omit=params.omit,
    )
    return found


async def items(seeded: Seeded, query: str) -> list[int]:
    """The item numbers (1..4) a query matches, in the order returned."""
    number = {v: k for k, v in seeded.items.items()}
    return [number[r["id"]] for r in await rows(seeded, "item", query)]


async def owners(seeded: Seeded, query: str) -> set[str]:
    return {r["name"] for r in await rows(seeded, "owner", query)}


async def test_ilike_ignores_case_on_every_database(seeded: Seeded) -> None:
    assert await owners(seeded, "email=ilike.*@EXAMPLE.com") == {"Ada", "Grace"}
    assert await owners(seeded, "name=ilike.ADA") == {"Ada"}
    assert await owners(seeded, "name=ilike.grace*") == {"Grace"}
    assert await items(seeded, "name=ilike.widget*") == [1, 3]
    assert await items(seeded, "name=ilike.*WIDGET*") == [1, 3]
    # beyond ASCII too (PostgreSQL by mode, SQLite by the text's spellings)
    assert await owners(seeded, "name=ilike.ÉMILE") == {"Émile"}
    assert await items(seeded, "name=ilike.*ÉMILIE*") == [4]
    assert await owners(seeded, "name=not.ilike.*a*") == {"Émile", "Linus"}


async def test_like_is_the_databases_own_match(seeded: Seeded) -> None:
    assert await items(seeded, "name=like.*mini") == [3]
    assert await items(seeded, "name=like.W*t") == [1]
    assert await items(seeded, "name=like.gadget") == [2]
    # documented: SQLite's LIKE ignores ASCII case, PostgreSQL's is exact
    expected = [1, 3] if seeded.provider == "sqlite" else [1]
    assert await items(seeded, "name=like.Widget*") == expected


async def test_values_of_every_type(seeded: Seeded) -> None:
    assert await items(seeded, "count=gt.4") == [2, 3]
    assert await items(seeded, "count=in.(1,3)") == [1, 4]
    assert await items(seeded, f"big=eq.{BIG}") == [1]
    assert await items(seeded, "ratio=lte.1.5") == [1, 2]
    assert await items(seeded, "price=gte.20") == [2, 3]
    assert await items(seeded, "price=lt.10.51") == [1, 4]
    assert await items(seeded, "active=is.true") == [1, 3]
    assert await items(seeded, "active=eq.false") == [2, 4]
    # 2024-02-01T01:00+02:00 is 2024-01-31T23:00Z
    assert await items(seeded, "at=lt.2024-02-01T01:00:00+02:00") == [1]
    assert await items(seeded, "at=gte.2024-03-01") == [3, 4]
    assert await items(seeded, "tier=in.(PRO)") == [2, 3]
    assert await items(seeded, "tier=neq.PRO") == [1, 4]
    assert await items(seeded, f"blob=eq.{base64.b64encode(blob(2)).decode()}") == [2]
    assert await items(seeded, 'meta=eq.{"k":2}') == [2]


async def test_null_tests(seeded: Seeded) -> None:
    assert await items(seeded, "note=is.null") == [2, 4]
    assert await items(seeded, "note=not.is.null") == [1, 3]
    assert await items(seeded, "owner=is.null") == [3]
    assert await items(seeded, "owner=not.is.null") == [1, 2, 4]


async def test_relation_paths(seeded: Seeded) -> None:
    assert await items(seeded, "owner.name=eq.Ada") == [1]
    assert await items(seeded, "owner.email=ilike.*example.COM") == [1, 2]
    assert await owners(seeded, "items.count=gt.4") == {"Grace"}
    assert await owners(seeded, "items.tier=eq.FREE") == {"Ada", "Émile"}
    assert await owners(seeded, "posts.published=is.false") == {"Grace"}
    assert {r["title"] for r in await rows(seeded, "blogPost", "author.name=in.(Grace,Linus)")} == {"COBOL", "Bugs"}
    assert await owners(seeded, "items.or=(count.gt.8,note.eq.red)") == {"Ada"}


async def test_or_and_trees(seeded: Seeded) -> None:
    assert await items(seeded, "or=(count.gt.8,and(tier.eq.FREE,active.is.false))") == [3, 4]
    assert await items(seeded, "not.or=(count.gt.8,owner.is.null,owner.name.eq.Grace)") == [1, 4]
    assert await items(seeded, 'or=(name.eq."WIDGET mini",note.eq.red)') == [1, 3]
    assert await items(seeded, 'name=in.("Émilie, the thing",gadget)') == [2, 4]
    assert await items(seeded, "or=(owner.name.ilike.ada,count.eq.9)&tier=eq.PRO") == [3]


async def test_where_json_is_anded_with_the_filters(seeded: Seeded) -> None:
    query = [("where", '{"count": {"gte": 3}, "at": {"lt": "2024-03-15T00:00:00Z"}}'), ("tier", "eq.PRO")]
    found = await rows(seeded, "item", query)
    assert [r["id"] for r in found] == [seeded.items[2], seeded.items[3]]


async def test_order_with_nulls_first_or_last(seeded: Seeded) -> None:
    assert await items(seeded, "order=note.asc.nullslast,id") == [3, 1, 2, 4]
    assert await items(seeded, "order=note.desc.nullsfirst,id.desc") == [4, 2, 1, 3]
    assert await items(seeded, "order=count.desc") == [3, 2, 4, 1]
    assert await items(seeded, "owner.email=ilike.*example.com&order=owner.name.desc") == [2, 1]


async def test_select_and_include(seeded: Seeded) -> None:
    found = await rows(seeded, "item", "count=eq.1&select=id,name,owner.name")
    assert found == [{"id": seeded.items[1], "name": "Widget", "owner": {"name": "Ada"}}]
    (ada,) = await rows(seeded, "owner", "name=eq.Ada&include=items,posts&omit=email")
    assert "email" not in ada and [i["name"] for i in ada["items"]] == ["Widget"]
    assert [p["title"] for p in ada["posts"]] == ["Notes"]


async def test_cursor_tokens_walk_every_row_once(seeded: Seeded) -> None:
    infra = seeded.infra
    schema = infra.schema
    for day in (1, 2, 3):
        for tier in ("FREE", "PRO"):
            await infra.repository("slot").create({"day": day, "tier": tier, "label": f"{day}{tier}"})
    for model, key in (("slot", ("day", "tier")), ("item", ("id",))):
        seen: list[tuple[Any, ...]] = []
        token = ""
        while True:
            params = parse(seeded, model, [("cursor", token), ("per_page", "4")])
            after = decode_cursor(schema.model(model), schema, params.cursor) if params.cursor else None
            page = await infra.repository(model).find_many(cursor_paginate={"after": after, "limit": params.per_page})
            assert isinstance(page, CursorPage)
            seen += [tuple(r[f] for f in key) for r in page.items]
            if page.next_cursor is None:
                break
            values = page.next_cursor if isinstance(page.next_cursor, dict) else {key[0]: page.next_cursor}
            token = encode_cursor(values)
        everything = await infra.repository(model).find_many(order_by=[{f: "asc"} for f in key])
        assert sorted(seen) == sorted(tuple(r[f] for f in key) for r in everything)
        assert len(seen) == len(set(seen)) == len(everything)


async def test_negations_never_match_nulls(seeded: Seeded) -> None:
    # as in SQL and PostgREST: a null note is neither "red" nor "not red"
    assert await items(seeded, "note=neq.red") == [3]
    assert await items(seeded, "note=not.eq.red") == [3]
    assert await items(seeded, "not.or=(note.eq.red)") == [3]
    assert await items(seeded, "note=not.like.*e*") == []
    assert await items(seeded, "or=(note.neq.red,note.is.null)") == [2, 3, 4]
    # inside a path the negation is of the related row: items whose owner exists and is not Ada
    assert await items(seeded, "owner.name=not.eq.Ada") == [2, 4]


async def test_list_fields_on_postgresql(seeded: Seeded) -> None:
    infra = seeded.infra
    if seeded.provider != "postgresql":
        assert not infra.schema.has_model("listing")  # SQLite has no scalar lists
        return
    listings = infra.repository("listing")
    made = [
        (await listings.create({"tags": tags, "sizes": sizes}))["id"]
        for tags, sizes in [(["a", "b", "c"], [1]), (["b"], [BIG]), ([], [])]
    ]
    found = await rows(seeded, "listing", "tags=cs.{a,b}")
    assert [r["id"] for r in found] == [made[0]]
    found = await rows(seeded, "listing", "tags=ov.(x,b)")
    assert [r["id"] for r in found] == made[:2]
    found = await rows(seeded, "listing", f"sizes=cs.{{{BIG}}}")
    assert [r["id"] for r in found] == [made[1]]


async def test_urls_as_clients_write_them_over_http(seeded: Seeded) -> None:
    """Percent-encoding, quotes, a raw or encoded "+" in an offset, and the problems, through uvicorn."""
    names = {v: k for k, v in seeded.items.items()}
    async with serving(rest_asgi_app(seeded.infra), lifespan="off") as url, httpx.AsyncClient(base_url=url) as http:

        async def listed(path: str) -> list[int]:
            answer = await http.get(path)
            assert answer.status_code == 200, answer.text
            return [names[row["id"]] for row in answer.json()["data"]]

        assert await listed("/item?name=in.(%22%C3%89milie,%20the%20thing%22,gadget)&order=id") == [2, 4]
        assert await listed("/item?at=lt.2024-02-01T01:00:00%2B02:00") == [1]
        assert await listed("/item?at=lt.2024-02-01T01:00:00+02:00") == [1]  # "+" arrives as a space
        assert await listed("/item?or=(count.gt.8,and(tier.eq.FREE,active.is.false))&order=id.desc") == [4, 3]
        assert await listed("/item?owner.email=ilike.*%40EXAMPLE.com&order=owner.name.desc") == [2, 1]
        assert await listed("/item?order=note.asc.nullslast,id&per_page=3") == [3, 1, 2]
        unknown = await http.get("/item?nmae=eq.x")
        assert unknown.status_code == 422 and unknown.headers["content-type"].startswith("application/problem+json")
        assert unknown.json() | {"detail": None} == {
            "type": "urn:prisma-infra:problem:validation", "title": "Unprocessable Content", "status": 422,
            "detail": None, "model": "Item", "field": "nmae", "suggestion": "name",
        }  # fmt: skip
        enum = (await http.get("/item?tier=eq.PRIO")).json()
        assert (enum["status"], enum["field"], enum["suggestion"]) == (422, "tier", "PRO")
        assert "PRIO" not in enum["detail"]
        bare = await http.get("/item?name=Widget")
        assert bare.status_code == 400 and "Widget" not in bare.text and bare.json()["field"] == "name"


async def test_an_excluded_field_is_unknown_over_http(seeded: Seeded, rest_database: RestDatabase) -> None:
    infra = await rest_database.start(api={"exclude_fields": ["Owner.secret"]})
    try:
        async with serving(rest_asgi_app(infra), lifespan="off") as url, httpx.AsyncClient(base_url=url) as http:
            for path in ("/owner?secret=is.null", "/owner?or=(name.eq.x,secret.eq.s)", "/item?owner.secret=eq.s",
                         "/owner?secrt=eq.s", "/owner?order=secret", "/owner?select=id,secret"):  # fmt: skip
                answer = await http.get(path)
                assert answer.status_code == 422, path
                assert answer.json().get("suggestion") != "secret" and "'secret'?" not in answer.text, path
            assert (await http.get("/owner?name=eq.Ada")).json()["data"][0].keys() == {"id", "name", "email"}
    finally:
        await infra.close()

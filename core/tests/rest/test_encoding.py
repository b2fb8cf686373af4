"""The REST encoding, through the real engine on SQLite and PostgreSQL: what a client sends
(`decode_input`, `decode_where`, `decode_scalar`) is stored exactly, and what is read back comes out
in the documented JSON forms (`encode_record`, `dumps`)."""

from __future__ import annotations

import base64
import datetime as dt
import re
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import orjson
import pytest
import pytest_asyncio
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.rest.encoding import (
    BIGINT_PATTERN,
    DECIMAL_PATTERN,
    decode_input,
    decode_scalar,
    decode_where,
    dumps,
    encode_aggregate,
    encode_record,
)

from core.tests.rest.rest_support import RestDatabase, clean, rest_database

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

__all__ = ["rest_database"]

BIG = 2**53 + 1  # a double cannot hold it: a JSON number would lose it in JavaScript
BLOB = bytes(range(256))
SENT: dict[str, Any] = {
    "name": "widget",
    "big": str(BIG),
    "ratio": 1.25,
    "price": "12345.67",
    "active": True,
    "at": "2024-05-01T14:30:15.123+02:00",
    "blob": base64.b64encode(BLOB).decode(),
    "meta": {"a": [1, None, "x"], "nested": {"ok": True}, "n": 2.5},
    "optBig": "-9223372036854775808",
    "optPrice": "0.5",
    "optAt": "2024-02-29",
    "optBlob": "",
    "optMeta": [1, 2],
    "tier": "PRO",
}


def hide_secret(model: str, field: str) -> bool:
    return (model, field) == ("Owner", "secret")


@pytest_asyncio.fixture(loop_scope="module")
async def infra(rest_database: RestDatabase) -> AsyncIterator[Infrastructure]:
    await clean(rest_database.infra)
    yield rest_database.infra


def roundtrip(infra: Infrastructure, model: str, record: Any) -> Any:
    """A record as a client parses the API's bytes."""
    return orjson.loads(dumps(encode_record(infra.schema.model(model), infra.schema, record, hidden=hide_secret)))


async def create_item(infra: Infrastructure, **changes: Any) -> dict[str, Any]:
    schema = infra.schema
    owner = await infra.repository("owner").create({"name": "Ada", "email": "ada@example.com", "secret": "s3"})
    body = {**SENT, **changes, "owner": {"connect": {"email": owner["email"]}}}
    data = decode_input(schema.model("Item"), schema, body, where="body", hidden=hide_secret)
    created: dict[str, Any] = await infra.repository("item").create(data)
    return created


async def test_every_type_round_trips_in_its_json_form(infra: Infrastructure) -> None:
    created = await create_item(infra)
    found = await infra.repository("item").find_unique({"id": created["id"]}, include={"owner": True})
    out = roundtrip(infra, "item", found)

    assert out["big"] == str(BIG) and out["optBig"] == "-9223372036854775808"
    assert Decimal(out["price"]) == Decimal("12345.67") and Decimal(out["optPrice"]) == Decimal("0.5")
    assert re.match(DECIMAL_PATTERN, out["price"]) and re.match(BIGINT_PATTERN, out["big"])
    assert "e" not in out["price"].lower()  # plain notation, never an exponent
    assert out["at"] == "2024-05-01T12:30:15.123Z"  # UTC, Z, milliseconds
    assert out["optAt"] == "2024-02-29T00:00:00.000Z"  # a date alone is midnight UTC
    assert base64.b64decode(out["blob"], validate=True) == BLOB and out["optBlob"] == ""
    assert out["meta"] == SENT["meta"] and out["optMeta"] == [1, 2]
    assert out["tier"] == "PRO" and out["ratio"] == 1.25 and out["active"] is True
    # The nested relation is encoded by its own model, the hidden field dropped.
    assert out["owner"] == {"id": found["owner"]["id"], "name": "Ada", "email": "ada@example.com"}
    # What was stored is exactly what was sent (the engine's own Python values).
    assert found["big"] == BIG and found["price"] == Decimal("12345.67")
    assert found["at"] == dt.datetime(2024, 5, 1, 12, 30, 15, 123000, tzinfo=dt.UTC)
    assert found["blob"] == BLOB


async def test_the_encoded_record_decodes_to_the_same_data(infra: Infrastructure) -> None:
    created = await create_item(infra)
    schema = infra.schema
    out = roundtrip(infra, "item", created)
    again = {k: v for k, v in out.items() if k not in ("id", "ownerId")}
    second = await infra.repository("item").create(decode_input(schema.model("Item"), schema, again, where="body"))
    assert roundtrip(infra, "item", second) | {"id": out["id"], "ownerId": out["ownerId"]} == out


async def test_filters_and_path_values_convert_by_type(infra: Infrastructure) -> None:
    created = await create_item(infra)
    schema = infra.schema
    item = schema.model("Item")
    where = decode_where(
        item,
        schema,
        {
            "big": {"gt": str(BIG - 1), "in": [str(BIG), "1"]},
            "price": "12345.67",
            "at": {"gte": "2024-05-01T12:30:15.123Z", "not": {"equals": "2020-01-01T00:00:00Z"}},
            "blob": {"equals": base64.b64encode(BLOB).decode()},
            "owner": {"is": {"email": {"startsWith": "ada"}}},
            "OR": [{"optBig": {"lt": "0"}}, {"optBig": None}],
        },
        where="where",
    )
    found = await infra.repository("item").find_many(where=where)
    assert [r["id"] for r in found] == [created["id"]]
    key = decode_scalar(item.field("id"), str(created["id"]))
    assert (await infra.repository("item").find_unique({"id": key}))["name"] == "widget"
    texts = {"big": str(BIG), "at": "2024-05-01T12:30:15.123Z", "ratio": "1.25", "active": "true", "tier": "PRO"}
    converted = {name: decode_scalar(item.field(name), text) for name, text in texts.items()}
    assert await infra.repository("item").count(where=converted) == 1


async def test_update_operations_and_nested_writes_convert_their_values(infra: Infrastructure) -> None:
    created = await create_item(infra)
    schema = infra.schema
    body = {"big": {"increment": "2"}, "count": {"increment": 3}, "price": {"set": "0.01"}, "optAt": None}
    data = decode_input(schema.model("Item"), schema, body, where="body")
    updated = await infra.repository("item").update(created["id"], data)
    out = roundtrip(infra, "item", updated)
    assert out["big"] == str(BIG + 2) and out["count"] == 3 and Decimal(out["price"]) == Decimal("0.01")
    assert out["optAt"] is None

    nested = {
        "name": "Grace",
        "email": "grace@example.com",
        "items": {"create": [{**SENT, "name": "one"}, {**SENT, "name": "two", "big": "7"}]},
        "posts": {"create": {"title": "Hello"}},
    }
    owner = await infra.repository("owner").create(
        decode_input(schema.model("Owner"), schema, nested, where="body"), include={"items": True, "posts": True}
    )
    out = roundtrip(infra, "owner", owner)
    assert sorted(i["big"] for i in out["items"]) == sorted([str(BIG), "7"])
    assert all(i["at"] == "2024-05-01T12:30:15.123Z" for i in out["items"])
    assert out["posts"][0]["createdAt"].endswith("Z") and "secret" not in out

    moved = decode_input(
        schema.model("Owner"),
        schema,
        {"items": {"updateMany": {"where": {"big": "7"}, "data": {"optBig": "8"}}}},
        where="body",
    )
    await infra.repository("owner").update(owner["id"], moved)
    assert await infra.repository("item").count(where={"optBig": 8}) == 1


async def test_compound_ids_decode_from_path_segments(infra: Infrastructure) -> None:
    schema = infra.schema
    slot = schema.model("Slot")
    await infra.repository("slot").create(
        decode_input(slot, schema, {"day": 3, "tier": "PRO", "label": "x"}, where="body")
    )
    key = {name: decode_scalar(slot.field(name), text) for name, text in zip(slot.id_fields, ["3", "PRO"], strict=True)}
    found = await infra.repository("slot").find_unique({"day_tier": key})
    assert roundtrip(infra, "slot", found) == {"day": 3, "tier": "PRO", "label": "x"}
    where = decode_where(slot, schema, {"day_tier": {"day": 3, "tier": "PRO"}}, where="where")
    assert (await infra.repository("slot").find_unique(where))["label"] == "x"


@pytest.mark.parametrize("rest_database", ["postgresql"], indirect=True)  # SQLite has no scalar lists
async def test_scalar_lists_round_trip(infra: Infrastructure) -> None:
    schema = infra.schema
    listing = schema.model("Listing")
    body = {
        "tags": ["a", "b"],
        "amounts": ["1.5", "2"],
        "moments": ["2024-01-01T00:00:00Z"],
        "sizes": [str(BIG)],
        "chunks": [base64.b64encode(b"\x01\x02").decode()],
    }
    created = await infra.repository("listing").create(decode_input(listing, schema, body, where="body"))
    out = roundtrip(infra, "listing", created)
    assert out["sizes"] == [str(BIG)] and out["moments"] == ["2024-01-01T00:00:00.000Z"]
    assert [Decimal(a) for a in out["amounts"]] == [Decimal("1.5"), Decimal(2)] and out["chunks"] == ["AQI="]
    pushed = decode_input(listing, schema, {"sizes": {"push": "5"}}, where="body")
    updated = await infra.repository("listing").update(created["id"], pushed)
    assert roundtrip(infra, "listing", updated)["sizes"] == [str(BIG), "5"]
    where = decode_where(listing, schema, {"sizes": {"has": str(BIG)}}, where="where")
    assert await infra.repository("listing").count(where=where) == 1


async def test_aggregates_and_groups_take_their_fields_encodings(infra: Infrastructure) -> None:
    await create_item(infra)
    schema = infra.schema
    item = schema.model("Item")
    more = decode_input(item, schema, {**SENT, "name": "second", "price": "0.33", "tier": "FREE"}, where="body")
    await infra.repository("item").create(more)
    result = await infra.call(
        "Item",
        "aggregate",
        {"_sum": {"big": True, "price": True}, "_min": {"at": True}, "_avg": {"price": True}, "_count": {"_all": True}},
    )
    out = orjson.loads(dumps(encode_aggregate(item, schema, result)))
    assert out["_sum"]["big"] == str(2 * BIG)  # a BigInt sum stays exact: a string
    assert Decimal(out["_sum"]["price"]) == Decimal("12346.00") and out["_min"]["at"] == "2024-05-01T12:30:15.123Z"
    assert Decimal(out["_avg"]["price"]) == Decimal("6173") and out["_count"] == {"_all": 2}
    groups = await infra.call(
        "Item", "groupBy", {"by": ["tier", "at"], "_sum": {"big": True}, "orderBy": {"tier": "asc"}}
    )
    encoded = orjson.loads(dumps(encode_aggregate(item, schema, groups)))
    assert [(g["tier"], g["at"], g["_sum"]["big"]) for g in encoded] == [
        ("FREE", "2024-05-01T12:30:15.123Z", str(BIG)),
        ("PRO", "2024-05-01T12:30:15.123Z", str(BIG)),
    ]

"""What the REST encoding refuses, and how it says so: unknown and hidden fields (with the closest
visible match), values not in the documented encoding, unknown nested writes — naming model and
field, never the value."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from prisma_infra.errors import UnknownFieldError, ValidationError
from prisma_infra.rest.encoding import decode_input, decode_scalar, decode_where, dumps, encode_datetime
from prisma_infra.schema import Schema
from prisma_infra_prisma.dmmf import load_datamodel

from core.tests.rest.rest_support import schema_path

SECRET_VALUE = "hunter2-value"


@pytest.fixture(scope="module")
def schema() -> Schema:
    return Schema.from_datamodel(load_datamodel(schema_path("postgresql")), provider="postgresql")


def hide_secret(model: str, field: str) -> bool:
    return (model, field) == ("Owner", "secret")


def test_an_unknown_field_names_the_closest_match(schema: Schema) -> None:
    with pytest.raises(UnknownFieldError) as caught:
        decode_input(schema.model("Owner"), schema, {"nmae": "x"}, where="body")
    assert caught.value.model == "Owner" and caught.value.field == "nmae"
    assert caught.value.suggestion == "name" and "in body" in caught.value.message


def test_a_hidden_field_is_unknown_and_never_suggested(schema: Schema) -> None:
    owner = schema.model("Owner")
    with pytest.raises(UnknownFieldError) as caught:
        decode_input(owner, schema, {"secret": SECRET_VALUE}, where="body", hidden=hide_secret)
    assert caught.value.field == "secret" and caught.value.suggestion != "secret"
    with pytest.raises(UnknownFieldError) as near:
        decode_input(owner, schema, {"secrets": "x"}, where="body", hidden=hide_secret)
    assert near.value.suggestion != "secret"
    with pytest.raises(UnknownFieldError):
        decode_where(owner, schema, {"secret": {"equals": "x"}}, where="where", hidden=hide_secret)
    # Nested: the related model's hidden fields too.
    nested = {"name": "x", "items": {"connect": {"id": 1}}, "posts": {"create": {"title": "t", "autor": 1}}}
    with pytest.raises(UnknownFieldError) as deep:
        decode_input(owner, schema, nested, where="body", hidden=hide_secret)
    assert deep.value.model == "BlogPost" and deep.value.suggestion == "author"
    assert "body.posts.create" in deep.value.message


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("big", "12.5", "BigInt"),
        ("big", 1.5, "BigInt"),
        ("big", str(2**63), "BigInt (64-bit)"),
        ("price", "1,5", "Decimal"),
        ("price", "NaN", "Decimal"),
        ("price", float("inf"), "Decimal"),
        ("price", True, "Decimal"),
        ("price", "9801.43912873576e8411907", "below 1e308"),
        ("price", 10**400, "below 1e308"),
        ("at", "yesterday", "DateTime"),
        ("at", 1714560000, "DateTime"),
        ("blob", "not base64!", "Bytes"),
        ("blob", "abc", "Bytes"),  # unpadded
    ],
)
def test_a_value_out_of_its_encoding_is_refused_without_echoing_it(
    schema: Schema, field: str, value: Any, expected: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        decode_input(schema.model("Item"), schema, {field: value}, where="body")
    assert caught.value.model == "Item" and caught.value.field == field
    assert expected in caught.value.message and f"Item.{field} in body.{field}" in caught.value.message
    assert str(value) not in caught.value.message


def test_accepted_input_forms(schema: Schema) -> None:
    item = schema.model("Item")
    data = decode_input(
        item,
        schema,
        {"big": 5, "price": 2.5, "optPrice": 3, "at": "2024-01-01T10:00:00", "optAt": "2024-01-01T10:00:00Z"},
        where="body",
    )
    assert data["big"] == 5 and data["price"] == Decimal("2.5") and data["optPrice"] == Decimal(3)
    assert data["at"] == dt.datetime(2024, 1, 1, 10, tzinfo=dt.UTC) == data["optAt"]  # no offset: UTC
    assert decode_input(item, schema, {"price": "1e3"}, where="body")["price"] == Decimal(1000)
    # A Json value is never read as an operation, whatever keys it has.
    assert decode_input(item, schema, {"meta": {"set": "1e3"}}, where="body") == {"meta": {"set": "1e3"}}
    many = decode_input(item, schema, [{"big": "1"}, {"big": "2"}], where="body")
    assert many == [{"big": 1}, {"big": 2}]


def test_an_unknown_nested_write_is_refused_with_a_suggestion(schema: Schema) -> None:
    with pytest.raises(ValidationError) as caught:
        decode_input(schema.model("Owner"), schema, {"items": {"conect": {"id": 1}}}, where="body")
    assert caught.value.field == "items" and "Did you mean 'connect'?" in caught.value.message
    with pytest.raises(ValidationError):
        decode_input(schema.model("Owner"), schema, {"items": [1, 2]}, where="body")
    with pytest.raises(ValidationError):
        decode_input(schema.model("Owner"), schema, "not an object", where="body")


def test_nested_write_shapes_keep_their_operations(schema: Schema) -> None:
    owner = schema.model("Owner")
    body = {
        "items": {
            "connectOrCreate": {"where": {"id": 1}, "create": {"name": "n", "big": "9"}},
            "upsert": [{"where": {"id": 2}, "create": {"big": "1"}, "update": {"big": {"decrement": "1"}}}],
            "update": {"where": {"id": 3}, "data": {"optBig": "4"}},
            "createMany": {"data": [{"big": "5"}], "skipDuplicates": True},
            "deleteMany": [{"big": {"lt": "0"}}],
            "disconnect": [{"id": 4}],
        }
    }
    items = decode_input(owner, schema, body, where="body")["items"]
    assert items["connectOrCreate"] == {"where": {"id": 1}, "create": {"name": "n", "big": 9}}
    assert items["upsert"] == [{"where": {"id": 2}, "create": {"big": 1}, "update": {"big": {"decrement": 1}}}]
    assert items["update"] == {"where": {"id": 3}, "data": {"optBig": 4}}
    assert items["createMany"] == {"data": [{"big": 5}], "skipDuplicates": True}
    assert items["deleteMany"] == [{"big": {"lt": 0}}] and items["disconnect"] == [{"id": 4}]
    post = decode_input(schema.model("BlogPost"), schema, {"author": {"update": {"name": "x"}}}, where="body")
    assert post == {"author": {"update": {"name": "x"}}}
    with pytest.raises(UnknownFieldError) as wrong:
        decode_where(schema.model("Slot"), schema, {"day_tier": {"day": 1, "tiers": "PRO"}}, where="where")
    assert wrong.value.suggestion == "tier"


def test_decode_scalar_reads_path_and_query_text(schema: Schema) -> None:
    item = schema.model("Item")
    assert decode_scalar(item.field("id"), "42") == 42
    assert decode_scalar(item.field("big"), str(2**60)) == 2**60
    assert decode_scalar(item.field("ratio"), "-1.5e2") == -150.0
    assert decode_scalar(item.field("active"), "FALSE") is False
    assert decode_scalar(item.field("meta"), '{"a": 1}') == {"a": 1}
    assert decode_scalar(item.field("tier"), "PRO") == "PRO"
    assert decode_scalar(item.field("price"), "0.10") == Decimal("0.10")
    for name, text in [("id", "4x"), ("id", str(2**31)), ("ratio", "nan"), ("active", "yes"), ("meta", "{")]:
        with pytest.raises(ValidationError) as caught:
            decode_scalar(item.field(name), text, model="Item", where="query")
        assert caught.value.field == name and text not in caught.value.message.replace("query", "")


def test_dumps_writes_the_same_forms() -> None:
    moment = dt.datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    out = dumps({"d": Decimal("1E+2"), "t": moment, "b": b"\xff", "day": dt.date(2024, 1, 2)})
    assert out == b'{"d":"100","t":"2024-01-02T08:04:05.678Z","b":"/w==","day":"2024-01-02T00:00:00.000Z"}'
    assert encode_datetime(dt.datetime(2024, 1, 2)) == "2024-01-02T00:00:00.000Z"

"""The OpenAPI document: valid OpenAPI 3.1, one read/create/update schema per exposed model in the API's
own encodings, only what the settings expose, the filter parameters, problem+json errors and the
HTTP caching headers."""

from __future__ import annotations

import base64
import datetime as dt
from decimal import Decimal
from typing import Any

import jsonschema
import orjson
import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator
from prisma_infra.config.model import InfraConfig
from prisma_infra.rest.encoding import decode_input, dumps, encode_record
from prisma_infra.rest.exposure import ENDPOINT_WORDS
from prisma_infra.rest.openapi import build_document
from prisma_infra.schema import Schema
from prisma_infra_prisma.dmmf import load_datamodel

from core.tests.rest.rest_support import schema_path
from core.tests.schema.dmmf_fixtures import load_fixture

ERRORS = ("400", "401", "403", "404", "409", "422", "503", "504")


@pytest.fixture(scope="module")
def schema() -> Schema:
    return Schema.from_datamodel(load_datamodel(schema_path("postgresql")), provider="postgresql")


def document(schema: Schema, **settings: Any) -> dict[str, Any]:
    return build_document(InfraConfig.model_validate(settings), schema)


def check(doc: dict[str, Any], instance: Any, component: str) -> None:
    """Validate ``instance`` against ``#/components/schemas/<component>`` (formats checked)."""
    jsonschema.validate(
        instance,
        {"$ref": f"#/components/schemas/{component}", "components": doc["components"]},
        cls=jsonschema.Draft202012Validator,
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    )


def test_the_document_is_valid_openapi_3_1(schema: Schema) -> None:
    for settings in ({}, {"api": {"exclude_fields": ["Owner.secret"], "models": ["Item", "Slot"]}}):
        doc = document(schema, **settings)
        OpenAPIV31SpecValidator(doc).validate()
        assert doc["openapi"] == "3.1.0" and doc["servers"] == [{"url": "/api"}]
    with_jwt = document(schema, api={"auth": {"jose": {"enabled": True, "algorithms": ["HS256"], "secret": "k"}}})
    OpenAPIV31SpecValidator(with_jwt).validate()
    assert with_jwt["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


@pytest.mark.parametrize("fixture", ["blog", "mapped", "shop_mysql", "notes_sqlite"])
def test_every_fixture_schema_gives_a_valid_document(fixture: str) -> None:
    """Other shapes (implicit many-to-many, self relations, named compound keys, @map, MySQL and SQLite)."""
    schema = Schema.from_datamodel(load_fixture(fixture))
    doc = build_document(InfraConfig(), schema)
    OpenAPIV31SpecValidator(doc).validate()
    for model in schema.models:
        assert model.name in doc["components"]["schemas"]
        assert f"/{model.name[:1].lower()}{model.name[1:]}" in doc["paths"]


def test_every_model_has_its_schemas_in_the_api_encodings(schema: Schema) -> None:
    doc = document(schema)
    schemas = doc["components"]["schemas"]
    for model in ("Owner", "Item", "BlogPost", "Slot", "Listing"):
        assert {model, f"{model}Create", f"{model}Update", f"{model}Upsert"} <= set(schemas)
    item = schemas["Item"]["properties"]
    assert item["big"]["type"] == "string" and item["big"]["pattern"] == "^-?[0-9]+$"
    assert item["price"]["type"] == "string" and "pattern" in item["price"]
    assert item["at"] == {**item["at"], "type": "string", "format": "date-time"}
    assert item["blob"]["contentEncoding"] == "base64" and item["meta"] == {}
    assert item["optBig"]["type"] == ["string", "null"] and item["tier"] == {"$ref": "#/components/schemas/Tier"}
    assert item["owner"] == {"anyOf": [{"$ref": "#/components/schemas/Owner"}, {"type": "null"}]}
    assert schemas["Owner"]["properties"]["items"] == {"type": "array", "items": {"$ref": "#/components/schemas/Item"}}
    assert schemas["Tier"] == {"type": "string", "enum": ["FREE", "PRO"]}
    assert schemas["Listing"]["properties"]["sizes"]["items"]["pattern"] == "^-?[0-9]+$"
    create = schemas["ItemCreate"]
    assert set(create["required"]) == {"name", "big", "ratio", "price", "active", "at", "blob", "meta"}
    assert "required" not in schemas["ItemUpdate"] and "updatedAt" not in create["properties"]
    # A required relation: its foreign key or a nested write, exactly one of them.
    assert schemas["BlogPostCreate"]["allOf"] == [{"oneOf": [{"required": ["authorId"]}, {"required": ["author"]}]}]
    # A nested create leaves out the back relation and its foreign key.
    nested = schemas["BlogPostCreateWithoutAuthor"]["properties"]
    assert "author" not in nested and "authorId" not in nested and "title" in nested
    assert schemas["OwnerCreate"]["properties"]["posts"]["properties"]["create"]["anyOf"][0] == {
        "$ref": "#/components/schemas/BlogPostCreateWithoutAuthor"
    }
    assert schemas["SlotUpsert"].get("required") == ["label"]  # the key comes from the path


def test_encoded_records_and_bodies_fit_their_schemas(schema: Schema) -> None:
    doc = document(schema)
    item = schema.model("Item")
    # The Python values the engine returns (see test_encoding), through the API's encoding.
    record = {
        "id": 1,
        "name": "w",
        "count": 0,
        "big": 2**62,
        "ratio": 0.5,
        "price": Decimal("1E+3"),
        "active": False,
        "at": dt.datetime(2024, 5, 1, 12, 30, tzinfo=dt.UTC),
        "blob": b"\x00\xff",
        "meta": {"a": [1, None]},
        "note": None,
        "optBig": None,
        "optPrice": Decimal("-0.000001"),
        "optAt": None,
        "optBlob": None,
        "optMeta": None,
        "tier": "PRO",
        "ownerId": 3,
        "owner": {"id": 3, "name": "Ada", "email": "a@example.com", "secret": None},
    }
    check(doc, orjson.loads(dumps(encode_record(item, schema, record))), "Item")
    with pytest.raises(jsonschema.ValidationError):  # the document refuses a hidden field in an answer
        check(document(schema, api={"exclude_fields": ["Owner.secret"]}), {"id": 1, "secret": "x"}, "Owner")
    body = {
        "name": "w",
        "big": "-42",
        "ratio": 1,
        "price": "12.30",
        "active": True,
        "at": "2024-05-01T14:30:00+02:00",
        "blob": base64.b64encode(b"abc").decode(),
        "meta": [1],
        "owner": {"connect": {"email": "a@example.com"}},
    }
    check(doc, body, "ItemCreate")
    decoded = decode_input(item, schema, body, where="body")
    assert decoded["big"] == -42 and decoded["price"] == Decimal("12.30") and decoded["blob"] == b"abc"
    check(doc, {"count": {"increment": 2}, "big": {"set": "1"}, "optAt": None}, "ItemUpdate")
    for wrong in ({"big": 1.5}, {"at": "yesterday"}, {"unknown": 1}, {"count": {"increment": 1, "set": 2}}):
        with pytest.raises(jsonschema.ValidationError):
            check(doc, wrong, "ItemUpdate")


def test_only_exposed_models_actions_and_fields(schema: Schema) -> None:
    doc = document(
        schema,
        api={"models": ["Item", "BlogPost", "Slot"], "exclude_fields": ["Item.note", "ratio"]},
        models={
            "Item": {"api": {"actions": ["list", "read"], "exclude_fields": ["blob"]}},
            "Slot": {"api": {"enabled": False}},
        },
    )
    OpenAPIV31SpecValidator(doc).validate()
    paths, schemas = doc["paths"], doc["components"]["schemas"]
    assert "/owner" not in paths and "Owner" not in schemas and not any(p.startswith("/slot") for p in paths)
    assert set(paths["/item"]) == {"get"} and set(paths["/item/{id}"]) - {"parameters"} == {"get"}
    assert "/item/bulk" not in paths and "/item/count" not in paths and "/item/search" in paths
    assert "ItemCreate" not in schemas and "ItemUpdate" not in schemas  # Item offers no write here
    text = orjson.dumps(
        {"paths": paths["/item"], "schema": schemas["Item"], "post": schemas["BlogPostCreate"]}
    ).decode()
    for hidden in ('"note"', '"ratio"', '"blob"', '"owner"'):
        assert hidden not in text  # neither a property nor a filter parameter
    # The relation to the hidden Owner is gone; its foreign key stays (a plain field).
    post = schemas["BlogPost"]["properties"]
    assert "author" not in post and "authorId" in post and "allOf" not in schemas["BlogPostCreate"]
    assert "BlogPostCreate" in schemas and "/blogPost/{id}" in paths
    assert document(schema, api={"enabled": False})["paths"] == {}


def test_routes_keys_filters_and_responses(schema: Schema) -> None:
    doc = document(schema, api={"exclude_fields": ["Owner.secret"], "max_page_size": 50})
    paths = doc["paths"]
    assert "/blogPost" in paths and "/blogPost/{id}" in paths  # the client accessor
    slot = paths["/slot/{day}/{tier}"]["parameters"]
    assert [(p["name"], p["in"]) for p in slot] == [("day", "path"), ("tier", "path")]
    assert slot[1]["schema"] == {"$ref": "#/components/schemas/Tier"} and slot[0]["schema"]["type"] == "integer"
    key = paths["/blogPost/{id}"]["parameters"][0]["schema"]
    assert set(key["not"]["enum"]) == ENDPOINT_WORDS  # a String key cannot be an endpoint word

    listing = paths["/owner"]["get"]
    names = [p.get("name") or p["$ref"].rsplit("/", 1)[1] for p in listing["parameters"]]
    assert {"id", "name", "email"} <= set(names) and "secret" not in names
    assert {"where", "order", "select", "include", "page", "per_page", "cursor", "search", "IfNoneMatch"} <= set(names)
    email = next(p for p in listing["parameters"] if p.get("name") == "email")
    assert "op.value" in email["description"] and "ilike" in email["description"]
    params = doc["components"]["parameters"]
    assert params["per_page"]["schema"]["maximum"] == 50

    ok = listing["responses"]["200"]
    page = ok["content"]["application/json"]["schema"]
    assert page["required"] == ["data", "page"] and page["properties"]["data"]["items"] == {
        "$ref": "#/components/schemas/Owner"
    }
    assert {"ETag", "Link", "Cache-Control"} <= set(ok["headers"])
    assert listing["responses"]["304"] == {"$ref": "#/components/responses/NotModified"}
    read = paths["/owner/{id}"]["get"]["responses"]
    assert "ETag" in read["200"]["headers"] and "304" in read
    for status in ERRORS:
        assert status in read
    update = paths["/owner/{id}"]["patch"]["responses"]
    assert {"405", "409", "415", "422"} <= set(update) and "412" not in update  # no If-Match: never sent
    assert paths["/owner/search"]["post"]["requestBody"]["required"] is False
    problem = doc["components"]["responses"]["Unprocessable"]["content"]["application/problem+json"]["schema"]
    assert problem == {"$ref": "#/components/schemas/Problem"}
    assert "Retry-After" in doc["components"]["responses"]["Unavailable"]["headers"]
    assert "Location" in paths["/owner"]["post"]["responses"]["201"]["headers"]
    assert set(paths["/owner/{id}"]["put"]["responses"]) >= {"200", "201"}
    assert set(paths["/owner/bulk"]["post"]["responses"]) >= {"200", "207"}
    ids = [
        op["operationId"]
        for item in paths.values()
        for op in item.values()
        if isinstance(op, dict) and "operationId" in op
    ]
    assert len(ids) == len(set(ids))

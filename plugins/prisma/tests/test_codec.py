"""The value codec and the error mapping, without a database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import orjson
import pytest
from prisma_infra_prisma import AnyNull, DbNull, JsonNull
from prisma_infra_prisma.codec import decode, dumps, encode
from prisma_infra_prisma.errors import fields_for_index, to_exception
from prisma_infra_sdk import (
    EngineError,
    ForeignKeyConstraintError,
    RecordNotFoundError,
    TransactionError,
    UniqueConstraintError,
    ValidationError,
)


def wire(value: object) -> object:
    return orjson.loads(dumps(encode(value)))


def test_outgoing_tags() -> None:
    assert wire(datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)) == {
        "$type": "DateTime",
        "value": "2024-01-02T03:04:05.678+00:00",
    }
    east = timezone(timedelta(hours=2))
    assert wire(datetime(2024, 1, 2, 3, 0, tzinfo=east))["value"] == "2024-01-02T01:00:00.000+00:00"  # type: ignore[index]
    assert wire(datetime(2024, 1, 2))["value"] == "2024-01-02T00:00:00.000+00:00"  # type: ignore[index]
    assert wire(date(2024, 1, 2)) == {"$type": "DateTime", "value": "2024-01-02T00:00:00.000Z"}
    assert wire(Decimal("1.10")) == {"$type": "Decimal", "value": "1.10"}
    assert wire(b"\x00\xff") == {"$type": "Bytes", "value": "AP8="}
    assert wire([JsonNull, DbNull, AnyNull]) == [{"$type": "JsonNull"}, {"$type": "DbNull"}, {"$type": "AnyNull"}]
    assert wire(2**53 - 1) == 2**53 - 1
    assert wire({"n": [2**53, -(2**60)]}) == {
        "n": [{"$type": "BigInt", "value": str(2**53)}, {"$type": "BigInt", "value": str(-(2**60))}]
    }
    assert wire(True) is True


def test_json_holding_the_tag_key_is_escaped() -> None:
    value = {"data": {"meta": {"$type": "BigInt", "value": "1"}}}
    assert wire(value) == {"data": {"meta": {"$type": "Json", "value": {"$type": "BigInt", "value": "1"}}}}


def test_encode_does_not_copy_when_nothing_changes() -> None:
    args = {"where": {"id": 1, "tags": ["a", 2]}, "take": 5}
    assert encode(args) is args
    changed = {"where": {"id": 2**60}}
    assert encode(changed) is not changed and changed == {"where": {"id": 2**60}}


def test_incoming_tags() -> None:
    payload = {
        "at": {"$type": "DateTime", "value": "2024-01-02T03:04:05.678Z"},
        "big": {"$type": "BigInt", "value": "9223372036854775807"},
        "dec": {"$type": "Decimal", "value": "1e+21"},
        "raw": {"$type": "Bytes", "value": "AP8="},
        "json": {"$type": "Json", "value": {"$type": "DateTime", "value": "x"}},
        "list": [{"$type": "BigInt", "value": "5"}],
        "float": {"$type": "Float", "value": 2},  # an integral double of a raw Float column
    }
    out = decode(payload)
    assert out["at"] == datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    assert out["big"] == 2**63 - 1
    assert out["dec"] == Decimal("1e21")
    assert out["raw"] == b"\x00\xff"
    assert out["json"] == {"$type": "DateTime", "value": "x"}
    assert out["list"] == [5]
    assert type(out["float"]) is float and out["float"] == 2.0


def test_unsupported_type() -> None:
    with pytest.raises(TypeError, match="object"):
        dumps(object())


DATAMODEL = {
    "models": [
        {
            "name": "User",
            "dbName": None,
            "fields": [{"name": "id", "isId": True}, {"name": "email", "isUnique": True}],
            "uniqueIndexes": [],
            "uniqueFields": [],
            "primaryKey": None,
        },
        {
            "name": "Post",
            "dbName": "posts",
            "fields": [{"name": "title"}, {"name": "authorId", "dbName": "author_id"}],
            "uniqueIndexes": [{"name": None, "fields": ["authorId", "title"]}],
            "uniqueFields": [["authorId", "title"]],
            "primaryKey": None,
        },
    ]
}


def test_fields_for_index() -> None:
    assert fields_for_index("User_email_key", DATAMODEL) == ("User", ["email"])
    assert fields_for_index("posts_author_id_title_key", DATAMODEL) == ("Post", ["authorId", "title"])
    assert fields_for_index("custom_name", DATAMODEL) == (None, [])


def test_error_mapping() -> None:
    sqlite = {
        "code": "P2002",
        "message": "Unique constraint failed on the fields: (`email`)",
        "meta": {"modelName": "User", "driverAdapterError": {"cause": {"constraint": {"fields": ["User.email"]}}}},
    }
    error = to_exception(sqlite, "User", "create")
    assert isinstance(error, UniqueConstraintError) and error.fields == ["email"] and error.model == "User"
    pg = {"code": "P2002", "message": "x", "meta": {"driverAdapterError": {"cause": {"constraint": {"index": "i"}}}}}
    error = to_exception(pg, "User", "create")
    assert isinstance(error, UniqueConstraintError) and error.constraint == "i" and error.fields == []
    assert isinstance(to_exception({"code": "P2003", "message": "fk"}, "Post", "create"), ForeignKeyConstraintError)
    missing = to_exception({"code": "P2025", "message": "No record", "meta": {"modelName": "User"}}, None, "update")
    assert isinstance(missing, RecordNotFoundError) and missing.model == "User"
    assert isinstance(to_exception({"code": "P2028", "message": "expired"}, None, "$commit"), TransactionError)
    long = "\nInvalid `prisma.user.create()` invocation:\n\n{\n  data: {}\n}\n\nArgument `email` is missing."
    invalid = to_exception({"code": None, "kind": "validation", "message": long}, "User", "create")
    assert isinstance(invalid, ValidationError)
    assert invalid.message == "Invalid User.create() arguments: Argument `email` is missing."
    assert invalid.field == "email" and invalid.detail == long.strip()
    other = to_exception({"code": "P2010", "message": "raw failed", "meta": {"a": 1}}, None, "queryRaw")
    assert type(other) is EngineError and other.code == "P2010" and other.meta == {"a": 1}


def test_error_texts_carry_no_values() -> None:
    tree = (
        "Invalid `prisma.user.findMany()` invocation:\n\n{\n  where: {\n    email: {\n"
        '      equals: "alice@example.com",\n      bogus: "zed@example.org",\n      ~~~~~\n'
        "?     in?: String[],\n    },\n    karma: 987654321\n  }\n}\n\nUnknown argument `bogus`."
    )
    invalid = to_exception({"code": None, "kind": "validation", "message": tree}, "User", "findMany")
    assert isinstance(invalid, ValidationError) and invalid.field == "bogus"
    assert invalid.detail is not None and "?     in?: String[]," in invalid.detail and "karma: ***" in invalid.detail
    pg = {
        "code": "P2010",
        "message": 'Raw query failed. Code: `22P02`. Message: `invalid input syntax for type integer: "alice@x.io"`',
        "meta": {"driverAdapterError": {"cause": {"originalMessage": 'for type integer: "alice@x.io"'}}},
    }
    raw = to_exception(pg, None, "queryRaw")
    mysql = {
        "code": "P2010",
        "message": "Message: `Duplicate entry 'bob@x.io' for key 'User_email_key'`",
        "meta": {"driverAdapterError": {"cause": {"constraint": {"index": "User_email_key"}}}},
    }
    duplicate = to_exception(mysql, None, "executeRaw")
    detail = to_exception(
        {"code": "P2010", "message": "Key (email)=(carol@x.io) already exists; card 4242 4242 4242 4242"}, None, "q"
    )
    for error in (invalid, raw, duplicate, detail):
        text = f"{error} {error.detail} {getattr(error, 'meta', None)}"
        for value in ("alice@", "zed@", "987654321", "bob@", "carol@", "4242 4242 4242 4242"):
            assert value not in text, (value, text)
    # Names of constraints, columns, tables stay: they are what one needs to act.
    assert "for key 'User_email_key'" in str(duplicate) and "Key (email)=(***)" in str(detail)
    assert duplicate.meta == mysql["meta"]


def test_the_bridge_log_lines_are_masked() -> None:
    import logging

    from prisma_infra_prisma.errors import BridgeLogMasking

    def masked(message: str) -> str:
        record = logging.LogRecord("prisma_infra.engine.bridge", logging.DEBUG, __file__, 1, "%s", (message,), None)
        assert BridgeLogMasking().filter(record)
        return record.getMessage()

    query = masked("query: SELECT * FROM \"User\" WHERE email = 'ann@x.io' AND karma > 98765 (1 params, 0.4 ms)")
    assert query == 'query: SELECT * FROM "User" WHERE email = ? AND karma > ? (1 params, 0.4 ms)'
    warning = masked('Message: `invalid input syntax for type integer: "ann@x.io"`, call +44 20 7946 0789')
    assert "ann@" not in warning and "7946 0789" not in warning
    assert any(isinstance(f, BridgeLogMasking) for f in logging.getLogger("prisma_infra.engine.bridge").filters)


def test_values_the_database_refuses_are_validation_errors_without_the_value() -> None:
    for code in ("P2000", "P2006", "P2011", "P2019", "P2020", "P2033"):
        error = to_exception(
            {
                "code": code,
                "message": "Value out of range for the type: 'secret-123456'",
                "meta": {"column_name": "amount"},
            },
            "Reading",
            "create",
        )
        assert isinstance(error, ValidationError), code
        assert error.model == "Reading" and f"[{code}]" in error.message and "(amount)" in error.message
        assert "secret" not in error.message

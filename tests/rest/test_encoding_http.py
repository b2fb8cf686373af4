"""The REST encoding end to end over real HTTP on SQLite and PostgreSQL: what a client sends in the documented
JSON forms is stored exactly and comes back in the same forms, in bodies, paths, filters and nested records."""

from __future__ import annotations

import base64
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.http_server import ServedApp
from tests.rest.rest_http import served

pytestmark = pytest.mark.integration

__all__ = ["served"]

BIG = 2**53 + 1
BODY: dict[str, Any] = {
    "name": "widget",
    "big": str(BIG),
    "ratio": 1.25,
    "price": "12345.67",
    "active": True,
    "at": "2024-05-01T14:30:15.123+02:00",
    "blob": base64.b64encode(bytes(range(256))).decode(),
    "meta": {"a": [1, None, "x"], "deep": {"ok": True}},
    "optBig": "-9223372036854775808",
    "optAt": "2024-02-29",
    "tier": "PRO",
}


def test_every_type_round_trips_over_http(served: ServedApp) -> None:
    with httpx.Client(base_url=served.url + "/api") as http:
        owner = http.post("/owner", json={"name": "Round", "email": "round@example.com", "secret": "x"})
        assert owner.status_code == 422 and owner.json()["field"] == "secret"  # hidden: unknown, not suggested
        assert owner.json().get("suggestion") != "secret"
        owner = http.post("/owner", json={"name": "Round", "email": "round@example.com"}).json()
        created = http.post("/item", json={**BODY, "owner": {"connect": {"email": "round@example.com"}}})
        assert created.status_code == 201, created.text
        out = created.json()
        assert out["big"] == str(BIG) and out["optBig"] == "-9223372036854775808"
        assert Decimal(out["price"]) == Decimal("12345.67") and "e" not in out["price"].lower()
        assert out["at"] == "2024-05-01T12:30:15.123Z" and out["optAt"] == "2024-02-29T00:00:00.000Z"
        assert out["blob"] == BODY["blob"] and out["meta"] == BODY["meta"] and out["tier"] == "PRO"
        assert http.get(created.headers["location"]).json() == out

        found = http.get("/item", params={"big": f"eq.{BIG}", "at": "gte.2024-05-01T12:30:15.123Z", "tier": "eq.PRO"})
        assert [r["id"] for r in found.json()["data"]] == [out["id"]]
        patched = http.patch(f"/item/{out['id']}", json={"big": {"increment": "1"}, "price": "0.10", "optAt": None})
        assert patched.status_code == 200, patched.text
        assert patched.json()["big"] == str(BIG + 1) and patched.json()["optAt"] is None

        nested = http.get(f"/owner/{owner['id']}", params={"include": "items"}).json()
        assert [i["big"] for i in nested["items"]] == [str(BIG + 1)] and "secret" not in nested
        slot = http.get(f"/slot/1/{quote('PRO')}")  # a compound key, one segment per field
        assert slot.status_code == 200 and slot.json() == {"day": 1, "tier": "PRO", "label": "x"}

        wrong = http.post("/item", json={**BODY, "big": "12.5"})
        problem = wrong.json()
        assert wrong.status_code == 422 and wrong.headers["content-type"] == "application/problem+json"
        assert problem["model"] == "Item" and problem["field"] == "big" and "12.5" not in wrong.text

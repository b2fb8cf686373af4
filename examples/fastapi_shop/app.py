"""The shop's FastAPI app: the auto REST API of every model at ``/api``, and two routes of its own.

The three lines (``PrismaInfra``, ``FastAPI(lifespan=...)``, ``install``) give: the infrastructure
started and closed with the app (settings watched), the request's actor from its bearer JWT
(``api.auth.jose``), every error as RFC 9457 problem+json, and the REST API with its OpenAPI document
(``/api/openapi.json``, docs UI at ``/api/docs``). The policies of ``settings.toml`` apply to every
operation: the API's and the routes below alike.

Start it with ``python examples/fastapi_shop/run.py`` (database, schema, seed, tokens, uvicorn).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI
from prisma_infra.data.repository import Repository
from prisma_infra.errors import AuthenticationError, RecordNotFoundError
from prisma_infra.integrations.fastapi import Actor, Infra, PrismaInfra, Repo
from pydantic import BaseModel, Field

HERE = Path(__file__).resolve().parent

shop = PrismaInfra(HERE / "settings.toml")
app = FastAPI(title="fastapi_shop", lifespan=shop.lifespan)
shop.install(app)


class Line(BaseModel):
    product_id: int
    quantity: int = Field(ge=1, le=100)


class Checkout(BaseModel):
    items: list[Line] = Field(min_length=1, max_length=50)


def signed_in(actor: Any) -> dict[str, Any]:
    if not isinstance(actor, dict):
        raise AuthenticationError("This route needs a bearer token (a signed-in user).", reason="invalid_request")
    return actor


@app.get("/me")
async def me(actor: Actor, users: Annotated[Repository, Repo("user")]) -> dict[str, Any]:
    """The request's actor (from its token) and its user row (read under the policies, like any read)."""
    actor = signed_in(actor)
    return {"actor": actor, "user": await users.find_unique({"id": actor["id"]})}


@app.post("/checkout", status_code=201)
async def checkout(body: Checkout, actor: Actor, infra: Infra) -> dict[str, Any]:
    """Place an order for the signed-in customer: prices from the catalog, one transaction.

    Products are read AS THE CUSTOMER (tenant-scoped by the ``catalog`` policy): another tenant's
    product is "not found", exactly as through the REST API. The order is then written by the app
    itself (policies bypassed: customers may not create orders through the API, where they could
    choose the prices), with the tenant and user taken from the verified token.
    """
    actor = signed_in(actor)
    ids = sorted({line.product_id for line in body.items})
    async with infra.transaction() as tx:
        found = await tx.repository("product").find_many(where={"id": {"in": ids}, "active": True})
        prices = {product["id"]: product["price"] for product in found}
        if len(prices) != len(ids):
            raise RecordNotFoundError("No active Product record found by id for every line", model="Product")
        items = [
            {
                "productId": line.product_id,
                "tenantId": actor["tenant_id"],
                "quantity": line.quantity,
                "unitPrice": prices[line.product_id],
            }
            for line in body.items
        ]
        total = sum((item["unitPrice"] * item["quantity"] for item in items), Decimal("0"))
        with infra.policies.bypass():
            order = await tx.repository("order").create(
                {"tenantId": actor["tenant_id"], "userId": actor["id"], "total": total, "items": {"create": items}}
            )
    return {"id": order["id"], "total": str(order["total"]), "lines": len(items), "status": order["status"]}

"""Demo data for the shop: two tenants, their users, products and orders; and demo tokens.

``await seed(infra)`` empties the tables and writes the rows below (policies bypassed, like a
migration or a job: the API never can). ``mint_token(jose, user)`` signs the JWT the shop's login
service would hand that user (HS256 with ``api.auth.jose.secret``). ``python seed.py`` seeds the
database of ``settings.toml`` (its tables must exist: ``run.py`` pushes them first).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import jwt
from prisma_infra.config.api import JwtConfig
from prisma_infra.infrastructure import Infrastructure

HERE = Path(__file__).resolve().parent
SETTINGS = HERE / "settings.toml"

TENANTS = [{"id": "acme", "name": "Acme Outdoor"}, {"id": "globex", "name": "Globex Electronics"}]
USERS = [
    {"id": "acme-admin", "tenantId": "acme", "email": "ada@acme.example", "name": "Ada", "role": "ADMIN"},
    {"id": "acme-staff", "tenantId": "acme", "email": "sam@acme.example", "name": "Sam", "role": "STAFF"},
    {"id": "acme-alice", "tenantId": "acme", "email": "alice@acme.example", "name": "Alice", "role": "CUSTOMER"},
    {"id": "globex-admin", "tenantId": "globex", "email": "gil@globex.example", "name": "Gil", "role": "ADMIN"},
    {"id": "globex-bob", "tenantId": "globex", "email": "bob@globex.example", "name": "Bob", "role": "CUSTOMER"},
]
PRODUCTS = {
    "acme": [
        ("TENT-2P", "Two-person tent", "Light tent for two, 2.1 kg", "249.00", 12),
        ("BAG-30L", "Day pack 30 l", "Hiking backpack with rain cover", "89.90", 40),
        ("LAMP-HD", "Head lamp", "400 lumen, USB rechargeable", "34.50", 75),
    ],
    "globex": [
        ("PHONE-X", "Phone X", "6.1 inch, 128 GB", "799.00", 20),
        ("EARBUDS", "Wireless earbuds", "Noise cancelling", "129.00", 150),
        ("CHARGER", "USB-C charger", "65 W, two ports", "39.99", 300),
    ],
}
#: (customer, [(sku, quantity)], status, days ago)
ORDERS = [
    ("acme-alice", [("TENT-2P", 1), ("LAMP-HD", 2)], "PAID", 12),
    ("acme-alice", [("BAG-30L", 1)], "SHIPPED", 3),
    ("globex-bob", [("PHONE-X", 1), ("CHARGER", 1)], "PAID", 5),
    ("globex-bob", [("EARBUDS", 2)], "PENDING", 0),
]


async def seed(infra: Infrastructure) -> dict[str, int]:
    """Empty the shop's tables and write the demo rows; the number of rows per model."""
    now = datetime.now(UTC)
    with infra.policies.bypass():
        for model in ("OrderItem", "Order", "Product", "User", "Tenant"):
            await infra.repository(model).delete_many()
        await infra.repository("Tenant").create_many(TENANTS)
        await infra.repository("User").create_many(USERS)
        products = infra.repository("Product")
        catalog: dict[str, dict[str, Any]] = {}
        for tenant, rows in PRODUCTS.items():
            for sku, name, description, price, stock in rows:
                data = {"tenantId": tenant, "sku": sku, "name": name, "description": description}
                catalog[sku] = await products.create({**data, "price": Decimal(price), "stock": stock})
        orders = infra.repository("Order")
        tenant_of = {user["id"]: user["tenantId"] for user in USERS}
        for customer, lines, status, days_ago in ORDERS:
            tenant = tenant_of[customer]
            items = [
                {"productId": catalog[sku]["id"], "tenantId": tenant, "quantity": n, "unitPrice": catalog[sku]["price"]}
                for sku, n in lines
            ]
            total = sum((item["unitPrice"] * item["quantity"] for item in items), Decimal("0"))
            await orders.create(
                {
                    "tenantId": tenant,
                    "userId": customer,
                    "status": status,
                    "total": total,
                    "createdAt": now - timedelta(days=days_ago),
                    "items": {"create": items},
                }
            )
    return {"Tenant": len(TENANTS), "User": len(USERS), "Product": len(catalog), "Order": len(ORDERS)}


def mint_token(jose: JwtConfig, user: Mapping[str, Any], *, ttl: int = 3600) -> str:
    """The bearer token of ``user`` (a row of `USERS`), as the shop's login service would sign it."""
    if jose.secret is None:
        raise RuntimeError(
            "api.auth.jose.secret is not set: run run.py once, or set PRISMA_INFRA_API__AUTH__JOSE__SECRET"
        )
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": user["id"],
        "roles": [user["role"]],
        "tenant_id": user["tenantId"],
        "iat": now,
        "exp": now + ttl,
    }
    if isinstance(jose.audience, str):
        claims["aud"] = jose.audience
    elif jose.audience:
        claims["aud"] = jose.audience[0]
    if jose.issuer:
        claims["iss"] = jose.issuer
    return jwt.encode(claims, jose.secret.get_secret_value(), algorithm=jose.algorithms[0])


async def main() -> None:
    async with Infrastructure.from_settings(SETTINGS) as infra:
        counts = await seed(infra)
    print("seeded:", ", ".join(f"{n} {model}" for model, n in counts.items()))


if __name__ == "__main__":
    asyncio.run(main())

"""What the dashboard tests share: the snapshot document as a client reads it over HTTP."""

from __future__ import annotations

from typing import Any

import httpx
from prisma_infra.web import create_app


async def dashboard_snapshot(infra: Any, token: str) -> dict[str, Any]:
    """``GET /dashboard/api/snapshot`` of ``infra``'s web app (in process, bearer ``token``): the document."""
    transport = httpx.ASGITransport(app=create_app(infra))
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost", headers=headers) as http:
        response = await http.get("/dashboard/api/snapshot")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document

"""The middleware kit over the kernel's built-in middleware (each in a running infrastructure)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from prisma_infra_sdk.testing import MiddlewareContract


class TestValidation(MiddlewareContract):
    middleware_name = "validation"


class TestCache(MiddlewareContract):
    middleware_name = "cache"


class TestMetrics(MiddlewareContract):
    middleware_name = "metrics"

    @pytest.fixture
    def config(self) -> Mapping[str, Any]:
        return {"monitoring": {"exporters": ["prometheus"]}}

    @pytest.fixture
    def plugin(self) -> object:
        return "prometheus"  # the installed plugin, loaded from its entry point


class TestPolicies(MiddlewareContract):
    middleware_name = "policies"

    @pytest.fixture
    def config(self) -> Mapping[str, Any]:
        # A row filter merged into every read's `where`: the path most likely to mutate the caller's args.
        rules = [
            {"name": "visible", "effect": "allow", "actions": ["read"], "where": {"score": {"gte": 0}}},
            {"name": "writers", "effect": "allow", "actions": ["create", "update", "delete"]},
        ]
        return {"models": {"User": {"policies": [{"name": "users", "rules": rules}]}}}


class TestSecurity(MiddlewareContract):
    middleware_name = "security"


class TestAudit(MiddlewareContract):
    middleware_name = "audit"

    @pytest.fixture
    def config(self) -> Mapping[str, Any]:
        return {"audit": {"sinks": ["file"]}}


class TestAnalytics(MiddlewareContract):
    middleware_name = "analytics"


class TestPii(MiddlewareContract):
    middleware_name = "pii"


COVERED = {
    "analytics": TestAnalytics,
    "validation": TestValidation,
    "cache": TestCache,
    "metrics": TestMetrics,
    "policies": TestPolicies,
    "security": TestSecurity,
    "audit": TestAudit,
    "pii": TestPii,
}

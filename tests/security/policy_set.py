"""The recommended multi-tenant policy set (docs/security.md shows the same in TOML; a test compares them).

Every model has a tenant row filter; platform admins (``ADMIN``) see every tenant and
every field; nobody changes a row's ``tenantId``; e-mail is masked (partial), the card
number hidden, the salary masked to null, the post's ``secret`` hidden; only admins run
raw SQL.
"""

from __future__ import annotations

from typing import Any

TENANT_RULES: list[dict[str, Any]] = [
    {"name": "platform-admins", "effect": "allow", "actions": ["all"], "roles": ["ADMIN"]},
    {"name": "same-tenant", "effect": "allow", "actions": ["all"], "where": {"tenantId": "{actor.tenant_id}"}},
]
TENANT_IS_FIXED: dict[str, Any] = {
    "name": "tenant-is-fixed",
    "fields": ["tenantId"],
    "write": "deny",
    "write_actions": ["update"],
}

POLICY_SET: dict[str, Any] = {
    "policies": {"default": "deny", "raw_roles": ["ADMIN"]},
    "models": {
        "Tenant": {
            "policies": [
                {
                    "name": "tenants",
                    "rules": [
                        {"name": "platform-admins", "effect": "allow", "actions": ["all"], "roles": ["ADMIN"]},
                        {"name": "own-tenant", "effect": "allow", "actions": ["read"],
                         "where": {"id": "{actor.tenant_id}"}},
                    ],
                }
            ]
        },
        "User": {
            "policies": [
                {
                    "name": "users",
                    "rules": TENANT_RULES,
                    "fields": [
                        TENANT_IS_FIXED,
                        {"name": "email-masked", "fields": ["email"], "read": "mask", "mask": "partial",
                         "except_roles": ["ADMIN"]},
                        {"name": "card-hidden", "fields": ["cardNumber"], "read": "hide", "except_roles": ["ADMIN"]},
                        {"name": "salary-masked", "fields": ["salary"], "read": "mask", "mask": "null",
                         "except_roles": ["ADMIN"]},
                    ],
                }
            ]
        },
        "Post": {
            "policies": [
                {
                    "name": "posts",
                    "rules": TENANT_RULES,
                    "fields": [
                        TENANT_IS_FIXED,
                        {"name": "secret-hidden", "fields": ["secret"], "read": "hide", "except_roles": ["ADMIN"]},
                    ],
                }
            ]
        },
        "Comment": {"policies": [{"name": "comments", "rules": TENANT_RULES, "fields": [TENANT_IS_FIXED]}]},
    },
}

#: The attacker: a READER of tenant acme (user 1). Its neighbour and the platform admin are controls.
ATTACKER: dict[str, Any] = {"id": 1, "roles": ["READER"], "tenant_id": "acme"}
GLOBEX_READER: dict[str, Any] = {"id": 3, "roles": ["READER"], "tenant_id": "globex"}
ADMIN: dict[str, Any] = {"id": 99, "roles": ["ADMIN"], "tenant_id": "acme"}

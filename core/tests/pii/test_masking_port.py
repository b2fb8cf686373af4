"""The PII feature's `Masking` port (``ports.masking.MASKING``), published by the ``pii`` middleware,
and what audit's `PiiSeam` does with it and without it."""

from __future__ import annotations

from prisma_infra.audit.masking import PiiSeam
from prisma_infra.pii.service import PII, PiiService, pii_manager
from prisma_infra.ports.masking import MASKING

from core.tests.pii.pii_crm import crm_infrastructure

ANN = {"email": "ann@example.com", "firstName": "Ann", "notes": "prefers mail"}


async def test_the_pii_middleware_publishes_masking() -> None:
    async with crm_infrastructure() as infra:
        masking = infra.runtime.services.require(MASKING)
        assert isinstance(masking, PiiService) and infra.runtime.services.require(PII) is masking
        assert pii_manager(infra) is masking.manager  # one manager per runtime, built on first use
        assert masking.field_categories("Customer")["email"] == "email"
        masked = masking.mask_record("Customer", ANN)
        assert masked["email"] != ANN["email"] and masked["email"].endswith("@example.com")
        assert masked["notes"] == "prefers mail"
        assert masking.apply_strategy("ann@example.com", "redact", model="Customer", field="email") != ANN["email"]
        args = {"where": {"email": "ann@example.com"}, "take": 5}
        assert masking.mask_args(args, model="Customer")["take"] == 5
        assert "ann@example.com" not in str(masking.mask_args(args, model="Customer"))
        text = masking.mask_text("duplicate key Ann Smith-Jones", args={"data": {"lastName": "Smith-Jones"}})
        assert "Smith-Jones" not in text and text.startswith("duplicate key")


async def test_a_reload_builds_a_new_manager_that_keeps_what_was_learned() -> None:
    async with crm_infrastructure() as infra:
        first = pii_manager(infra)
        first.learned["Customer"] = {"notes": "employee_id"}
        config = infra.runtime.config
        await infra.apply_config(config.model_copy(update={"pii": config.pii.model_copy(update={"min_share": 0.7})}))
        second = pii_manager(infra)
        assert second is not first and second.learned == first.learned
        assert infra.runtime.services.require(MASKING).field_categories("Customer")["notes"] == "employee_id"


async def test_without_the_pii_middleware_audit_masks_by_field_name() -> None:
    async with crm_infrastructure(pipeline={"disable": ["pii"]}) as infra:
        assert infra.runtime.services.get(MASKING) is None
        assert pii_manager(infra) is pii_manager(infra)  # still available for classification and the inventory
        masked = PiiSeam(infra).mask("Customer", ANN)
        assert masked["email"] == "a***@example.com" and masked["notes"] == "prefers mail"

"""``infra.pii`` on a real `Infrastructure` (memory engine): hook, sampling, inventory, reload, CLI."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from prisma_infra.cli.app import build_app
from prisma_infra.hookspecs import hookimpl
from prisma_infra.operation import Action
from prisma_infra.pii import PiiManager
from prisma_infra.plugin_manager import PluginManager
from prisma_infra.providers import PiiDetector, PiiMatch
from typer.testing import CliRunner

from core.tests.pii.pii_crm import CrmEnginePlugin, crm_infrastructure

CUSTOMERS = [
    {"email": "ann@example.com", "firstName": "Ann", "lastName": "Smith", "phone": "+44 20 7946 0011",
     "contact": "+1 202-555-0143", "notes": "prefers mail"},
    {"email": "bob@example.org", "firstName": "Bob", "lastName": "Jones", "phone": "+44 20 7946 0012",
     "contact": "+1 202-555-0187", "notes": "EMP-000123"},
    {"email": "cy@example.net", "firstName": "Cy", "lastName": "Young", "phone": None,
     "contact": "+1 202-555-0199", "notes": "EMP-000456"},
]  # fmt: skip


class EmployeeIdDetector(PiiDetector):
    """A third-party detector with its own category."""

    name = "employee_id"

    def detect(self, value: str, *, field: str | None = None) -> list[PiiMatch]:
        return [PiiMatch("employee_id", 0.9, "EMP- number")] if value.startswith("EMP-") else []


class EmployeeIdPlugin:
    name = "employee-ids"

    @hookimpl
    def register_pii_detectors(self, register: Callable[[str, Any], None]) -> None:
        register("employee_id", EmployeeIdDetector())


async def seed(infra: Any) -> None:
    for row in CUSTOMERS:
        await infra.call("Customer", "create", {"data": row})


async def test_inventory_samples_through_the_pipeline() -> None:
    async with crm_infrastructure(
        EmployeeIdPlugin(), models={"Customer": {"pii": {"lastName": "none"}}}, pii={"min_share": 0.6}
    ) as infra:
        await seed(infra)
        assert {"email", "phone", "employee_id"} <= set(infra.runtime.registry["pii_detectors"])
        report = await infra.pii.inventory(sample=50)
        sampled = [op for op in infra.engine.calls if op.action is Action.FIND_MANY]
        assert sampled and all(op.args["take"] == 50 for op in sampled)
        assert all(op.context.extra.get("purpose") == "pii-sample" for op in sampled)
        assert "Decimal" not in json.dumps([list(op.args["select"]) for op in sampled])
        by_field = {(e.model, e.field): e for e in report}
        assert by_field[("Customer", "email")].source == "schema+values"
        assert by_field[("Customer", "contact")].category == "phone"
        assert by_field[("Customer", "contact")].source == "values"
        assert by_field[("Customer", "notes")].category == "employee_id"  # 2 of 3 values
        assert ("Customer", "lastName") not in by_field  # configured "none"
        assert by_field[("Customer", "iban")].source == "schema"  # empty column: name only
        assert report.sampled_models["Customer"] == 3 and report.sampled_models["Tag"] == 0
        # What the inventory learned from values is masked from now on.
        masked = infra.pii.mask_record("Customer", CUSTOMERS[0])
        assert masked["contact"] == "+1 **** ***143" and masked["lastName"] == "Smith"


async def test_manager_is_rebuilt_for_a_new_runtime() -> None:
    infra = crm_infrastructure()
    async with infra:
        first = infra.pii
        assert isinstance(first, PiiManager) and infra.pii is first
        first.learned["Customer"] = {"notes": "email"}
        infra._runtime = type(infra.runtime)(  # what a reload does: a new runtime, same schema
            config=infra.runtime.config.model_copy(update={"pii": infra.runtime.config.pii.model_copy(
                update={"default_region": "GB"})}),
            registry=infra.runtime.registry, engine=infra.runtime.engine, middleware=infra.runtime.middleware,
            handler=infra.runtime.handler,
        )  # fmt: skip
        second = infra.pii
        assert second is not first and second.settings.default_region == "GB"
        assert second.learned == {"Customer": {"notes": "email"}}


async def test_inventory_without_sampling() -> None:
    async with crm_infrastructure() as infra:
        report = await infra.pii.inventory(sample=0)
        assert not [op for op in infra.engine.calls if op.action is Action.FIND_MANY]
        assert report.get("Order", "cardNumber") is not None


def test_cli_scan(tmp_path: Path) -> None:
    settings = tmp_path / "settings.toml"
    settings.write_text('[default]\ndatabase.engine = "memory-crm"\n\n[default.models.Customer.pii]\nnotes = "email"\n')
    plugins = PluginManager(autoload=False, environ={})
    plugins.load_all()
    plugins.register(CrmEnginePlugin())
    app = build_app(plugins)
    runner = CliRunner()
    result = runner.invoke(app, ["pii", "scan", "--settings", str(settings), "--format", "json", "--sample", "5"])
    assert result.exit_code == 0, result.output
    entries = {(e["model"], e["field"]): e for e in json.loads(result.output)["entries"]}
    assert entries[("Customer", "notes")]["source"] == "config"
    assert entries[("Customer", "email")]["category"] == "email"
    table = runner.invoke(app, ["pii", "scan", "-s", str(settings)], env={"COLUMNS": "200"})
    assert table.exit_code == 0 and "PII inventory" in table.output and "cardNumber" in table.output
    missing = runner.invoke(app, ["pii", "scan", "-s", str(tmp_path / "nope.toml")])
    assert missing.exit_code != 0


def test_cli_detect() -> None:
    plugins = PluginManager(autoload=False, environ={})
    plugins.load_all()
    result = CliRunner().invoke(build_app(plugins), ["pii", "detect", "4242 4242 4242 4242"])
    assert result.exit_code == 0 and json.loads(result.output)[0]["category"] == "card"

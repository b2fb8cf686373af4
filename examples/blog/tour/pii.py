"""The tour's PII section: the schema's PII inventory, and one user as a READER and as an ADMIN see it.

docs/pii.md: ``infra.pii.classify_schema()`` reads field names and types;
``await infra.pii.inventory(sample=n)`` also reads up to ``n`` rows per model through the
infrastructure and reports every PII field with its category, confidence, source and
masked evidence. ``infra.pii.mask_record(model, record, purpose="result", role=...)``
masks a query result for a role; roles in ``pii.reveal_roles`` see clear values in
results and exports, never in audit events or logs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prisma_infra.infrastructure import Infrastructure
from rich.console import Console
from rich.table import Table

#: Rows read per model to confirm (or find) what the schema's names suggest.
SAMPLE = 200
#: The tour's allowed role: it sees clear values in query results (pii.reveal_roles).
REVEAL_ROLE = "ADMIN"


def settings(output: Path) -> dict[str, Any]:
    return {"pii": {"reveal_roles": [REVEAL_ROLE]}}


def _text(value: Any) -> str:
    return "" if value is None else str(value)


async def show(infra: Infrastructure, console: Console, output: Path) -> dict[str, Any]:
    console.rule("[bold cyan]PII: the inventory and masking")
    pii = infra.pii

    # 1. What the schema alone says (field names and types), then the inventory with sampled values.
    from_schema = pii.classify_schema()
    report = await pii.inventory(sample=SAMPLE)
    inventory = [
        {
            "model": entry.model,
            "field": entry.field,
            "type": entry.type,
            "category": entry.category,
            "confidence": entry.confidence,
            "schema_confidence": (c.confidence if (c := from_schema.get(entry.model, {}).get(entry.field)) else None),
            "source": entry.source,
            "sampled": entry.sampled,
            "matched": entry.matched,
            "evidence": entry.evidence,
        }
        for entry in report
    ]
    table = Table(title=f"PII inventory (schema + up to {SAMPLE} sampled rows per model)")
    for column in ("field", "category", "schema alone", "with values", "source", "matched", "evidence"):
        table.add_column(column, overflow="fold")
    for row in inventory:
        table.add_row(
            f"{row['model']}.{row['field']}",
            str(row["category"]),
            _text(row["schema_confidence"]),
            f"{row['confidence']:.3f}",
            str(row["source"]),
            f"{row['matched']}/{row['sampled']}",
            str(row["evidence"]),
        )
    console.print(table)
    read = ", ".join(f"{model} {rows}" for model, rows in report.sampled_models.items())
    console.print(f"rows sampled: {read}; models whose sample failed: {dict(report.errors) or 'none'}")

    # 2. One user read by an ordinary reader, masked for the reader's role; the same row for ADMIN.
    users = infra.repository("User")
    reader = await users.find_first(where={"role": "READER"}, order_by={"id": "asc"})
    assert reader is not None, "the seed makes readers"
    actor = {"id": reader["id"], "role": "READER"}
    with infra.acting_as(actor):
        record = await users.find_first(where={"id": {"not": reader["id"]}}, order_by={"id": "asc"})
        assert record is not None, "the reader can read another user"
        as_reader = pii.mask_record("User", record, purpose="result", role=actor["role"])
    as_admin = pii.mask_record("User", record, purpose="result", role=REVEAL_ROLE)
    admin_audit = pii.mask_record("User", record, purpose="audit", role=REVEAL_ROLE)

    shown = ["id", "email", "name", "role"]
    table = Table(title=f"User {record['id']}, read by user {reader['id']} (READER)")
    table.add_column("field")
    table.add_column("READER sees (result)")
    table.add_column(f"{REVEAL_ROLE} sees (pii.reveal_roles)")
    table.add_column(f"{REVEAL_ROLE} in an audit event")
    for key in shown:
        table.add_row(key, _text(as_reader[key]), _text(as_admin[key]), _text(admin_audit[key]))
    console.print(table)
    categories = pii.field_categories("User")
    console.print(
        f"masked for READER: {', '.join(f'{f} ({c})' for f, c in sorted(categories.items()))}; "
        f"audit events and logs stay masked for every role"
    )

    # 3. Free text: a log line with the same values, masked by the detectors.
    line = f"password reset mailed to {record['email']} for {record['name']}"
    masked_line = pii.mask_text(line)
    console.print(f"log line: {masked_line}")

    return {
        "inventory": inventory,
        "sampled_models": dict(report.sampled_models),
        "errors": dict(report.errors),
        "field_categories": dict(categories),
        "reader_id": reader["id"],
        "record_id": record["id"],
        "reader_view": {key: _text(as_reader[key]) for key in shown},
        "admin_view": {key: _text(as_admin[key]) for key in shown},
        "admin_audit_view": {key: _text(admin_audit[key]) for key in shown},
        "log_line": masked_line,
    }

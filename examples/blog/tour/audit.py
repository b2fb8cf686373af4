"""The tour's audit section: the trail the demo's writes left, verified, then tampered with in a copy.

Everything here is the public API of docs/audit.md: the trail is on because ``audit.sinks``
names the ``file`` sink (a JSON-lines file in the run's ``output`` folder), keyed with
``audit.hash_key`` (HMAC-SHA256). Before/after images are masked by the PII feature
(``User.email`` is PII). ``infra.acting_as`` gives the section's own writes a named actor,
``infra.audit.query`` / ``history`` read the trail back, ``infra.audit.verify()`` and the
``prisma-infra audit verify --path FILE --key KEY`` command check the hash chain, and the
same command names the event edited in a copy of the trail.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from prisma_infra.infrastructure import Infrastructure
from rich.console import Console
from rich.table import Table

#: A demo key: a real one belongs in .secrets.toml (docs/audit.md, "Turning it on").
HASH_KEY = "tour-demo-audit-key"
ACTOR = {"id": "editor-ada", "role": "EDITOR"}
REQUEST_ID = "tour-audit-1"
EMAIL = "ada.lovelace@example.com"


def trail_path(output: Path) -> Path:
    return output / "audit" / "audit.jsonl"


def settings(output: Path) -> dict[str, Any]:
    return {
        "audit": {
            "sinks": ["file"],
            "sink_options": {"file": {"path": str(trail_path(output))}},
            "buffer_dir": str(output / "audit" / "buffer"),
            "hash_key": HASH_KEY,
        },
        # Every model is audited: the seed's bulk writes (thousands of rows) add well under a second.
    }


def _cli_verify(path: Path) -> subprocess.CompletedProcess[str]:
    """``prisma-infra audit verify --path FILE --key KEY``, run as an operator would."""
    return subprocess.run(
        [sys.executable, "-m", "prisma_infra", "audit", "verify", "--path", str(path), "--key", HASH_KEY],
        capture_output=True,
        text=True,
        timeout=60,
    )


def _image(image: dict[str, Any] | None, fields: tuple[str, ...]) -> str:
    """A before/after image as ``field=value`` pairs (values as the trail stores them: masked)."""
    if image is None:
        return ""
    return " ".join(f"{k}={str(image[k])[:24]}" for k in fields)


async def show(infra: Infrastructure, console: Console, output: Path) -> dict[str, Any]:
    console.rule("[bold cyan]Audit trail: who changed what, hash-chained, PII masked")
    started = time.perf_counter()
    trail = trail_path(output)

    # 1. What the demo's writes so far left in the trail (the seed, the data-layer tour, the sections).
    before_mine = await infra.audit.query()
    by_kind = Counter((e["model"], e["action"], e["actor"]) for e in before_mine)
    summary = Table(title=f"events of the demo's writes so far: {len(before_mine)} (no actor: the seed ran as no one)")
    for column in ("model", "action", "actor", "events"):
        summary.add_column(column, justify="right" if column == "events" else "left")
    for (model, action, actor), n in sorted(by_kind.items(), key=lambda kv: (str(kv[0][0]), kv[0][1])):
        summary.add_row(str(model), action, actor or "-", str(n))
    console.print(summary)

    # 2. Writes of our own, by a named actor.
    users, posts = infra.repository("user"), infra.repository("post")
    await users.delete_many({"email": EMAIL})  # no-op on a fresh database: the demo starts anew
    seen = before_mine[-1]["seq"] if before_mine else 0
    with infra.acting_as(ACTOR, request_id=REQUEST_ID):
        ada = await users.create({"email": EMAIL, "name": "Ada Lovelace"})
        await users.update(ada["id"], {"role": "AUTHOR", "karma": 1843})
        note = await posts.create(
            {"title": "Notes on the Analytical Engine", "slug": "ada-notes", "body": "...", "authorId": ada["id"]}
        )
        await posts.update(note["id"], {"status": "PUBLISHED", "views": 12})
        await posts.delete(note["id"])
    mine = [e for e in await infra.audit.query(actor=ACTOR["id"]) if e["seq"] > seen]
    table = Table(title=f"recent events by {ACTOR['id']} (request {REQUEST_ID})")
    for column in ("seq", "actor", "model", "action", "record", "before (masked)", "after (masked)", "changed"):
        table.add_column(column)
    for e in mine:
        image = ("email", "name", "role", "karma") if e["model"] == "User" else ("title", "status", "views")
        table.add_row(
            str(e["seq"]),
            str(e["actor"]),
            str(e["model"]),
            e["action"],
            e["record_key"] or "",
            _image(e["before"], image),
            _image(e["after"], image),
            ", ".join(k for k in (e["diff"] or {}) if k in image),
        )
    console.print(table)
    history = await infra.audit.history("User", ada["id"])
    created = history[0]
    console.print(
        f"infra.audit.history('User', {ada['id']}): {[h['action'] for h in history]}; "
        f"the e-mail {EMAIL!r} is stored as [bold]{created['after']['email']}[/] (masked by the PII feature)"
    )

    # 3. The chain verifies: in process, and with the command line on the file.
    result = await infra.audit.verify()
    console.print(f"infra.audit.verify(): [green]{result.describe()}[/]")
    await infra.audit.flush()
    ok_run = _cli_verify(trail)
    console.print(f"$ prisma-infra audit verify --path {trail.relative_to(output.parent)} --key ***")
    console.print(f"  exit {ok_run.returncode}: {(ok_run.stdout or ok_run.stderr).strip()}")

    # 4. A copy of the trail with one event edited: the update that made Ada an author now says ADMIN.
    copy = output / "audit" / "audit-tampered.jsonl"
    shutil.copyfile(trail, copy)
    lines = copy.read_text().splitlines(keepends=True)
    target = next(e for e in mine if e["model"] == "User" and e["action"] == "update")
    position = next(i for i, line in enumerate(lines) if json.loads(line)["id"] == target["id"])
    edited = json.loads(lines[position])
    edited["after"]["role"] = "ADMIN"
    lines[position] = json.dumps(edited) + "\n"
    copy.write_text("".join(lines))
    bad_run = _cli_verify(copy)
    message = " ".join((bad_run.stderr or bad_run.stdout).split())
    console.print(
        f"edited event {target['id']} (seq {target['seq']}, line {position + 1}) in a copy: after.role AUTHOR → ADMIN"
    )
    console.print(f"$ prisma-infra audit verify --path {copy.relative_to(output.parent)} --key ***")
    console.print(f"  exit {bad_run.returncode}: [red]{message}[/]")
    named = re.search(r"at event (\S+) \(seq (\d+), chain '[^']*', position (\d+)\)", message)
    console.print(f"trail: {trail} ({len(lines)} events); section took {time.perf_counter() - started:.1f} s")

    return {
        "demo_events": len(before_mine),
        "demo_events_by_model": dict(Counter(str(e["model"]) for e in before_mine)),
        "actor": ACTOR["id"],
        "request_id": REQUEST_ID,
        "events": [
            {
                "seq": e["seq"],
                "id": e["id"],
                "actor": e["actor"],
                "request_id": e["request_id"],
                "model": e["model"],
                "action": e["action"],
                "record_key": e["record_key"],
                "before": e["before"],
                "after": e["after"],
                "diff": e["diff"],
            }
            for e in mine
        ],
        "history_actions": [h["action"] for h in history],
        "email": EMAIL,
        "masked_email": created["after"]["email"],
        "trail": str(trail),
        "trail_events": len(lines),
        "verify": {"ok": result.ok, "checked": result.checked, "describe": result.describe()},
        "cli_verify": {"returncode": ok_run.returncode, "output": (ok_run.stdout or ok_run.stderr).strip()},
        "tampered": {
            "copy": str(copy),
            "id": target["id"],
            "seq": target["seq"],
            "position": position,
            "returncode": bad_run.returncode,
            "message": message,
            "named_id": named.group(1) if named else None,
            "named_seq": int(named.group(2)) if named else None,
            "named_position": int(named.group(3)) if named else None,
        },
        "seconds": round(time.perf_counter() - started, 2),
    }

"""js/sqlite_like.cjs: ESCAPE '\\' after the LIKE patterns Prisma compiles for SQLite, nowhere else."""

from __future__ import annotations

import json
import subprocess

from prisma_infra_prisma.toolchain import find_node, shipped_js

SCRIPT = """
const like = require(process.argv[1]);
const cases = JSON.parse(process.argv[2]);
const out = cases.map((sql) => like.withLikeEscape(sql));
const held = [];
like.holdRaw(cases[0], held);
like.holdRaw(cases[0], held);
out.push(like.withLikeEscape(cases[0]));  // held twice: raw SQL in flight
like.releaseRaw(held.slice(0, 1));
out.push(like.withLikeEscape(cases[0]));  // still held once
like.releaseRaw(held.slice(1));
out.push(like.withLikeEscape(cases[0]));  // released
process.stdout.write(JSON.stringify(out));
"""

E = " ESCAPE '\\'"
CASES = {
    "FROM `t` WHERE `t`.`a` LIKE ('%' || ? || '%')": f"FROM `t` WHERE `t`.`a` LIKE ('%' || ? || '%'){E}",
    "WHERE (a LIKE (? || '%') AND b NOT LIKE ('%' || ?))": f"WHERE (a LIKE (? || '%'){E} AND b NOT LIKE ('%' || ?){E})",
    "WHERE a LIKE ? LIMIT ?": f"WHERE a LIKE ?{E} LIMIT ?",
    # quoted text and identifiers are not SQL: left alone
    "SELECT 'x LIKE ?', 'it''s LIKE (? || ?)', \"LIKE ?\", `LIKE ?` FROM t": None,
    # a pattern that already names its escape, other shapes, and a word ending in LIKE
    "WHERE a LIKE ? ESCAPE '!' AND b LIKE lower(?) AND c NOTLIKE ?": None,
    "SELECT 1": None,
}


def test_like_patterns_get_an_escape_and_nothing_else_changes() -> None:
    sqls = list(CASES)
    done = subprocess.run(
        [str(find_node()), "-e", SCRIPT, str(shipped_js("sqlite_like.cjs")), json.dumps(sqls)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    out = json.loads(done.stdout)
    assert out[: len(sqls)] == [expected or sql for sql, expected in CASES.items()]
    assert out[len(sqls) :] == [sqls[0], sqls[0], CASES[sqls[0]]]

"""What a raw SQL text does: which statements write, which tables they read and write; its masked form.

`analyze` reads the tokens of `prisma_infra.cache.sql_tokens` (never the raw
text, so keywords inside literals, quoted names and comments do not count),
splits statements at ``;`` and classifies each by its verbs: a verb is a
keyword where a statement can start — the first token, after ``(`` or ``)``
(sub-queries, CTE bodies, ``WITH x AS (...) UPDATE``), or after ``EXPLAIN
[ANALYZE]``. ``FOR UPDATE``, ``ON DELETE``, ``ON CONFLICT DO UPDATE`` are therefore
not verbs.

* reads: ``SELECT``, ``VALUES``, ``TABLE``, ``SHOW``, ``EXPLAIN``, ``DESCRIBE``;
* writes: ``INSERT``, ``UPDATE``, ``DELETE``, ``MERGE``, ``REPLACE``, ``UPSERT``,
  ``TRUNCATE``, ``COPY ... FROM``, DDL (``CREATE``, ``ALTER``, ``DROP``, ...),
  ``SELECT ... INTO``; a CTE with a write makes its statement a write;
* neutral: transaction control and session settings (``BEGIN``, ``SET``, ``PRAGMA``, ...);
* anything else (``CALL``, ``DO``, ``EXEC``, a statement that does not start with
  a word) is *unclassified*: treated as a write to every table it names, or to
  everything when it names none that is a model.

Callers can also declare models in ``args["models"]``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from prisma_infra.cache.sql_tokens import Token, tokenize
from prisma_infra.operation import Action, Operation
from prisma_infra.schema.model import Schema

__all__ = [
    "RawSql",
    "TableMap",
    "analyze",
    "mask_sql",
    "raw_sql",
    "raw_writes",
    "read_tables",
    "written_tables",
]

_READS = frozenset({"SELECT", "VALUES", "TABLE", "SHOW", "EXPLAIN", "DESCRIBE", "DESC", "WITH"})
_DML = frozenset({"INSERT", "UPDATE", "DELETE", "MERGE", "REPLACE", "UPSERT", "TRUNCATE", "COPY"})
_DDL = frozenset(
    {
        "CREATE", "ALTER", "DROP", "RENAME", "GRANT", "REVOKE", "COMMENT", "REINDEX", "VACUUM", "CLUSTER",
        "LOAD", "IMPORT", "ATTACH", "DETACH", "REFRESH", "OPTIMIZE", "REPAIR",
    }
)  # fmt: skip
_NEUTRAL = frozenset(
    {
        "BEGIN", "COMMIT", "ROLLBACK", "START", "END", "SAVEPOINT", "RELEASE", "SET", "RESET", "PRAGMA",
        "ANALYZE", "USE", "DEALLOCATE", "PREPARE", "LISTEN", "UNLISTEN", "NOTIFY", "DISCARD",
    }
)  # fmt: skip
_VERBS = _READS | _DML | _DDL
#: After these, a keyword starts a (sub-)statement.
_OPENERS = frozenset({"(", ")"})
_EXPLAIN = frozenset({"EXPLAIN", "ANALYZE", "VERBOSE", "QUERY", "PLAN"})
#: Words between a verb and its target table (``INSERT OR IGNORE INTO``, ``DELETE LOW_PRIORITY FROM``...).
_TARGET_NOISE = frozenset(
    {
        "INTO", "FROM", "ONLY", "TABLE", "IF", "EXISTS", "NOT", "OR", "IGNORE", "REPLACE", "ROLLBACK", "ABORT",
        "FAIL", "LOW_PRIORITY", "HIGH_PRIORITY", "DELAYED", "QUICK", "TEMPORARY", "TEMP", "UNLOGGED", "GLOBAL",
        "LOCAL", "LATERAL",
    }
)  # fmt: skip
#: Words that end a FROM/JOIN list item's alias (or the list).
_CLAUSES = frozenset(
    {
        "WHERE", "GROUP", "ORDER", "LIMIT", "OFFSET", "FETCH", "HAVING", "WINDOW", "UNION", "INTERSECT", "EXCEPT",
        "JOIN", "INNER", "LEFT", "RIGHT", "FULL", "CROSS", "NATURAL", "ON", "USING", "FOR", "RETURNING", "SET",
        "VALUES", "SELECT", "DEFAULT", "OUTPUT", "WHEN", "INTO", "FROM", "STRAIGHT_JOIN", "TABLESAMPLE",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class RawSql:
    """What `analyze` found in one SQL text."""

    writes: bool
    """Some statement writes, or cannot be classified (then treat it as a write)."""
    written: tuple[str, ...]
    """Tables the write statements target."""
    read: tuple[str, ...]
    """Tables after FROM/JOIN (common table expressions excluded)."""
    ctes: frozenset[str]
    """Names of common table expressions (lower case)."""
    unclassified: bool
    """Some statement is of no known kind: every name in `names` may be written."""
    names: tuple[str, ...]
    """Every identifier in the text: the tables an unclassified statement may write."""


def _split(tokens: Sequence[Token]) -> list[list[Token]]:
    statements: list[list[Token]] = [[]]
    for token in tokens:
        if token.kind == "comment":
            continue
        if token.kind == "punct" and token.text == ";":
            statements.append([])
        else:
            statements[-1].append(token)
    return [s for s in statements if s]


def _is_verb(tokens: Sequence[Token], i: int) -> bool:
    word = tokens[i].upper
    if word not in _VERBS and word not in _NEUTRAL:
        return False
    if word not in _READS and i + 1 < len(tokens) and tokens[i + 1].text == "(":
        return False  # a function of the same name: REPLACE(s, a, b), TRUNCATE(x, 2), LEFT(s, 1)
    if i == 0:
        return True
    before = tokens[i - 1]
    if before.kind == "punct":
        return before.text in _OPENERS
    if before.upper in _EXPLAIN:
        return True
    # `REPLACE INTO`/`INSERT ... SELECT`: a SELECT after a write's column list or table is its source.
    return word == "SELECT" and before.kind in ("word", "ident")


def _name_at(tokens: Sequence[Token], i: int) -> tuple[str | None, int]:
    """The (last part of the) dotted name starting at ``i`` and the index after it."""
    if i >= len(tokens) or tokens[i].kind not in ("word", "ident"):
        return None, i
    name = tokens[i].name
    i += 1
    while i + 1 < len(tokens) and tokens[i].text == "." and tokens[i + 1].kind in ("word", "ident"):
        name = tokens[i + 1].name
        i += 2
    return name, i


def _item_list(tokens: Sequence[Token], i: int, *, joins: bool) -> tuple[list[str], int]:
    """Table names of a comma-separated list at ``i`` (``a x, public.b AS y``); sub-queries and functions skipped."""
    names: list[str] = []
    depth = 0
    expect_item = True
    while i < len(tokens):
        token = tokens[i]
        if token.kind == "punct" and token.text == "(":
            depth += 1
        elif token.kind == "punct" and token.text == ")":
            if depth == 0:
                break
            depth -= 1
            expect_item = expect_item and depth > 0  # after a sub-query comes its alias
        elif depth == 0:
            word = token.upper
            if token.text == "," or (joins and word in ("JOIN", "STRAIGHT_JOIN")):
                expect_item = True
            elif joins and word in ("INNER", "LEFT", "RIGHT", "FULL", "CROSS", "NATURAL", "OUTER"):
                pass
            elif word in _CLAUSES and not (joins and word == "ON"):
                break
            elif word == "ON":  # a join condition: skip to the next join or clause
                expect_item = False
            elif expect_item and word not in _TARGET_NOISE and token.kind in ("word", "ident"):
                name, after = _name_at(tokens, i)
                function = after < len(tokens) and tokens[after].text == "("
                if name is not None and not function:
                    names.append(name)
                expect_item = False
                i = after
                continue
        i += 1
    return names, i


def _targets(tokens: Sequence[Token], i: int) -> list[str]:
    """The tables a write verb at ``i`` targets."""
    verb = tokens[i].upper
    i += 1
    if verb in ("UPDATE", "TRUNCATE", "DROP", "ALTER", "CREATE", "COPY"):
        skipped = set()
        while i < len(tokens) and tokens[i].upper in _TARGET_NOISE:
            skipped.add(tokens[i].upper)
            i += 1
        if verb in ("DROP", "ALTER", "CREATE") and "TABLE" not in skipped:
            return []  # DDL on another kind of object: the statement is unclassified (see `analyze`)
        return _item_list(tokens, i, joins=verb == "UPDATE")[0]
    if verb == "DELETE":
        # `DELETE t1, t2 FROM ...` (MySQL) names its targets before FROM; else they follow it.
        while i < len(tokens) and tokens[i].upper in ("LOW_PRIORITY", "QUICK", "IGNORE"):
            i += 1
        before, j = _item_list(tokens, i, joins=False)
        if j < len(tokens) and tokens[j].upper == "FROM" and not before:
            return _item_list(tokens, j + 1, joins=False)[0]
        return before
    if verb not in ("INSERT", "MERGE", "REPLACE", "UPSERT"):
        return []  # GRANT, VACUUM, ...: unclassified, every table it names counts
    while i < len(tokens) and tokens[i].upper in _TARGET_NOISE:
        i += 1
    name, _ = _name_at(tokens, i)
    return [name] if name is not None else []


def _ctes(tokens: Sequence[Token]) -> set[str]:
    found: set[str] = set()
    for i, token in enumerate(tokens[:-1]):
        if token.kind in ("word", "ident") and token.upper not in _VERBS:
            nxt = tokens[i + 1]
            if nxt.upper == "AS" and i + 2 < len(tokens):
                after = tokens[i + 2]
                if after.text == "(" or after.upper in ("MATERIALIZED", "NOT"):
                    found.add(token.name.lower())
            elif nxt.text == "(" and i and tokens[i - 1].upper in ("WITH", "RECURSIVE", ","):
                # `WITH x(a, b) AS (...)`: a column list before AS
                depth, j = 0, i + 1
                while j < len(tokens):
                    depth += tokens[j].text == "("
                    depth -= tokens[j].text == ")"
                    j += 1
                    if depth == 0:
                        break
                if j < len(tokens) and tokens[j].upper == "AS":
                    found.add(token.name.lower())
    return found


#: Texts longer than this are analysed every time rather than kept in the cache of `analyze`.
_CACHED_LENGTH = 8192


def analyze(sql: str, dialect: str | None = None) -> RawSql:
    """Classify ``sql`` (see the module doc); ``dialect`` is the provider (``mysql`` lexes differently).

    Results are cached by text (applications run the same few statements with different
    parameters); long texts are not kept.
    """
    if len(sql) > _CACHED_LENGTH:
        return _analyze(sql, dialect)
    return _analyze_cached(sql, dialect)


def _analyze(sql: str, dialect: str | None) -> RawSql:
    tokens = tokenize(sql, dialect)
    writes = unclassified = False
    written: list[str] = []
    read: list[str] = []
    ctes: set[str] = set()
    names = [t.name for t in tokens if t.kind == "ident" or (t.kind == "word" and t.upper not in _ALL_KEYWORDS)]
    for statement in _split(tokens):
        ctes |= _ctes(statement)
        verbs = [i for i in range(len(statement)) if _is_verb(statement, i)]
        first = statement[verbs[0]].upper if verbs and verbs[0] == _lead(statement) else None
        if first is None:
            unclassified = True
        elif first in _NEUTRAL:
            continue
        for i in verbs:
            verb = statement[i].upper
            if verb in _DML or verb in _DDL:
                if verb == "COPY" and not _copy_from(statement, i):
                    read.extend(_item_list(statement, i + 1, joins=False)[0])
                    continue
                targets = _targets(statement, i)
                writes = True
                if not targets:
                    unclassified = True
                written.extend(targets)
        for i, token in enumerate(statement):
            word = token.upper
            if word in ("FROM", "JOIN", "STRAIGHT_JOIN", "USING") and not _is_delete_from(statement, i):
                if word == "USING" and (i + 1 < len(statement) and statement[i + 1].text == "("):
                    continue  # JOIN ... USING (column)
                read.extend(_item_list(statement, i + 1, joins=word != "USING")[0])
            elif word == "INTO" and _select_into(statement, i):
                name, _ = _name_at(statement, i + 1)
                writes = True
                if name is None or name.upper() in ("OUTFILE", "DUMPFILE"):
                    unclassified = unclassified or name is None
                else:
                    written.append(name)
    return RawSql(
        writes=writes or unclassified,
        written=tuple(dict.fromkeys(written)),
        read=tuple(t for t in dict.fromkeys(read) if t.lower() not in ctes),
        ctes=frozenset(ctes),
        unclassified=unclassified,
        names=tuple(n for n in dict.fromkeys(names) if n.lower() not in ctes),
    )


_analyze_cached = functools.lru_cache(maxsize=2048)(_analyze)


def _lead(statement: Sequence[Token]) -> int:
    """Index of the statement's first word (leading parentheses skipped)."""
    i = 0
    while i < len(statement) and statement[i].text == "(":
        i += 1
    return i


def _copy_from(statement: Sequence[Token], i: int) -> bool:
    return any(t.upper == "FROM" for t in statement[i + 1 :])


def _is_delete_from(statement: Sequence[Token], i: int) -> bool:
    """FROM right after DELETE (its target, counted as written, not read)."""
    j = i - 1
    while j >= 0 and statement[j].upper in ("LOW_PRIORITY", "QUICK", "IGNORE"):
        j -= 1
    return statement[i].upper == "FROM" and j >= 0 and statement[j].upper == "DELETE"


def _select_into(statement: Sequence[Token], i: int) -> bool:
    """``INTO`` of ``SELECT ... INTO name``: the nearest verb before it is SELECT."""
    for j in range(i - 1, -1, -1):
        if _is_verb(statement, j):
            return statement[j].upper == "SELECT"
        if statement[j].upper in ("INSERT", "REPLACE", "MERGE", "UPSERT"):
            return False
    return False


_ALL_KEYWORDS = _VERBS | _NEUTRAL | _TARGET_NOISE | _CLAUSES | _EXPLAIN | frozenset(
    {"AND", "OR", "NOT", "NULL", "IS", "IN", "LIKE", "BETWEEN", "CASE", "THEN", "ELSE", "DISTINCT", "ALL", "ANY",
     "BY", "ASC", "DESC", "OUTER", "TRUE", "FALSE", "COUNT", "RECURSIVE", "CONFLICT", "DO", "NOTHING", "KEY",
     "PRIMARY", "INDEX", "UNIQUE", "CASCADE", "RESTART", "IDENTITY", "MATCHED"}
)  # fmt: skip


def mask_sql(sql: str, dialect: str | None = None, *, limit: int | None = None) -> str:
    """``sql`` with every literal (strings, numbers) as ``?`` and comments dropped; names and keywords kept.

    :param limit: cut the masked text to this many characters (after masking, so no literal is cut open).
    """
    out: list[str] = []
    last = 0
    for token in tokenize(sql, dialect):
        out.append(sql[last : token.start])
        if token.kind in ("string", "number"):
            out.append("?")
        elif token.kind != "comment":
            out.append(token.text)
        last = token.start + len(token.text)
    out.append(sql[last:])
    masked = "".join(out)
    return masked if limit is None or len(masked) <= limit else masked[:limit] + "…"


class TableMap:
    """Table names (``@@map`` or model name, case-insensitive) → model names, built once per schema."""

    def __init__(self, schema: Schema) -> None:
        self.by_table: dict[str, str] = {}
        for model in schema.models:
            self.by_table[model.name.lower()] = model.name
            self.by_table[model.table_name.lower()] = model.name

    def models(self, tables: Iterable[str]) -> tuple[frozenset[str], bool]:
        """Models for ``tables`` and whether every table was known."""
        found: set[str] = set()
        complete = True
        for table in tables:
            model = self.by_table.get(table.lower())
            if model is None:
                complete = False
            else:
                found.add(model)
        return frozenset(found), complete

    def written(self, raw: RawSql) -> frozenset[str] | None:
        """Models ``raw`` may change; ``None``: unknown, so everything.

        A classified write changes its target tables (every one must be a model);
        an unclassified statement changes every model it names (everything if none).
        """
        if not raw.writes:
            return frozenset()
        models, complete = self.models(raw.written)
        if raw.unclassified:
            named, _ = self.models(raw.names)
            return (models | named) or None
        return models if complete and models else None


def raw_sql(args: Mapping[str, Any]) -> str | None:
    """The SQL text of raw operation arguments (``sql``, or ``query``)."""
    sql = args.get("sql") or args.get("query")
    return sql if isinstance(sql, str) else None


def raw_writes(operation: Operation, dialect: str | None = None) -> bool:
    """Whether a ``queryRaw`` changes data (``UPDATE ... RETURNING``, a CTE with a write, unclassified SQL).

    ``executeRaw`` is a write whatever it says; other actions are not raw.
    """
    if operation.action is Action.EXECUTE_RAW:
        return True
    if operation.action is not Action.QUERY_RAW:
        return False
    sql = raw_sql(operation.args)
    return sql is not None and analyze(sql, dialect).writes


def written_tables(sql: str, dialect: str | None = None) -> list[str]:
    """Tables written by the statements of ``sql`` (see `analyze`)."""
    return list(analyze(sql, dialect).written)


def read_tables(sql: str, dialect: str | None = None) -> tuple[list[str], set[str]]:
    """Tables after FROM/JOIN, and the names of common table expressions (which are not tables)."""
    found = analyze(sql, dialect)
    return list(found.read), set(found.ctes)

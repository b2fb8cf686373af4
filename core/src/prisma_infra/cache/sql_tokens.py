"""A small SQL tokenizer: words, quoted identifiers, literals, parameters and punctuation.

It knows what hides SQL from a naive reader — string literals (with ``''``,
PostgreSQL's ``E'...'`` and dollar quotes, MySQL's backslash escapes and
double-quoted strings), quoted identifiers (``"x"``, ```x```, ``[x]``) and
comments (``--``, ``/* */``, MySQL's ``#``) — so a keyword inside any of them
is never taken for a statement, and one outside is never missed. Where the
dialects disagree it follows the one the statement runs on (``dialect``):

* MySQL treats ``\\'`` as an escaped quote, ``"..."`` as a string, ``#`` as a
  comment, ``--`` as a comment only before a space, and *runs* the body of
  ``/*! ... */`` comments — so there the body is read as SQL;
* elsewhere a backslash is an ordinary character (except in ``E'...'``).

An unterminated literal or comment runs to the end of the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

__all__ = ["Token", "TokenKind", "tokenize"]

TokenKind = Literal["word", "ident", "string", "number", "param", "punct", "comment"]


@dataclass(frozen=True, slots=True)
class Token:
    kind: TokenKind
    text: str
    start: int

    @property
    def upper(self) -> str:
        return self.text.upper() if self.kind == "word" else ""

    @property
    def name(self) -> str:
        """The identifier a word or quoted identifier names (quotes removed, ``""`` unescaped)."""
        if self.kind == "ident":
            body = self.text[1:-1] if len(self.text) >= 2 else self.text
            quote = self.text[0]
            return body.replace(quote * 2, quote) if quote in "\"`" else body
        return self.text


_WORD = re.compile(r"[A-Za-z_\u0080-\uffff][\w$\u0080-\uffff]*")
_NUMBER = re.compile(r"0[xX][0-9A-Fa-f]+|(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_PARAM = re.compile(r"\$\d+|\?\d*|:[A-Za-z_]\w*|@@?[A-Za-z_][\w$.]*")
_DOLLAR = re.compile(r"\$([A-Za-z_]\w*)?\$")
_SPACE = re.compile(r"\s+")


def _string_end(sql: str, start: int, quote: str, backslash: bool) -> int:
    """Index just past the literal opened at ``start`` (its quote), or the end of ``sql``."""
    i = start + 1
    n = len(sql)
    while i < n:
        char = sql[i]
        if backslash and char == "\\":
            i += 2
            continue
        if char == quote:
            if i + 1 < n and sql[i + 1] == quote:
                i += 2
                continue
            return i + 1
        i += 1
    return n


def tokenize(sql: str, dialect: str | None = None) -> list[Token]:
    """The tokens of ``sql`` (whitespace dropped; comments kept as ``comment`` tokens)."""
    mysql = dialect == "mysql"
    tokens: list[Token] = []
    i, n = 0, len(sql)
    while i < n:
        char = sql[i]
        if char.isspace():
            i = _SPACE.match(sql, i).end()  # type: ignore[union-attr]
            continue
        two = sql[i : i + 2]
        if two == "--" and (not mysql or i + 2 >= n or sql[i + 2].isspace()):
            end = sql.find("\n", i)
            end = n if end < 0 else end
            tokens.append(Token("comment", sql[i:end], i))
            i = end
            continue
        if char == "#" and mysql:
            end = sql.find("\n", i)
            end = n if end < 0 else end
            tokens.append(Token("comment", sql[i:end], i))
            i = end
            continue
        if two == "/*":
            if mysql and sql.startswith("/*!", i):  # MySQL runs it: read the body as SQL
                i += 3
                while i < n and sql[i].isdigit():
                    i += 1
                continue
            end = sql.find("*/", i + 2)
            end = n if end < 0 else end + 2
            tokens.append(Token("comment", sql[i:end], i))
            i = end
            continue
        if mysql and two == "*/":  # the end of a /*! ... */ body
            i += 2
            continue
        prefixed = char in "EeNnXxBbUu" and i + 1 < n and sql[i + 1] == "'"
        if char == "'" or prefixed:
            quote_at = i + 1 if prefixed else i
            backslash = mysql or (prefixed and char in "Ee")
            end = _string_end(sql, quote_at, "'", backslash)
            tokens.append(Token("string", sql[i:end], i))
            i = end
            continue
        if char == '"':
            end = _string_end(sql, i, '"', mysql)
            tokens.append(Token("string" if mysql else "ident", sql[i:end], i))
            i = end
            continue
        if char == "`":
            end = _string_end(sql, i, "`", False)
            tokens.append(Token("ident", sql[i:end], i))
            i = end
            continue
        if char == "[" and not mysql:
            end = sql.find("]", i)
            end = n if end < 0 else end + 1
            tokens.append(Token("ident", sql[i:end], i))
            i = end
            continue
        if char == "$":
            dollar = _DOLLAR.match(sql, i)
            if dollar is not None:
                close = sql.find(dollar.group(0), dollar.end())
                end = n if close < 0 else close + len(dollar.group(0))
                tokens.append(Token("string", sql[i:end], i))
                i = end
                continue
        if two == "::":
            tokens.append(Token("punct", two, i))
            i += 2
            continue
        for kind, pattern in (("number", _NUMBER), ("word", _WORD), ("param", _PARAM)):
            found = pattern.match(sql, i)
            if found is not None:
                tokens.append(Token(kind, found.group(0), i))  # type: ignore[arg-type]
                i = found.end()
                break
        else:
            tokens.append(Token("punct", char, i))
            i += 1
    return tokens

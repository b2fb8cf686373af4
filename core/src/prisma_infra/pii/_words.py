"""Field names and the text before a value, as lower-case words (the context of a detection)."""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Context", "words"]

_WORD = re.compile(r"[A-Z]?[a-zà-öø-ÿß]+|[A-Z]+(?![a-z])|\d+")


def words(name: str) -> tuple[str, ...]:
    """``dateOfBirth`` → (date, of, birth); ``first_name`` → (first, name); ``IPAddress`` → (ip, address)."""
    return tuple(w.lower() for w in _WORD.findall(name))


@dataclass(frozen=True, slots=True)
class Context:
    """Words around a value: its field name, or the few words that precede it in free text."""

    words: tuple[str, ...] = ()

    @classmethod
    def of(cls, name: str | None) -> Context:
        return cls(words(name)) if name else EMPTY

    @property
    def joined(self) -> str:
        return "".join(self.words)

    def has(self, *candidates: str) -> bool:
        """True when one of ``candidates`` is a word, or (for compounds like ``geburtsdatum``) part of one."""
        words, joined = self.words, "".join(self.words)
        return any(c in words or (len(c) >= 5 and c in joined) for c in candidates)

    def __bool__(self) -> bool:
        return bool(self.words)


EMPTY = Context()

"""`ValueDetector`: the base of the built-in detectors.

A detector scores one whole value (`check`), with the field name as context.
For free text (`mask_text`) it also finds candidate spans with a regular
expression and scores each with the few words before it as context, so
``DOB: 1984-02-01`` is a date of birth and ``released 2021-02-01`` is not.
"""

from __future__ import annotations

import re
from abc import abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar, Self

from prisma_infra.config.model import PiiConfig
from prisma_infra.pii._words import Context
from prisma_infra.providers.pii import PiiDetector, PiiMatch

__all__ = ["Check", "Span", "ValueDetector", "find_spans"]

#: A detector's verdict on one value: confidence and evidence (never the value itself).
Check = tuple[float, str]

_CONTEXT_CHARS = 32


@dataclass(frozen=True, slots=True)
class Span:
    """PII found in free text: ``text[start:end]``."""

    start: int
    end: int
    category: str
    confidence: float
    detector: str


class ValueDetector(PiiDetector):
    """Scores whole values; finds candidates in text with `candidates`."""

    category: ClassVar[str] = ""
    #: Candidates in free text (group ``v`` if present, else the whole match); ``None``: not searched in text.
    candidates: ClassVar[re.Pattern[str] | None] = None
    max_length: ClassVar[int] = 128

    def configured(self, config: PiiConfig) -> Self:
        """This detector set up for ``config`` (a copy when settings matter; registered instances are shared)."""
        return self

    def detect(self, value: str, *, field: str | None = None) -> list[PiiMatch]:
        text = value.strip()
        if not text or len(text) > self.max_length:
            return []
        found = self.check(text, Context.of(field))
        if found is None:
            return []
        confidence, evidence = found
        return [PiiMatch(self.category, round(min(confidence, 0.99), 3), evidence)]

    @abstractmethod
    def check(self, value: str, context: Context) -> Check | None:
        """Confidence and evidence that ``value`` (stripped) is of this category, or ``None``."""

    def find(self, text: str) -> Iterator[Span]:
        """Spans of ``text`` this detector recognises, scored with the words just before each."""
        if self.candidates is None:
            return
        for match in self.candidates.finditer(text):
            group = "v" if "v" in match.re.groupindex else 0
            start, end = match.span(group)
            before = Context.of(text[max(0, start - _CONTEXT_CHARS) : start])
            found = self.check(match.group(group).strip(), before)
            if found is not None:
                yield Span(start, end, self.category, found[0], self.name)


def find_spans(detector: PiiDetector, text: str) -> Iterator[Span]:
    """Spans for any detector: `ValueDetector.find`, else each whitespace-separated token checked alone."""
    if isinstance(detector, ValueDetector):
        yield from detector.find(text)
        return
    for token in re.finditer(r"\S+", text):
        value = token.group(0).strip(".,;:!?()[]{}<>\"'")
        if not value:
            continue
        start = token.start() + token.group(0).index(value)
        for match in detector.detect(value):
            yield Span(start, start + len(value), match.category, match.confidence, detector.name or "")

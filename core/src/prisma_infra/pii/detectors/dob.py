"""Dates of birth: a plausible past date (0 to 120 years ago) where the field or text says "birth"."""

from __future__ import annotations

import datetime as dt
import re

from prisma_infra.pii import categories
from prisma_infra.pii._words import Context
from prisma_infra.pii.detectors.base import Check, ValueDetector

__all__ = ["DobDetector", "parse_date"]

_MONTHS = {
    name: index
    for index, names in enumerate(
        (
            ("jan", "january", "januar", "janvier", "januari"),
            ("feb", "february", "februar", "février", "fevrier", "februari"),
            ("mar", "march", "märz", "maerz", "mars", "maart"),
            ("apr", "april", "avril"),
            ("may", "mai", "mei"),
            ("jun", "june", "juni", "juin"),
            ("jul", "july", "juli", "juillet"),
            ("aug", "august", "août", "aout", "augustus"),
            ("sep", "sept", "september", "septembre"),
            ("oct", "october", "oktober", "octobre"),
            ("nov", "november", "novembre"),
            ("dec", "december", "dezember", "décembre", "decembre"),
        ),
        start=1,
    )
    for name in names
}
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ]00:00(?::00(?:\.0+)?)?(?:Z|[+-]00:?00)?)?")
_NUMERIC = re.compile(r"(\d{1,2})([./-])(\d{1,2})\2(\d{4})")
_WORDY = re.compile(r"(?:(\d{1,2})\.?\s+([A-Za-zéûä]+)\.?|([A-Za-zéûä]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?)\s+(\d{4})")
_BIRTH_WORDS = (
    "birth", "birthday", "birthdate", "dob", "born", "bday", "geburt", "geburtsdatum", "geboren",
    "naissance", "née", "geboorte", "geboortedatum", "geboren",
)  # fmt: skip


def _date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def parse_date(value: str) -> dt.date | None:
    """A calendar date written as ISO (midnight times allowed), d/m/Y, m/d/Y, d.m.Y or with a month name."""
    if match := _ISO.fullmatch(value):
        return _date(int(match[1]), int(match[2]), int(match[3]))
    if match := _NUMERIC.fullmatch(value):
        first, second, year = int(match[1]), int(match[3]), int(match[4])
        # Day first (most of the world) unless that cannot be a date.
        return _date(year, second, first) or _date(year, first, second)
    if match := _WORDY.fullmatch(value):
        day, month_name = (match[1], match[2]) if match[1] else (match[4], match[3])
        month = _MONTHS.get(month_name.lower())
        return _date(int(match[5]), month, int(day)) if month else None
    return None


class DobDetector(ValueDetector):
    """A date between 120 years ago and today, in a field (or after words) about birth."""

    name = "dob"
    category = categories.DOB
    candidates = re.compile(
        r"(?<![\w-])(?P<v>\d{4}-\d{2}-\d{2}|\d{1,2}[./-]\d{1,2}[./-]\d{4}|"
        r"\d{1,2}\.?\s+[A-Za-zéûä]{3,9}\.?\s+\d{4}|[A-Za-zéûä]{3,9}\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4})(?![\w-])"
    )
    max_length = 40

    def check(self, value: str, context: Context) -> Check | None:
        if not context.has(*_BIRTH_WORDS):
            return None
        date = parse_date(value)
        if date is None:
            return None
        today = dt.date.today()
        if not dt.date(today.year - 120, 1, 1) <= date <= today:
            return None
        return 0.92, "plausible date in a birth-date context"

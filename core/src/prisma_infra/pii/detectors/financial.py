"""Payment cards (Luhn, IIN ranges, lengths) and IBANs (ISO 13616: country lengths, mod 97)."""

from __future__ import annotations

import re

from prisma_infra.pii import categories
from prisma_infra.pii._words import Context
from prisma_infra.pii.detectors.base import Check, ValueDetector

__all__ = ["IBAN_LENGTHS", "CardDetector", "IbanDetector", "card_scheme", "iban_valid", "luhn_valid"]


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        d = ord(char) - 48
        if index % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


# (scheme, first prefix, last prefix, lengths); prefixes compared on their own number of digits.
_IIN: tuple[tuple[str, int, int, frozenset[int]], ...] = (
    ("Visa", 4, 4, frozenset({13, 16, 19})),
    ("Mastercard", 51, 55, frozenset({16})),
    ("Mastercard", 2221, 2720, frozenset({16})),
    ("American Express", 34, 34, frozenset({15})),
    ("American Express", 37, 37, frozenset({15})),
    ("Discover", 6011, 6011, frozenset({16, 19})),
    ("Discover", 644, 649, frozenset({16, 19})),
    ("Discover", 65, 65, frozenset({16, 19})),
    # JCB's registered range is 3528-3589; co-branded and test issuers use the rest of 35.
    ("JCB", 35, 35, frozenset({16, 17, 18, 19})),
    ("JCB", 1800, 1800, frozenset({15})),
    ("JCB", 2131, 2131, frozenset({15})),
    ("Diners Club", 300, 305, frozenset({14, 16, 19})),
    ("Diners Club", 3095, 3095, frozenset({14, 16, 19})),
    ("Diners Club", 36, 36, frozenset({14, 16, 19})),
    ("Diners Club", 38, 39, frozenset({14, 16, 19})),
    ("Maestro", 5018, 5018, frozenset(range(12, 20))),
    ("Maestro", 5020, 5020, frozenset(range(12, 20))),
    ("Maestro", 5038, 5038, frozenset(range(12, 20))),
    ("Maestro", 5893, 5893, frozenset(range(12, 20))),
    ("Maestro", 6304, 6304, frozenset(range(12, 20))),
    ("Maestro", 6759, 6759, frozenset(range(12, 20))),
    ("Maestro", 6761, 6763, frozenset(range(12, 20))),
    ("Maestro", 56, 58, frozenset(range(12, 20))),
    ("Maestro", 639, 639, frozenset(range(12, 20))),
    ("UnionPay", 62, 62, frozenset({16, 17, 18, 19})),
    ("Mir", 2200, 2204, frozenset({16, 17, 18, 19})),
)


def card_scheme(digits: str) -> str | None:
    """The card scheme whose IIN range and length fit ``digits``, or ``None``."""
    for scheme, low, high, lengths in _IIN:
        width = len(str(low))
        if len(digits) in lengths and low <= int(digits[:width]) <= high:
            return scheme
    return None


_CARD_SHAPE = re.compile(r"\d{4}(?:[ -]?\d{2,7}){1,4}|\d{12,19}")
_CARD_WORDS = ("card", "pan", "cc", "ccnum", "creditcard", "kreditkarte", "carte")


class CardDetector(ValueDetector):
    """12-19 digits (spaces or dashes allowed) passing Luhn, inside a scheme's IIN range and lengths."""

    name = "card"
    category = categories.CARD
    candidates = re.compile(r"(?<![\w-])(?P<v>\d{4}(?:[ -]?\d{2,7}){1,4}|\d{12,19})(?![\w-])")
    max_length = 32

    def check(self, value: str, context: Context) -> Check | None:
        if not _CARD_SHAPE.fullmatch(value):
            return None
        digits = value.replace(" ", "").replace("-", "")
        if not 12 <= len(digits) <= 19 or not luhn_valid(digits):
            return None
        scheme = card_scheme(digits)
        if scheme is None:
            return None
        confidence = 0.99 if context.has(*_CARD_WORDS) else 0.95
        return confidence, f"Luhn-valid {scheme} number, {len(digits)} digits"


#: ISO 13616 registry: total IBAN length per country.
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27,
    "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25,
    "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18,
    "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33,
    "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}  # fmt: skip

_IBAN_SHAPE = re.compile(r"[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}")


def iban_valid(compact: str) -> bool:
    """Country length and the mod-97 check of an IBAN without spaces, upper case."""
    if IBAN_LENGTHS.get(compact[:2]) != len(compact) or not compact[2:4].isdigit():
        return False
    rearranged = compact[4:] + compact[:4]
    try:
        number = int("".join(str(int(c, 36)) for c in rearranged))
    except ValueError:
        return False
    return number % 97 == 1


class IbanDetector(ValueDetector):
    """An IBAN, compact or in groups of four, with its country's length and a valid mod-97 check."""

    name = "iban"
    category = categories.IBAN
    candidates = re.compile(r"(?<![\w])(?P<v>[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30})(?![\w])")
    max_length = 48

    def check(self, value: str, context: Context) -> Check | None:
        upper = value.upper()
        if not _IBAN_SHAPE.fullmatch(upper):
            return None
        compact = upper.replace(" ", "")
        if not iban_valid(compact):
            return None
        return 0.99, f"{compact[:2]} IBAN, {len(compact)} characters, mod-97 valid"

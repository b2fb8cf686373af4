"""National identifiers with real check rules: US SSN, UK NINO, French NIR, Dutch BSN, German Steuer-ID.

Each is its own detector (disable one by name); all report ``national_id``.
Identifiers without a check digit strong enough to stand alone (a bare 9-digit
SSN, the BSN's 11-test, the Steuer-ID's single check digit) need a field name
or preceding words that say what they are.
"""

from __future__ import annotations

import re
from collections import Counter

from prisma_infra.pii import categories
from prisma_infra.pii._words import Context
from prisma_infra.pii.detectors.base import Check, ValueDetector

__all__ = ["BsnDetector", "NinoDetector", "NirDetector", "SsnDetector", "SteuerIdDetector"]

_ID_WORDS = ("national", "nationalid", "identity", "idnr", "citizen", "insee", "personal", "tin")


class SsnDetector(ValueDetector):
    """US Social Security numbers: area not 000, 666 or 9xx, group not 00, serial not 0000."""

    name = "ssn_us"
    category = categories.NATIONAL_ID
    candidates = re.compile(r"(?<![\w-])(?P<v>\d{3}-\d{2}-\d{4}|\d{9})(?![\w-])")
    _shape = re.compile(r"(\d{3})([- ]?)(\d{2})\2(\d{4})")
    _retired = frozenset({"078051120", "219099999", "123456789"})

    def check(self, value: str, context: Context) -> Check | None:
        match = self._shape.fullmatch(value)
        if match is None:
            return None
        area, separator, group, serial = match.groups()
        if area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000":
            return None
        if area + group + serial in self._retired:
            return None
        hinted = context.has("ssn", "social", "security", *_ID_WORDS)
        if not separator:
            return (0.85, "US SSN, valid area/group/serial") if hinted else None
        return (0.97 if hinted else 0.9), "US SSN format, valid area/group/serial"


class NinoDetector(ValueDetector):
    """UK National Insurance numbers: allocated prefixes only, suffix A-D."""

    name = "nino_gb"
    category = categories.NATIONAL_ID
    candidates = re.compile(r"(?<![\w])(?P<v>[A-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D])(?![\w])")
    _shape = re.compile(r"([A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]) ?(\d{2}) ?(\d{2}) ?(\d{2}) ?([A-D])")
    _unallocated = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})

    def check(self, value: str, context: Context) -> Check | None:
        match = self._shape.fullmatch(value)
        if match is None or match.group(1) in self._unallocated:
            return None
        return (0.97 if context.has("nino", "insurance", "ni", *_ID_WORDS) else 0.92), "UK NINO, allocated prefix"


_NIR_SHAPE = re.compile(r"([1278]) ?(\d{2}) ?(\d{2}) ?(\d{2}|2A|2B) ?(\d{3}) ?(\d{3}) ?(\d{2})", re.IGNORECASE)


class NirDetector(ValueDetector):
    """French social security numbers (NIR): sex, year, month, department, commune, order, key mod 97."""

    name = "nir_fr"
    category = categories.NATIONAL_ID
    candidates = re.compile(
        r"(?<![\w])(?P<v>[1278] ?\d{2} ?\d{2} ?(?:\d{2}|2A|2B) ?\d{3} ?\d{3} ?\d{2})(?![\w])", re.IGNORECASE
    )

    def check(self, value: str, context: Context) -> Check | None:
        match = _NIR_SHAPE.fullmatch(value)
        if match is None:
            return None
        sex, year, month, department, commune, order, key = match.groups()
        if not (1 <= int(month) <= 12 or 20 <= int(month) <= 42 or 50 <= int(month) <= 99):
            return None
        department = department.upper()
        body = sex + year + month + {"2A": "19", "2B": "18"}.get(department, department) + commune + order
        if int(key) != 97 - int(body) % 97 or order == "000":
            return None
        return (0.99 if context.has("nir", "secu", "insee", "securite", *_ID_WORDS) else 0.95), "French NIR, key valid"


def _eleven_test(digits: str) -> bool:
    total = sum(int(d) * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True)) - int(digits[8])
    return total % 11 == 0 and int(digits) != 0


class BsnDetector(ValueDetector):
    """Dutch citizen service numbers (BSN): nine digits passing the 11-test; needs context."""

    name = "bsn_nl"
    category = categories.NATIONAL_ID
    candidates = re.compile(r"(?<![\w.-])(?P<v>\d{3}\.?\d{2}\.?\d{3}\.?\d|\d{9})(?![\w.-])")

    def check(self, value: str, context: Context) -> Check | None:
        digits = value.replace(".", "")
        if not re.fullmatch(r"\d{8,9}", digits):
            return None
        digits = digits.zfill(9)
        if not _eleven_test(digits):
            return None
        if context.has("bsn", "burgerservicenummer", "sofi", "sofinummer", "burgerservice", *_ID_WORDS):
            return 0.9, "Dutch BSN, 11-test valid"
        return None


def _iso7064_mod11_10(digits: str) -> int:
    product = 10
    for char in digits:
        total = (int(char) + product) % 10 or 10
        product = (total * 2) % 11
    check = 11 - product
    return 0 if check == 10 else check


class SteuerIdDetector(ValueDetector):
    """German tax ids (Steuer-IdNr): 11 digits, one digit repeated 2-3 times, ISO 7064 check digit; needs context."""

    name = "steuer_id_de"
    category = categories.NATIONAL_ID
    candidates = re.compile(r"(?<![\w])(?P<v>\d{2} ?\d{3} ?\d{3} ?\d{3})(?![\w])")

    def check(self, value: str, context: Context) -> Check | None:
        digits = value.replace(" ", "")
        if not re.fullmatch(r"[1-9]\d{10}", digits):
            return None
        counts = Counter(digits[:10]).values()
        repeated = [c for c in counts if c > 1]
        if len(repeated) != 1 or repeated[0] > 3 or _iso7064_mod11_10(digits[:10]) != int(digits[10]):
            return None
        if repeated[0] == 3 and re.search(r"(\d)\1\1", digits[:10]):
            return None
        if context.has("steuer", "steuerid", "steueridentifikationsnummer", "tax", "taxid", "idnr", *_ID_WORDS):
            return 0.9, "German Steuer-ID, check digit valid"
        return None

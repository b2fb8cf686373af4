"""E-mail addresses (validated syntax) and phone numbers (the ``phonenumbers`` library)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Self

from prisma_infra.config.model import PiiConfig
from prisma_infra.pii import categories
from prisma_infra.pii._words import Context
from prisma_infra.pii.detectors.base import Check, Span, ValueDetector

if TYPE_CHECKING:
    import phonenumbers

__all__ = ["EmailDetector", "PhoneDetector"]

_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL = re.compile(
    rf"(?P<local>{_ATOM}(?:\.{_ATOM})*)@(?P<domain>(?:{_LABEL}\.)+(?P<tld>[A-Za-z]{{2,24}}|xn--[a-z0-9-]+))"
)


class EmailDetector(ValueDetector):
    """RFC 5322 dot-atom addresses with a DNS domain: length limits, no leading/trailing/double dots."""

    name = "email"
    category = categories.EMAIL
    # Not followed by ":path" (``git@github.com:org/repo.git`` is an SSH remote, not an address).
    candidates = re.compile(rf"(?<![\w.+-])(?P<v>{_EMAIL.pattern})(?![\w-]|:[\w/~])")
    max_length = 254

    def check(self, value: str, context: Context) -> Check | None:
        match = _EMAIL.fullmatch(value)
        if match is None or len(match["local"]) > 64:
            return None
        return (0.99 if context.has("email", "mail") else 0.97), "e-mail address syntax"


_PHONE_SHAPE = re.compile(
    r"(?:\+|00)?\s*(?:\(\s*\+?\d{1,6}\s*\)|\d)[\d\s().\-/]{4,22}\d(?:\s*(?:x|ext\.?|extension|#)\s*\d{1,6})?",
    re.IGNORECASE,
)
_DATE_LIKE = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{4}|\d{1,2}:\d{2}")
_SEPARATORS = frozenset(" ()-./")
_PHONE_IN_TEXT = re.compile(
    r"(?<![\w+])(?P<v>(?:\+|00)?\(?\d[\d().\-]*(?: [\d().\-]+){0,5}\d(?:\s?(?:x|ext\.?)\s?\d{1,6})?)(?![\w])"
)
_DOTTED_QUAD = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
#: Shapes that are never phone numbers: SSNs (3-2-4) and dash-grouped ISBNs.
_NOT_PHONE = re.compile(r"\d{3}-\d{2}-\d{4}|\d{1,5}-\d{1,7}-\d{1,7}-[\dX]|97[89]-\d{1,5}-\d{1,7}-\d{1,7}-\d")
_PHONE_WORDS = (
    "phone", "tel", "telephone", "mobile", "cell", "fax", "msisdn", "telefon", "telefoon", "portable", "gsm",
)  # fmt: skip


def _phonenumbers() -> Any:
    try:
        import phonenumbers
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise ImportError("Phone number detection needs phonenumbers: pip install phonenumbers") from exc
    return phonenumbers


def _trunk_prefix(region: str) -> str | None:
    metadata = _phonenumbers().PhoneMetadata.metadata_for_region(region)
    prefix = getattr(metadata, "national_prefix", None) if metadata is not None else None
    return str(prefix) if prefix else None


class PhoneDetector(ValueDetector):
    """Numbers ``phonenumbers`` says are valid (assigned ranges), in the default region or, written
    with a country code or national formatting, in the configured regions.

    Bare digit runs (``2025550143``) are only reported with a phone-like field name: order
    numbers, timestamps and ids look the same.
    """

    name = "phone"
    category = categories.PHONE
    max_length = 40

    def __init__(self, default_region: str = "US", regions: tuple[str, ...] = ()) -> None:
        self.default_region = default_region.upper()
        self.regions = tuple(r.upper() for r in regions if r.upper() != self.default_region)

    def configured(self, config: PiiConfig) -> Self:
        return type(self)(config.default_region, tuple(config.regions))

    def _valid(self, value: str, region: str | None) -> phonenumbers.PhoneNumber | None:
        pn = _phonenumbers()
        try:
            number = pn.parse(value, region)
        except pn.NumberParseException:
            return None
        return number if pn.is_valid_number(number) else None

    def check(self, value: str, context: Context) -> Check | None:
        if not _PHONE_SHAPE.fullmatch(value) or any(p.fullmatch(value) for p in (_DATE_LIKE, _DOTTED_QUAD, _NOT_PHONE)):
            return None
        digits = sum(c.isdigit() for c in value)
        if not 7 <= digits <= 20:
            return None
        hinted = context.has(*_PHONE_WORDS)
        international = value.startswith(("+", "00", "(+"))
        formatted = any(c in _SEPARATORS for c in value.strip())
        pn = _phonenumbers()
        if international:
            number = self._valid(value if not value.startswith("00") else "+" + value[2:], None)
            if number is None:
                for region in (self.default_region, *self.regions):
                    number = self._valid(value, region)
                    if number is not None:
                        break
            if number is not None:
                return 0.97, f"valid number, +{number.country_code} ({pn.region_code_for_number(number)})"
            return None
        leading = value.lstrip("( ")[:1]
        regions = (self.default_region, *self.regions) if formatted or leading == "0" else (self.default_region,)
        for index, region in enumerate(regions):
            if index and _trunk_prefix(region) not in (None, leading):
                continue  # a national number of a region with a trunk prefix ("0") starts with it
            number = self._valid(value, region)
            if number is None:
                continue
            confidence = 0.9 if index == 0 else 0.82
            if not formatted:
                confidence = 0.85 if hinted else 0.4
            elif hinted:
                confidence += 0.08
            return confidence, f"valid national number ({region})"
        return None

    def find(self, text: str) -> Iterator[Span]:
        """Numbers ``phonenumbers`` finds for the default region, and national numbers of the other regions."""
        pn = _phonenumbers()
        seen: set[tuple[int, int]] = set()
        for match in pn.PhoneNumberMatcher(text, self.default_region, leniency=pn.Leniency.VALID):
            seen.add((match.start, match.end))
            yield from self._span(text, match.start, match.end)
        for match in _PHONE_IN_TEXT.finditer(text):
            start, end = match.span("v")
            if (start, end) not in seen:
                yield from self._span(text, start, end)

    def _span(self, text: str, start: int, end: int) -> Iterator[Span]:
        # Part of a longer token (ORD-2018-634762, a URL, an id): not a phone number.
        if (start and (text[start - 1].isalnum() or text[start - 1] in "-_/#:.")) or (
            end < len(text) and (text[end].isalnum() or text[end] in "-_/:")
        ):
            return
        value = text[start:end].strip()
        # Timestamps ("2017-03-17 17:48") and decimals ("84.0109595") are not phone numbers.
        if _DATE_LIKE.match(value) or re.fullmatch(r"[1-9]\d*\.\d+", value):
            return
        found = self.check(value, Context.of(text[max(0, start - 32) : start]))
        if found is not None:
            yield Span(start, end, self.category, found[0], self.name)

"""E-mail addresses (validated syntax) and phone numbers (the ``phonenumbers`` library)."""

from __future__ import annotations

import functools
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
_EXTENSION = re.compile(r"(?i)x|ext|#")
_DOTTED_QUAD = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
#: Shapes that are never phone numbers: SSNs (3-2-4) and dash-grouped ISBNs.
_NOT_PHONE = re.compile(r"\d{3}-\d{2}-\d{4}|\d{1,5}-\d{1,7}-\d{1,7}-[\dX]|97[89]-\d{1,5}-\d{1,7}-\d{1,7}-\d")
_PHONE_WORDS = (
    "phone", "tel", "telephone", "mobile", "cell", "fax", "msisdn", "telefon", "telefoon", "portable", "gsm",
    "celular", "cellulare", "movil", "handy", "denwa", "keitai", "dianhua", "shouji", "jeonhwa",
)  # fmt: skip


def _phonenumbers() -> Any:
    try:
        import phonenumbers
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise ImportError("Phone number detection needs phonenumbers: pip install phonenumbers") from exc
    return phonenumbers


#: Regions tried after ``pii.regions`` for national numbers: populous ones whose formats are distinct.
LIKELY_REGIONS = ("BR", "JP", "CN", "KR", "IN", "MX", "PT", "PL", "SE", "AU", "AR", "TR")


@functools.cache
def _lengths(region: str) -> tuple[str, frozenset[int]]:
    """The region's trunk prefix and the lengths of its national numbers."""
    metadata = _phonenumbers().PhoneMetadata.metadata_for_region(region)
    if metadata is None:
        return "", frozenset()
    return str(metadata.national_prefix or ""), frozenset(metadata.general_desc.possible_length or ())


def _may_be_national(digits: str, region: str) -> bool:
    """A cheap test before parsing (which costs ~100 us): the digit count fits the region."""
    prefix, lengths = _lengths(region)
    return len(digits) in lengths or bool(prefix and digits.startswith(prefix) and len(digits) - len(prefix) in lengths)


def _boundaries(text: str) -> frozenset[int]:
    """Where separators cut the digits of ``text``: ``"(11) 2347-0805"`` -> {2, 6}."""
    cuts: set[int] = set()
    count = 0
    for char in text:
        if char.isdigit():
            count += 1
        elif count:
            cuts.add(count)
    return frozenset(cuts)


class PhoneDetector(ValueDetector):
    """Numbers ``phonenumbers`` says are valid (assigned ranges), in the default region or, written
    with a country code or national formatting, in the configured regions, then `LIKELY_REGIONS`.

    A national number must carry its region's national digits (the trunk prefix where the
    national format has one: ``020 7946 0958`` in GB, ``(11) 96126-3330`` in BR). Outside a
    phone field, a number without a leading ``0`` must be grouped as the region groups it:
    exactly in other regions (``84-4199576`` is no Spanish or Polish number), at the same
    cuts in the default one (``202.555.0143`` but not ``2024-001234`` in the US). Bare digit runs (``2025550143``)
    are only reported with a phone-like field name: order numbers, timestamps and ids look
    the same.
    """

    name = "phone"
    category = categories.PHONE
    max_length = 40

    def __init__(self, default_region: str = "US", regions: tuple[str, ...] = ()) -> None:
        self.default_region = default_region.upper()
        self.regions = tuple(r.upper() for r in regions if r.upper() != self.default_region)
        configured = {self.default_region, *self.regions}
        self.likely = tuple(r for r in LIKELY_REGIONS if r not in configured)

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
        trunk = value.lstrip("( ").startswith("0")
        regions: tuple[str, ...] = (self.default_region, *self.regions)
        if not (formatted or trunk or hinted):
            regions = regions[:1]
        elif hinted or trunk or "(" in value or len(_boundaries(value)) >= 2:
            regions += self.likely  # unhinted "84-4199576": two groups are no other region's national number
        national_digits = re.sub(r"\D", "", _EXTENSION.split(value, maxsplit=1)[0])
        for index, region in enumerate(regions):
            if not _may_be_national(national_digits, region):
                continue
            number = self._valid(value, region)
            if number is None:
                continue
            national = pn.format_number(number, pn.PhoneNumberFormat.NATIONAL)
            if re.sub(r"\D", "", national) != re.sub(r"\D", "", value):
                continue  # "2074960068" is no GB number without its "0"
            cuts, expected = _boundaries(value), _boundaries(national)
            if not (hinted or trunk) and not (cuts <= expected if index == 0 else cuts == expected):
                continue  # "2024-001234" is no US number
            likely = index > len(self.regions)
            if not formatted:
                confidence = 0.85 if hinted else 0.4
            else:
                confidence = 0.9 if index == 0 else 0.78 if likely else 0.82
                confidence += 0.08 if hinted else 0.0
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

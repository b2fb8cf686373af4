"""Person names: field names say where names live; shipped first/last name lists confirm values."""

from __future__ import annotations

import functools
import re
from importlib import resources

from prisma_infra.pii import categories
from prisma_infra.pii._words import Context
from prisma_infra.pii.detectors.base import Check, ValueDetector

__all__ = ["NameDetector", "first_names", "last_names"]

_TITLES = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "miss",
        "mx",
        "dr",
        "prof",
        "sir",
        "dame",
        "lady",
        "lord",
        "herr",
        "frau",
        "m",
        "mme",
        "mlle",
        "dhr",
        "mevr",
        "ing",
        "dipl",
        "rev",
        "fr",
    ]
)
_SUFFIXES = frozenset(
    [
        "jr",
        "sr",
        "ii",
        "iii",
        "iv",
        "v",
        "md",
        "phd",
        "dds",
        "dvm",
        "esq",
        "b.sc",
        "m.sc",
        "b.a",
        "m.a",
        "b.eng",
        "m.eng",
        "mba",
        "llm",
    ]
)
_PARTICLES = frozenset(
    [
        "van",
        "von",
        "der",
        "den",
        "de",
        "du",
        "da",
        "di",
        "del",
        "della",
        "des",
        "dos",
        "la",
        "le",
        "ter",
        "ten",
        "zu",
        "'t",
        "van't",
        "bin",
        "al",
        "el",
    ]
)
_DOT = r"\.?"
_TOKEN = re.compile(r"[A-ZÀ-ÖØ-Þ](?:[^\W\d_]|['\u2019])*(?:-(?:[^\W\d_]|['\u2019])+)*\.?")
#: Field words that mean "a part of a person's name".
_NAME_PART_WORDS = (
    "firstname", "lastname", "fullname", "surname", "givenname", "familyname", "middlename", "maidenname",
    "forename", "vorname", "nachname", "prenom", "prénom", "voornaam", "achternaam", "displayname",
    "contactname", "customername", "cardholder", "holdername", "recipientname",
)  # fmt: skip
_NAME_PART_PAIRS = (("first", "name"), ("last", "name"), ("given", "name"), ("family", "name"), ("full", "name"))
#: Field words that mean "a person", so a ``name`` next to them is a person's name.
_PERSON_WORDS = (
    "author", "owner", "contact", "customer", "client", "person", "employee", "patient", "recipient",
    "sender", "holder", "member", "user", "nom", "naam", "signatory", "beneficiary", "guardian",
)  # fmt: skip


def _load(name: str) -> frozenset[str]:
    text = resources.files("prisma_infra.pii").joinpath("data", name).read_text("utf-8")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


@functools.cache
def first_names() -> frozenset[str]:
    """Lower-case first names from the shipped list (Faker's person providers, eight locales)."""
    return _load("first_names.txt")


@functools.cache
def last_names() -> frozenset[str]:
    """Lower-case last names from the shipped list."""
    return _load("last_names.txt")


def _tokens(value: str) -> list[str] | None:
    """The name tokens of ``value`` without titles and suffixes; ``None`` when it is not name-shaped."""
    raw = value.replace(",", " ").split()
    if not 1 <= len(raw) <= 7:
        return None
    tokens: list[str] = []
    for token in raw:
        plain = token.lower().rstrip(".")
        if (plain in _TITLES or plain in _SUFFIXES) and len(raw) > 1:
            continue
        if plain in _PARTICLES:
            continue
        if not _TOKEN.fullmatch(token):
            return None
        tokens.append(token.rstrip("."))
    return tokens if 1 <= len(tokens) <= 4 else None


class NameDetector(ValueDetector):
    """A name-shaped value (capitalised words, titles and particles allowed, no digits).

    In a first/last/full-name field the shape is enough; in a plain ``name``
    field of a person (``author_name``, ``User.name``) one word must be a known
    first or last name; without context, a known first name followed by a known
    last name.
    """

    name = "person_name"
    category = categories.PERSON_NAME
    candidates = re.compile(
        rf"(?P<v>{_TOKEN.pattern.removesuffix(_DOT)}(?:\s+(?:(?:van|von|de|du|der|den|da|di|le|la)\s+)*"
        rf"{_TOKEN.pattern.removesuffix(_DOT)}){{0,3}})"
    )
    max_length = 80

    def check(self, value: str, context: Context) -> Check | None:
        tokens = _tokens(value)
        if tokens is None:
            return None
        lowered = [t.lower() for t in tokens]
        first_hit = lowered[0] in first_names()
        rest = [part for t in lowered[1:] for part in (t, *t.split("-"))]
        last_hit = any(t in last_names() for t in rest) or (
            len(lowered) == 1 and any(p in last_names() for p in (lowered[0], *lowered[0].split("-")))
        )
        known = first_hit or last_hit or any(t in first_names() for t in rest)
        name_part = context.has(*_NAME_PART_WORDS) or any(
            a in context.words and b in context.words for a, b in _NAME_PART_PAIRS
        )
        if name_part:
            return (0.92, "known name in a name field") if known else (0.7, "name-shaped value in a name field")
        if context.has(*_PERSON_WORDS):
            return (0.85, "known name in a person field") if known else None
        if len(tokens) >= 2 and first_hit and last_hit:
            return 0.75, "known first and last name"
        return None

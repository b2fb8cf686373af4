"""Person names: field names say where names live; shipped first/last name lists confirm values.

Titles (``Dott.ssa``, ``Sra.``, ``Mevr.``), particles (``van de``, ``da``),
hyphenated first names and CJK names (`_cjk`) are recognised; accents are
folded for the list look-up (``Gonzalez`` finds ``González``).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources

from prisma_infra.pii import categories
from prisma_infra.pii._words import Context
from prisma_infra.pii.detectors import _cjk
from prisma_infra.pii.detectors.base import Check, Span, ValueDetector

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
        # Spanish, Italian, Portuguese
        "sr",
        "sra",
        "srta",
        "d",
        "dña",
        "dna",
        "don",
        "doña",
        "dona",
        "dra",
        "sig",
        "sig.ra",
        "sigra",
        "sig.na",
        "dott",
        "dott.ssa",
        "dottssa",
        "prof.ssa",
        "avv",
        "geom",
        "eng",
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
_GENERATIONS = frozenset(["jr", "sr", "ii", "iii", "iv", "v"])
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
        "das",
        "do",
        "e",
        "y",
        "i",
    ]
)
#: Words that make a capitalised phrase a company or a place, not a person.
_NOT_PERSON = frozenset(
    [
        # legal forms and kinds of organisation
        "ag", "gmbh", "kg", "ohg", "ug", "ev", "e.v", "sa", "sas", "sarl", "sl", "s.l", "slu", "spa", "s.p.a",
        "srl", "s.r.l", "snc", "ltda", "ltd", "llc", "inc", "plc", "nv", "bv", "vof", "co", "corp", "group",
        "holding", "stichting", "vereniging", "fundación", "fundacion", "associazione", "company", "bank", "hotel",
        "filhos", "figli", "hijos", "fils", "söhne", "sons", "zonen", "irmãos", "hermanos", "fratelli", "cia",
        # the first word of a place name
        "new", "san", "santa", "santo", "são", "sao", "saint", "st", "port", "lake", "mount", "fort", "north",
        "south", "east", "west", "nord", "sud", "ost", "city",
    ]
)  # fmt: skip
#: First words of places that are also names elsewhere ("Villa Borghese", but "Pancho Villa").
_PLACE_FIRST = frozenset(
    ["villa", "casa", "palazzo", "museo", "museu", "castello", "castillo", "torre", "porta", "porto", "puerto", "vila",
     "rio", "monte", "nova", "novo", "ponta", "serra", "ciudad", "bad"]
)  # fmt: skip
_DOT = r"\.?"
#: Titles and particles as written in running text ("Dott.ssa", "Sr.", "van de").
_TITLE_ALTERNATIVES = "|".join(re.escape(t.capitalize()) for t in sorted(_TITLES, key=len, reverse=True) if len(t) > 1)
_PARTICLE_ALTERNATIVES = "|".join(
    re.escape(p) for p in sorted(_PARTICLES, key=len, reverse=True) if p not in ("e", "y", "i", "al", "el", "bin")
)
_TOKEN = re.compile(r"[A-ZÀ-ÖØ-Þ](?:[^\W\d_]|['\u2019])*(?:-(?:[^\W\d_]|['\u2019])+)*\.?")
#: Field words that mean "a part of a person's name".
_NAME_PART_WORDS = (
    "firstname", "lastname", "fullname", "surname", "givenname", "familyname", "middlename", "maidenname",
    "forename", "vorname", "nachname", "prenom", "prénom", "voornaam", "achternaam", "displayname",
    "contactname", "customername", "cardholder", "holdername", "recipientname",
    "nombre", "apellido", "apellidos", "cognome", "nome", "sobrenome", "nomecompleto", "namae", "shimei",
    "myoji", "seimei", "xingming", "irum", "achternaam", "tussenvoegsel",
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
    """Lower-case first names from the shipped list (names-dataset's most frequent, 21 countries)."""
    return _load("first_names.txt")


@functools.cache
def last_names() -> frozenset[str]:
    """Lower-case last names from the shipped list."""
    return _load("last_names.txt")


def _fold(name: str) -> str:
    """Lower case without accents (Latin script only: NFKD would split Hangul and kana)."""
    lowered = name.lower()
    if lowered.isascii():
        return lowered
    stripped = "".join(c for c in unicodedata.normalize("NFKD", lowered) if not unicodedata.combining(c))
    return stripped if stripped.isascii() else lowered


@functools.cache
def _folded(name: str) -> frozenset[str]:
    names = first_names() if name == "first" else last_names()
    return names | {_fold(n) for n in names if not n.isascii()}


def is_first(name: str) -> bool:
    return _fold(name) in _folded("first")


def is_last(name: str) -> bool:
    """A known last name, also after ``Mac``/``Mc``/``O'``/``D'`` (``MacVaughn``, ``D'Angelo``)."""
    folded = _fold(name)
    if folded in _folded("last"):
        return True
    stem = re.sub(r"^(?:mac|mc|o['\u2019]|d['\u2019])", "", folded)
    return stem != folded and len(stem) > 2 and (stem in _folded("last") or stem in _folded("first"))


@dataclass(frozen=True, slots=True)
class _Parsed:
    tokens: list[str]
    titled: bool
    particle: bool
    #: An academic degree after the name ("B.Eng.", "MBA"); generational suffixes do not count.
    degree: bool = False


def _tokens(value: str) -> _Parsed | None:
    """The name tokens of ``value`` without titles and suffixes; ``None`` when it is not name-shaped."""
    raw = value.replace(",", " ").split()
    if not 1 <= len(raw) <= 7:
        return None
    tokens: list[str] = []
    titled = particle = degree = False
    for index, token in enumerate(raw):
        plain = token.lower().rstrip(".")
        if len(raw) > 1 and (plain in _NOT_PERSON or (index == 0 and plain in _PLACE_FIRST)):
            return None
        if plain in _TITLES and len(raw) > 1 and not tokens:
            titled = True
            continue
        if plain in _SUFFIXES and len(raw) > 1 and index:
            degree = degree or plain not in _GENERATIONS
            continue
        if plain in _PARTICLES and index < len(raw) - 1:
            particle = particle or bool(tokens)  # "van Dongen" alone is a surname, not "first name + particle"
            continue
        if not _TOKEN.fullmatch(token):
            return None
        tokens.append(token.rstrip("."))
    return _Parsed(tokens, titled, particle, degree) if 1 <= len(tokens) <= 4 else None


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
        rf"(?P<v>(?:(?:{_TITLE_ALTERNATIVES})\.?\s+)?"
        rf"{_TOKEN.pattern.removesuffix(_DOT)}(?:\s+(?:(?:{_PARTICLE_ALTERNATIVES})\s+)*"
        rf"{_TOKEN.pattern.removesuffix(_DOT)}){{0,3}})"
        rf"|(?<!\w)(?P<cjk>{_cjk.CANDIDATE})(?!\w)"
    )
    max_length = 80

    def find(self, text: str) -> Iterator[Span]:
        for match in self.candidates.finditer(text):
            group = "v" if match["v"] else "cjk"
            start, end = match.span(group)
            before = Context.of(text[max(0, start - 32) : start])
            found = self.check(match[group].strip(), before)
            if found is not None:
                yield Span(start, end, self.category, found[0], self.name)

    def check(self, value: str, context: Context) -> Check | None:
        cjk = _cjk.parse(value, is_first, is_last)
        parsed = _tokens(value) if cjk is None else None
        if cjk is None and parsed is None:
            return None
        name_part = context.has(*_NAME_PART_WORDS) or any(
            a in context.words and b in context.words for a, b in _NAME_PART_PAIRS
        )
        if cjk is not None:
            return self._cjk(cjk, name_part, context)
        assert parsed is not None
        tokens = parsed.tokens
        # "Gabrielle-Juliette": every part a first name; "Taccola-Toldo": any part a last name.
        first_hit = all(is_first(p) for p in tokens[0].split("-"))
        rest = [part for t in tokens[1:] for part in (t, *t.split("-"))]
        last_hit = any(is_last(t) for t in rest) or (
            len(tokens) == 1 and any(is_last(p) for p in (tokens[0], *tokens[0].split("-")))
        )
        known = first_hit or last_hit or any(is_first(t) for t in rest)
        if name_part:
            return (0.92, "known name in a name field") if known else (0.7, "name-shaped value in a name field")
        if context.has(*_PERSON_WORDS):
            return (0.85, "known name in a person field") if known else None
        if len(tokens) >= 2 and first_hit and last_hit:
            return 0.75, "known first and last name"
        # A title, a degree or a particle around name-shaped words is a person's:
        # "Sig. Giorgio Verdi", "Miroslawa Werner B.Eng.", "Jamie van de Leemput".
        if parsed.titled and known and len(tokens) >= 1 + (not last_hit):
            return 0.78, "title and known name"
        if parsed.degree and len(tokens) >= 2 and (known or parsed.titled):
            return 0.78, "degree after a name"
        if parsed.particle and first_hit and len(tokens) >= 2:
            return 0.75, "known first name and a surname with a particle"
        return None

    @staticmethod
    def _cjk(name: _cjk.CjkName, name_part: bool, context: Context) -> Check | None:
        known = name.family_known or name.given_known
        if name_part:
            return (0.92, "known CJK name in a name field") if known else (0.7, "CJK name in a name field")
        if context.has(*_PERSON_WORDS):
            return (0.85, "known CJK name in a person field") if known else None
        if name.family_known and name.given_known:
            return 0.75, "known CJK family and given name"
        if name.family_known and name.honorific:
            return 0.78, "CJK family name and honorific"
        if name.family_known and name.spaced and len(name.family) > 1:
            return 0.7, "CJK family name, a space and a given name"
        return None

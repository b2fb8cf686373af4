"""Postal addresses: street patterns (English, German, Dutch, French, Spanish, Italian, Portuguese;
Japanese, Chinese and Korean addresses in `_address_locales`) and postcodes, with field names."""

from __future__ import annotations

import re
from collections.abc import Iterator

from prisma_infra.pii import categories
from prisma_infra.pii._words import Context
from prisma_infra.pii.detectors._address_locales import (
    DASH,
    IN_TEXT,
    ROMANCE_NUMBER_COMMA,
    cjk_address,
    romance_street,
)
from prisma_infra.pii.detectors.base import Check, Span, ValueDetector

__all__ = ["AddressDetector"]

# USPS street suffixes (Publication 28, C1) and their common abbreviations.
_EN_SUFFIXES = [
    "alley",
    "aly",
    "annex",
    "anx",
    "arcade",
    "arc",
    "avenue",
    "ave",
    "av",
    "bayou",
    "beach",
    "bch",
    "bend",
    "bluff",
    "bluffs",
    "bottom",
    "boulevard",
    "blvd",
    "branch",
    "bridge",
    "brook",
    "brooks",
    "burg",
    "burgs",
    "bypass",
    "camp",
    "canyon",
    "cape",
    "causeway",
    "center",
    "centers",
    "circle",
    "cir",
    "circles",
    "cliff",
    "cliffs",
    "club",
    "common",
    "commons",
    "corner",
    "corners",
    "course",
    "court",
    "ct",
    "courts",
    "cove",
    "coves",
    "creek",
    "crescent",
    "cres",
    "crest",
    "crossing",
    "crossroad",
    "curve",
    "dale",
    "dam",
    "divide",
    "drive",
    "dr",
    "drives",
    "estate",
    "estates",
    "expressway",
    "expy",
    "extension",
    "ext",
    "extensions",
    "falls",
    "ferry",
    "field",
    "fields",
    "flat",
    "flats",
    "ford",
    "fords",
    "forest",
    "forge",
    "forges",
    "fork",
    "forks",
    "fort",
    "freeway",
    "fwy",
    "garden",
    "gardens",
    "gateway",
    "glen",
    "glens",
    "green",
    "greens",
    "grove",
    "groves",
    "harbor",
    "harbors",
    "haven",
    "heights",
    "hts",
    "highway",
    "hwy",
    "hill",
    "hills",
    "hollow",
    "inlet",
    "island",
    "islands",
    "isle",
    "junction",
    "junctions",
    "key",
    "keys",
    "knoll",
    "knolls",
    "lake",
    "lakes",
    "land",
    "landing",
    "lane",
    "ln",
    "light",
    "lights",
    "loaf",
    "lock",
    "locks",
    "lodge",
    "loop",
    "mall",
    "manor",
    "manors",
    "meadow",
    "meadows",
    "mews",
    "mill",
    "mills",
    "mission",
    "motorway",
    "mount",
    "mountain",
    "mountains",
    "neck",
    "orchard",
    "oval",
    "overpass",
    "park",
    "parks",
    "parkway",
    "pkwy",
    "pass",
    "passage",
    "path",
    "pike",
    "pine",
    "pines",
    "place",
    "pl",
    "plain",
    "plains",
    "plaza",
    "plz",
    "point",
    "points",
    "port",
    "ports",
    "prairie",
    "radial",
    "ramp",
    "ranch",
    "rapid",
    "rapids",
    "rest",
    "ridge",
    "ridges",
    "river",
    "road",
    "rd",
    "roads",
    "route",
    "row",
    "rue",
    "run",
    "shoal",
    "shoals",
    "shore",
    "shores",
    "skyway",
    "spring",
    "springs",
    "spur",
    "spurs",
    "square",
    "sq",
    "squares",
    "station",
    "stravenue",
    "stream",
    "street",
    "st",
    "streets",
    "summit",
    "terrace",
    "ter",
    "throughway",
    "trace",
    "track",
    "trafficway",
    "trail",
    "trl",
    "trailer",
    "tunnel",
    "turnpike",
    "underpass",
    "union",
    "unions",
    "valley",
    "valleys",
    "viaduct",
    "view",
    "views",
    "village",
    "villages",
    "ville",
    "vista",
    "walk",
    "walks",
    "wall",
    "way",
    "ways",
    "well",
    "wells",
    "close",
    "gate",
    "drove",
    "parade",
]
# German and Dutch streets end in these (Hauptstraße, Kerkstraat, Am Ring, Wesselboulevard).
_COMPOUND_ENDINGS = (
    "straße", "strasse", "str.", "weg", "allee", "platz", "gasse", "ring", "damm", "ufer", "chaussee", "pfad",
    "steig", "markt", "graben", "hof", "straat", "laan", "plein", "gracht", "kade", "dreef", "singel", "baan",
    "dijk", "pad", "steeg", "boulevard", "park", "wal", "veld", "hoven",
)  # fmt: skip
_FR_TYPES = r"rue|avenue|av\.|boulevard|bd|chemin|allée|allee|impasse|quai|route|place|cours|square|passage"

_NUMBER = r"\d{1,6}[A-Za-z]?(?:\s?[-/]\s?\d{1,5}[A-Za-z]?)?"
_WORD = r"[A-ZÀ-Ý][\w'\u2019.-]*"
_EN_STREET = re.compile(
    rf"(?:(?:{_NUMBER})\s+)?(?:{_WORD}\s+){{1,4}}(?P<suffix>[A-Za-z]+)\.?"
    r"(?:\s+(?:apt\.?|suite|unit|#|flat)\s*\w+)?",
    re.IGNORECASE,
)
_COMPOUND_STREET = re.compile(rf"(?:{_WORD}[\s-])*(?P<street>[A-ZÀ-Ý][\w'\u2019.-]*)\s+{_NUMBER}")
_FR_STREET = re.compile(rf"(?:{_NUMBER}(?:\s?(?:bis|ter))?,?\s+)?(?:{_FR_TYPES})\s+\w[\w'\u2019 -]*", re.IGNORECASE)
_POSTCODE = re.compile(
    r"\b(?:[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}"  # UK
    r"|\d{4}\s?[A-Z]{2}"  # NL
    r"|[A-Z]{2}\s+\d{5}(?:-\d{4})?"  # US state + ZIP
    r"|\d{5}\s+[A-ZÀ-Ý][\w'\u2019 -]+"  # DE/FR postcode + city
    r"|\d{5}-?\d{3}\s+[A-ZÀ-Ý][\w'\u2019 -]+(?:\s*/\s*[A-Z]{2})?"  # BR CEP + city / state
    r"|\d{5},?\s+[A-ZÀ-Ý][\w'\u2019 -]+\s*\([A-Z]{2}\))\b"  # IT CAP, city (province)
    r"|^\d{5}$"  # ES: "Valladolid, 29697"
)
#: A last line that only an address has: "85324914 Sá da Serra / AM" (BR), "23824, Dorio (LC)" (IT).
_POSTCODE_STATE = re.compile(
    r"\d{5}-?\d{3}\s+[A-ZÀ-Ý][\w'\u2019 -]+\s*/\s*[A-Z]{2}|\d{5},?\s+[A-ZÀ-Ý][\w'\u2019 -]+\([A-Z]{2}\)"
)
_POSTCODE_ONLY = re.compile(
    r"\d{5}(?:-\d{4})?|[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}|\d{4}\s?[A-Z]{2}|\d{4}"
    rf"|\d{{5}}-?\d{{3}}|〒?\s?\d{{3}}{DASH}\d{{4}}|\d{{6}}"  # BR CEP, JP, CN
)
_NUMBER_COMMA = re.compile(r"(?m)^(\s*\d{1,5}[A-Za-z]?(?:\s?(?:bis|ter))?),\s*")
_ADDRESS_WORDS = (
    "address", "addr", "street", "adresse", "adres", "strasse", "straße", "straat", "residence", "domicile",
    "line", "mailing", "billing", "shipping", "home", "wohnort", "anschrift", "direccion", "dirección",
    "domicilio", "indirizzo", "endereco", "endereço", "logradouro", "morada", "calle", "via", "rua",
    "jusho", "dizhi", "juso",
)  # fmt: skip
_POSTCODE_WORDS = (
    "zip", "zipcode", "postcode", "postal", "plz", "postleitzahl", "postcode", "codepostal", "cap", "cep",
    "yubin", "youbian",
)  # fmt: skip
_EN_SUFFIX_SET = frozenset(_EN_SUFFIXES)


_NOT_STREETS = frozenset(
    {
        "spring",
        "string",
        "offspring",
        "earring",
        "keyring",
        "bring",
        "during",
        "notepad",
        "keypad",
        "touchpad",
        "launchpad",
        "ipad",
        "carpark",
        "wal",
        "park",
        "hof",
        "ring",
        "pad",
        "markt",
        "veld",
        "baan",
    }
)


def _compound(street: str) -> bool:
    """``Hauptstraße``, ``Kerkstraat``, ``Natali-Buchholz-Ring``; not ``Spring`` or ``String``."""
    if not street.endswith(_COMPOUND_ENDINGS):
        return False
    return "-" in street or street not in _NOT_STREETS


def _street_line(line: str) -> float:
    """How much ``line`` looks like a street line: 0.8 with a house number, 0.45 without, 0 otherwise."""
    line = line.strip().rstrip(",")
    if not line or any(c in line for c in "@:=<>{}"):
        return 0.0
    if (match := _EN_STREET.fullmatch(line)) and match["suffix"].lower() in _EN_SUFFIX_SET:
        return 0.8 if line[0].isdigit() else 0.45
    if (match := _COMPOUND_STREET.fullmatch(line)) and _compound(match["street"].lower()):
        return 0.8
    if _FR_STREET.fullmatch(line):
        return 0.8 if line[0].isdigit() else 0.45
    return romance_street(line)


class AddressDetector(ValueDetector):
    """A street line (number and street, in English, German, Dutch or French patterns), optionally
    followed by lines with a postcode and city; or a bare postcode in a postcode field."""

    name = "address"
    category = categories.ADDRESS
    max_length = 200
    # In free text: street lines with a house number (and the postcode line after them), and
    # bare postcodes, which `check` keeps only after words such as "zip" or "postcode".
    candidates = re.compile(
        rf"(?P<v>\b\d{{1,6}}[A-Za-z]?\s+(?:[A-Z][\w'.-]+\s+){{1,3}}(?:{'|'.join(s.title() for s in _EN_SUFFIXES)})\b\.?"
        r"(?:\s+(?:Apt\.?|Suite|Unit)\s*\w+)?"
        r"(?:,?\s*\n?\s*[A-Z][\w' -]+,\s+[A-Z]{2}\s+\d{5}(?:-\d{4})?)?"  # City, ST 12345
        rf"|\b[A-ZÄÖÜ][\w-]*(?i:{'|'.join(re.escape(e) for e in _COMPOUND_ENDINGS)})"
        r"\s+\d{1,5}[a-z]?(?:\s?[-/]\s?\d{1,5})?\b"
        r"(?:,?\s*\n?\s*\d{4,5}(?:\s?[A-Z]{2})?\s+[A-Z][\w-]+)?"  # 10115 Berlin, 1234 AB Town
        r"|\b\d{1,5}(?:\s?(?:bis|ter))?,?\s+(?:rue|avenue|boulevard|chemin|allée|impasse|quai)\s+"
        r"(?:(?:de|du|des|la|le)\s+|l')?[A-Z][\w'-]+(?:\s+[A-Z][\w'-]+)*"
        r"(?:,?\s*\n?\s*\d{5}\s+[A-Z][\w' -]+)?"
        r"|\b(?:\d{5}(?:-\d{4})?|\d{4}\s?[A-Z]{2}|[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}"
        r"|\d{5}-?\d{3}|\d{3}-\d{4}|\d{6})\b)"  # BR, JP, CN
    )

    def find(self, text: str) -> Iterator[Span]:
        yield from super().find(text)
        for match in IN_TEXT.finditer(text):
            group = "v" if match["v"] else "cjk"
            start, end = match.span(group)
            found = self.check(match[group].strip(), Context.of(text[max(0, start - 32) : start]))
            if found is not None:
                yield Span(start, end, self.category, found[0], self.name)

    def check(self, value: str, context: Context) -> Check | None:
        hinted = context.has(*_ADDRESS_WORDS) and not context.has("email", "mail", "ip", "mac", "web", "url")
        if context.has(*_POSTCODE_WORDS) and _POSTCODE_ONLY.fullmatch(value):
            return 0.85, "postcode in a postcode field"
        if cjk := cjk_address(value):
            confidence = cjk + (0.1 if hinted else 0.0)
            return confidence, "CJK address units and number" + (", address field" if hinted else "")
        # "5, rue de Blanc", "Via Roma, 12": a comma next to the house number does not end the street line.
        value = ROMANCE_NUMBER_COMMA.sub(r"\1 \2", _NUMBER_COMMA.sub(r"\1 ", value))
        parts = [p for p in re.split(r"\n|,\s+|;\s*", value) if p.strip()]
        if len(parts) > 6 or any(len(p) > 60 for p in parts):
            return None
        street = max((_street_line(p) for p in parts[:3]), default=0.0)
        postcode = any(_POSTCODE.search(p) for p in parts[1:]) if len(parts) > 1 else False
        if street == 0.0:
            if postcode and hinted:
                return 0.75, "postcode and city in an address field"
            if len(parts) > 1 and any(_POSTCODE_STATE.fullmatch(p.strip()) for p in parts[1:]):
                return 0.7, "lines ending in postcode, city and state"
            return None
        confidence = street + (0.15 if postcode else 0.0) + (0.15 if hinted else 0.0)
        if confidence < 0.5:
            return None
        evidence = "street pattern" + (" and postcode" if postcode else "") + (", address field" if hinted else "")
        return confidence, evidence

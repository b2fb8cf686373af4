"""Street lines of Spain, Italy, Portugal and Brazil, and addresses of Japan, China and Korea.

Romance street lines start with the street type (``Calle``, ``Via``, ``Rua``;
Brazil's types are the Correios' list); CJK addresses run from the largest
unit to the smallest with the unit written after each name (都道府県/市区町村,
省/市/区 ... 路/街, 시/도 ... 로/길) and a block or house number at the end.
"""

from __future__ import annotations

import re

__all__ = ["DASH", "IN_TEXT", "ROMANCE_NUMBER_COMMA", "cjk_address", "romance_street"]

_ES = (
    "calle c/ c. avenida avda av. av paseo plaza pza. camino carretera ctra. ronda travesía travesia vía via"
    " urbanización urbanizacion urb. pasaje glorieta rambla callejón callejon cuesta alameda carrer passeig"
    " plaça avinguda cañada vial pasadizo bulevar carrera acceso polígono poligono rúa"
)
_IT = (
    "via viale piazza piazzale corso vicolo contrada strada largo canale borgo lungomare lungotevere località"
    " localita loc. traversa rotonda stretto vico salita galleria calle rione incrocio"
)
_PT = (
    "rua r. avenida av. travessa tv. largo praça praca rodovia alameda estrada esplanada fazenda viaduto lago"
    " lagoa pátio patio vila viela via ladeira quadra conjunto setor residencial chácara chacara sítio sitio"
    " vereda trecho trevo passarela aeroporto parque jardim núcleo nucleo recanto loteamento morro distrito"
    " colônia colonia condomínio condominio feira campo vale área area estação estacao favela"
)
_TYPES = "|".join(sorted({re.escape(t) for t in f"{_ES} {_IT} {_PT}".split()}, key=len, reverse=True))
#: Types that are ordinary words too (a park, a lake): they need a house number.
_WORDS_TOO = frozenset(
    ["lago", "lagoa", "parque", "jardim", "campo", "vale", "feira", "morro", "área", "area", "estação", "estacao",
     "largo"]
)  # fmt: skip
_NAME = r"[A-ZÀ-Ýa-zà-ÿ0-9'\u2019.-]+"
_ROMANCE = re.compile(
    rf"(?P<type>{_TYPES})\s+(?P<name>(?:{_NAME}\s+){{0,6}}?{_NAME})"
    r"(?:,?\s+(?:n[º°o.]\s*)?(?P<number>\d{1,5}[A-Za-z]?(?:\s?[-/]\s?\d{1,5})?|s/n|sn)"
    r"(?:,?\s+[\wºª°.\s/-]{1,30})?)?",
    re.IGNORECASE,
)
#: "Piazza Alfredo, 16": the comma before the house number does not end the street line.
ROMANCE_NUMBER_COMMA = re.compile(rf"(?im)^(\s*(?:{_TYPES})\s[^,\n]*?),\s*(\d{{1,5}}[A-Za-z]?\b)")

#: Hyphen, minus, katakana long vowel mark and full-width hyphen: Japanese block numbers use them all.
_DASHES = r"\-\u2212\u30fc\uff0d"
DASH = f"[{_DASHES}]"
_CJK_CHARS = "\u3005\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uac00-\ud7af"
_JP = re.compile(
    rf"(?:〒?\s?\d{{3}}{DASH}\d{{4}}\s*)?(?:[^\s\d]{{1,4}}[都道府県])?[^\s\d]{{1,10}}?[市区町村郡][^\s\d]{{0,12}}?"
    rf"\d+\s*(?:丁目|番地?|号|{DASH}\s*\d+).*"
)
_CN = re.compile(
    r"(?:[^\s\d]{2,8}?(?:省|自治区|市))?[^\s\d]{0,12}?(?:路|街|道|巷|胡同|大道|弄)\s*"
    r"(?:\d+\s*(?:号|弄)|[A-Za-z]座|\d+\s*号院?)(?:.*)"
)
_KR = re.compile(
    r"(?P<admin>(?:\S+(?:특별시|광역시|특별자치시|특별자치도|시|도)\s+)?(?:\S+(?:시|군|구)\s+){0,2})"
    r"\S+(?:로|길|대로|가|거리)\s+(?:지하\s?)?\d{1,5}(?:-\d{1,5})?(?:\s*\(.*\))?(?:\s+\S+)?"
)


#: What follows a house number: floor, door, flat.
_UNITS = "piso|puerta|planta|escalera|portal|piano|appartamento|interno|scala|apto|apt|andar|sala|bloco|casa|lote"
_LINK_WORDS = r"(?:de|del|della|delle|dei|degli|di|da|do|das|dos|la|le)"
#: Candidates in free text: Romance street lines with a house number (and the postcode line after
#: them), and runs of words with CJK characters (an address has no punctuation but its dashes).
IN_TEXT = re.compile(
    rf"(?P<v>\b(?i:{_TYPES})\s+(?:{_LINK_WORDS}\s+)?[A-ZÀ-Ý][\w'\u2019.-]*"
    rf"(?:\s+(?:{_LINK_WORDS}|[A-ZÀ-Ý][\w'\u2019.-]*)){{0,5}},?\s+(?:n[º°o.]\s*)?\d{{1,5}}[A-Za-z]?\b"
    rf"(?:,?\s+(?:{_UNITS})\.?\s*\w{{1,4}}\b)*"
    r"(?:,?\s*\n?\s*(?:\d{5}(?:-?\d{3})?,?\s+[A-ZÀ-Ý][\w'\u2019 -]+(?:\s*\([A-Z]{2}\)|\s*/\s*[A-Z]{2})?"
    r"|[A-ZÀ-Ý][\w'\u2019 -]+,\s+\d{5}\b))?)"
    rf"|(?<![\w-])(?P<cjk>(?:〒\s?\d{{3}}{DASH}\d{{4}}\s)?[\w{_DASHES}]*[{_CJK_CHARS}][\w{_DASHES}]*"
    rf"(?:[ \u3000](?:[\w{_DASHES}]+|\([^()\s]{{1,20}}\))){{0,5}})"
)


def romance_street(line: str) -> float:
    """0.8 for ``Calle Mayor 5`` / ``Via Roma, 12`` / ``Rua das Flores, 100``; 0.45 without the number."""
    match = _ROMANCE.fullmatch(line)
    if match is None:
        return 0.0
    # "Via Roma", "Rua das Flores"; not "Campo de golf 18".
    words = [w for w in match["name"].split() if w.lower() not in _LINKS]
    if not words or not words[0][:1].isupper():
        return 0.0
    if match["number"]:
        return 0.8
    return 0.0 if match["type"].lower() in _WORDS_TOO else 0.45


_LINKS = frozenset(
    ["de", "del", "della", "delle", "dei", "degli", "di", "da", "do", "das", "dos", "la", "le", "l'", "d'"]
)


def cjk_address(value: str) -> float:
    """0.85 for a Japanese, Chinese or Korean address with its units and a number; 0 otherwise."""
    text = value.strip()
    if _JP.fullmatch(text) or _CN.fullmatch(text):
        return 0.85
    match = _KR.fullmatch(text)
    if match is not None:
        return 0.85 if match["admin"] else 0.6
    return 0.0

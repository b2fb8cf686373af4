"""Locale cases of the labelled PII dataset: eleven locales, the shapes the first five missed.

Imported by ``make_dataset.py`` (its records come after the first five
locales', from their own seeded generators, so those stay as they were):

* six more locales, es_ES, it_IT, pt_BR, ja_JP, zh_CN, ko_KR: Faker's phone
  numbers (valid ones only), addresses (full, street line, bare postcode in a
  postcode field; ja_JP's street lines are Faker placeholders and left out),
  first, last and full names;
* in all eleven: national-format phone numbers without a country code (from
  ``phonenumbers``' example numbers with random subscriber digits), names with
  honorifics (``Sr.``, ``Dott.ssa``, ``Mevr.``, ``様``), particles
  (``Jamie van de Leemput``) and hyphenated first names
  (``Gabrielle-Juliette Henry``), CJK names with and without the space;
* negatives in each locale's language and formats: product names, words,
  sentences, companies, cities, jobs, prices, dates, order numbers, counts.
"""

from __future__ import annotations

import datetime as dt
import random
import string
from collections.abc import Callable, Iterator
from typing import Any

import phonenumbers
from faker import Faker

SEED = 20261203
REGIONS = {
    "en_US": "US", "en_GB": "GB", "de_DE": "DE", "fr_FR": "FR", "nl_NL": "NL",
    "es_ES": "ES", "it_IT": "IT", "pt_BR": "BR", "ja_JP": "JP", "zh_CN": "CN", "ko_KR": "KR",
}  # fmt: skip
NEW = ("es_ES", "it_IT", "pt_BR", "ja_JP", "zh_CN", "ko_KR")
CJK = ("ja_JP", "zh_CN", "ko_KR")
GENERIC = ("value", "data", "notes", "col_3", "field1", "info", "payload")
HONORIFICS = {
    "en_US": ("Mr.", "Mrs.", "Ms.", "Dr."), "en_GB": ("Mr", "Mrs", "Ms", "Dr"),
    "de_DE": ("Herr", "Frau", "Dr."), "fr_FR": ("M.", "Mme", "Mlle", "Dr"), "nl_NL": ("Dhr.", "Mevr.", "Dr."),
    "es_ES": ("Sr.", "Sra.", "Srta.", "D.", "Dña.", "Don", "Doña"),
    "it_IT": ("Sig.", "Sig.ra", "Dott.", "Dott.ssa", "Prof.", "Avv.", "Ing."),
    "pt_BR": ("Sr.", "Sra.", "Srta.", "Dr.", "Dra."),
}  # fmt: skip
#: CJK honorifics follow the name (``山田様``, ``김민준 님``, ``王先生``).
CJK_HONORIFICS = {"ja_JP": ("様", "さん", " 様"), "zh_CN": ("先生", "女士"), "ko_KR": (" 님", "님", " 씨")}
PARTICLES = {
    "nl_NL": ("van", "van de", "van der", "de", "ter"), "de_DE": ("von", "von der", "zu"),
    "fr_FR": ("de", "du", "de la", "Le"), "es_ES": ("de", "del", "de la"), "it_IT": ("De", "Di", "Della"),
    "pt_BR": ("da", "dos", "de"), "en_US": ("van", "de", "Mac"), "en_GB": ("van de", "de"),
}  # fmt: skip
#: Prices as each locale writes them.
PRICES = {
    "es_ES": "{a},{c} €", "it_IT": "€ {a},{c}", "pt_BR": "R$ {a},{c}", "ja_JP": "¥{a}", "zh_CN": "¥{a}.{c}",
    "ko_KR": "₩{a}", "de_DE": "{a},{c} €", "fr_FR": "{a},{c} €", "nl_NL": "€ {a},{c}", "en_GB": "£{a}.{c}",
    "en_US": "${a}.{c}",
}  # fmt: skip
DATES = {"ja_JP": "%Y年%m月%d日", "zh_CN": "%Y年%m月%d日", "ko_KR": "%Y. %m. %d.", "en_US": "%m/%d/%Y"}

Record = dict[str, Any]


def record(value: Any, field: str | None, label: str, locale: str, kind: str) -> Record:
    return {"value": str(value), "field": field, "label": label, "locale": locale, "kind": kind}


def national_phone(rng: random.Random, region: str) -> str:
    """A valid number of ``region`` in its national format (trunk prefix, no country code)."""
    kind = rng.choice([phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE])
    example = phonenumbers.example_number_for_type(region, kind)
    assert example is not None
    national = phonenumbers.national_significant_number(example)  # keeps Italy's leading zero
    while True:
        keep = max(len(national) - 5, 2)
        candidate = national[:keep] + "".join(rng.choice(string.digits) for _ in range(len(national) - keep))
        number = phonenumbers.parse(f"+{example.country_code}{candidate}")
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def phones(locale: str, fake: Faker, rng: random.Random) -> Iterator[Record]:
    region = REGIONS[locale]
    fields = ("phone", "phoneNumber", "mobile", "tel", "telefono", "telefone", "denwa", "contact_phone")
    for _ in range(20):
        value = national_phone(rng, region)
        field = rng.choice(GENERIC) if rng.random() < 0.2 else rng.choice(fields)
        yield record(value, field, "phone", locale, "national")
    if locale not in NEW:
        return
    made = 0
    while made < 20:
        value = fake.phone_number()
        try:
            ok = phonenumbers.is_valid_number(phonenumbers.parse(value, region))
        except phonenumbers.NumberParseException:
            ok = False
        if ok:
            made += 1
            unformatted = value.lstrip("+").isdigit()
            field = rng.choice(GENERIC) if rng.random() < 0.2 and not unformatted else rng.choice(fields)
            yield record(value, field, "phone", locale, "faker.phone_number")


def addresses(locale: str, fake: Faker, rng: random.Random) -> Iterator[Record]:
    full = ("address", "billing_address", "shipping_address", "direccion", "indirizzo", "endereco", "jusho")
    for index in range(45):
        shape = index % 3
        if shape == 1 and locale == "ja_JP":
            shape = 0  # Faker's ja_JP street_address is "449 近藤 Street"
        if shape == 0:
            value, field = fake.address(), rng.choice(full)
            if locale == "ja_JP" and index % 2:
                value = f"〒{fake.postcode()} {value}"
        elif shape == 1:
            value, field = fake.street_address().strip(), rng.choice(("street", "address_line1", "calle", "via"))
        else:
            value, field = fake.postcode(), rng.choice(("zip", "postcode", "postal_code", "cap", "cep"))
        if shape != 2 and rng.random() < 0.2:
            field = rng.choice(GENERIC)
        yield record(value, field, "address", locale, "faker.address")


def full_name(locale: str, fake: Faker, rng: random.Random) -> str:
    if locale not in CJK:
        return str(fake.name())
    last, first = fake.last_name(), fake.first_name()
    return f"{last} {first}" if locale == "ja_JP" and rng.random() < 0.6 else f"{last}{first}"


def names(locale: str, fake: Faker, rng: random.Random) -> Iterator[Record]:
    full_fields = ("full_name", "customer_name", "contact_name", "author", "nombre_completo", "nome_completo")
    if locale in NEW:
        for index in range(45):
            if index % 3 == 0:
                value, field = fake.first_name(), rng.choice(("first_name", "given_name", "nombre", "nome"))
            elif index % 3 == 1:
                value, field = fake.last_name(), rng.choice(("last_name", "surname", "apellido", "cognome"))
            else:
                value, field = full_name(locale, fake, rng), rng.choice(full_fields)
                if rng.random() < 0.3:
                    field = rng.choice(GENERIC)
            yield record(value, field, "person_name", locale, "faker.name")
    for index in range(15):
        if locale in CJK:
            value, kind = full_name(locale, fake, rng) + rng.choice(CJK_HONORIFICS[locale]), "honorific"
        elif index % 3 == 0:
            value, kind = f"{rng.choice(HONORIFICS[locale])} {fake.first_name()} {fake.last_name()}", "honorific"
        elif index % 3 == 1:
            particle = rng.choice(PARTICLES[locale])
            joiner = "" if particle == "Mac" else " "
            value, kind = f"{fake.first_name()} {particle}{joiner}{fake.last_name()}", "particle"
        else:
            value, kind = f"{fake.first_name()}-{fake.first_name()} {fake.last_name()}", "hyphenated"
        field = rng.choice(GENERIC) if rng.random() < 0.3 else rng.choice(full_fields)
        yield record(value, field, "person_name", locale, kind)


def city(locale: str, fake: Faker) -> str:
    if locale != "it_IT":
        return str(fake.city())
    # it_IT's city() depends on the string hash seed; the city of its address() does not.
    return str(fake.address()).splitlines()[-1].split(", ", 1)[1].rsplit(" (", 1)[0]


def negatives(locale: str, fake: Faker, rng: random.Random) -> Iterator[Record]:
    def when() -> dt.date:
        return fake.date_between_dates(dt.date(2015, 1, 1), dt.date(2025, 12, 31))

    def price() -> str:
        whole = f"{rng.randint(1, 99999):,}".replace(",", "." if "," in PRICES[locale] else ",")
        return PRICES[locale].format(a=whole, c=f"{rng.randint(0, 99):02d}")

    def order_number() -> str:
        return f"{rng.randint(10, 99)}-{rng.randint(1000000, 9999999)}"

    kinds: list[tuple[str, tuple[str, ...], Callable[[], str]]] = [
        ("product", ("product_name", "title", "name"), lambda: f"{fake.word().title()} {fake.word().title()}"),
        ("word", ("tag", "category", "notes"), lambda: fake.word()),
        ("sentence", ("description", "body", "notes"), lambda: fake.sentence()),
        ("company", ("company", "employer", "name"), lambda: fake.company()),
        ("city", ("city", "town", "notes"), lambda: city(locale, fake)),
        ("job", ("job_title", "role"), lambda: fake.job()),
        ("price", ("price", "total", "amount"), price),
        ("date", ("created_at", "order_date", "due_date"), lambda: when().strftime(DATES.get(locale, "%d/%m/%Y"))),
        ("order_number", ("order_number", "reference", "notes"), order_number),
        ("quantity", ("quantity", "stock", "count"), lambda: str(rng.randint(0, 10**rng.randint(1, 7)))),
    ]  # fmt: skip
    for kind, fields, make in kinds:
        for _ in range(8):
            yield record(make(), rng.choice(fields), "none", locale, kind)


def locale_records() -> Iterator[Record]:
    rng = random.Random(SEED)
    for locale in REGIONS:
        fake = Faker(locale)
        fake.seed_instance(SEED)
        yield from phones(locale, fake, rng)
        if locale in NEW:
            yield from addresses(locale, fake, rng)
        yield from names(locale, fake, rng)
        yield from negatives(locale, fake, rng)

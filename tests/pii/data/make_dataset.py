"""Write the labelled PII dataset, ``tests/pii/data/labelled.jsonl``, deterministically (seeded).

    python -m tests.pii.data.make_dataset   # from the repository root

Positives come from Faker in five locales (en_US, en_GB, de_DE, fr_FR, nl_NL),
plus Swedish names (sv_SE) that the shipped name lists (from names-dataset, not
Faker) leave out. Where Faker's
values are not real-world valid, the label follows the real rules, not Faker:

* phone: Faker's numbers that ``phonenumbers`` finds invalid for the locale's
  region (unassigned ranges, Ofcom's drama numbers) are dropped; the rest are
  joined by numbers built from ``phonenumbers``' example numbers with random
  subscriber digits, in E.164, international, national and local styles;
* UK NINO: Faker only gives the unallocated ``ZZ`` prefix, so numbers are drawn
  with allocated prefixes; German Steuer-IDs are drawn with the real digit and
  check-digit rules (Faker has none).

Hard negatives (label ``none``) are written by `negatives`: order numbers,
timestamps, version strings, UUIDs, ISBNs, tracking numbers, prices, card
numbers failing Luhn, IBANs failing mod 97, invalid SSNs/NIRs/BSNs, dates in
non-birth fields, product names, cities, company names, MAC addresses, ...

Six more locales (es_ES, it_IT, pt_BR, ja_JP, zh_CN, ko_KR), national-format
phone numbers, honorifics, particles, hyphenated and CJK names, with negatives
in every locale's language, come from ``locale_cases.py`` (see its docstring).

Every record: ``{"value", "field", "label", "locale", "kind"}``; ``field`` is
the column the value would sit in (generic names such as ``notes`` for a
quarter of the self-validating categories, a fifth of the addresses and a
third of the full names; never for birth dates, bare postcodes or national ids
without a check strong enough to stand alone, which no one can tell apart
from other numbers and dates without their column name).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import string
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import phonenumbers
from faker import Faker

from tests.pii.data.locale_cases import locale_records

OUT = Path(__file__).parent / "labelled.jsonl"
SEED = 20240501
#: Dates are drawn between fixed bounds (Faker's defaults move with today's date).
START, END = dt.datetime(2015, 1, 1), dt.datetime(2025, 12, 31)
PER_CATEGORY = 60
LOCALES = {"en_US": "US", "en_GB": "GB", "de_DE": "DE", "fr_FR": "FR", "nl_NL": "NL"}
GENERIC = ("value", "data", "notes", "col_3", "field1", "info", "payload")

Record = dict[str, Any]


def record(value: Any, field: str | None, label: str, locale: str, kind: str) -> Record:
    return {"value": str(value), "field": field, "label": label, "locale": locale, "kind": kind}


def pick_field(rng: random.Random, specific: tuple[str, ...], generic_share: float = 0.25) -> str:
    return rng.choice(GENERIC) if rng.random() < generic_share else rng.choice(specific)


# -- generators Faker lacks ------------------------------------------------------------------


def luhn_digit(partial: str) -> str:
    total = 0
    for index, char in enumerate(reversed(partial)):
        d = int(char)
        if index % 2 == 0:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return str((10 - total % 10) % 10)


def valid_phone(rng: random.Random, region: str) -> str:
    kind = rng.choice([phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE])
    example = phonenumbers.example_number_for_type(region, kind)
    assert example is not None
    while True:
        national = str(example.national_number)
        keep = max(len(national) - 5, 2)
        candidate = national[:keep] + "".join(rng.choice(string.digits) for _ in range(len(national) - keep))
        number = phonenumbers.parse(f"+{example.country_code}{candidate}")
        if phonenumbers.is_valid_number(number):
            break
    style = rng.choice(["e164", "international", "national", "national", "dotted"])
    if style == "e164":
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if style == "international":
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    text = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return text.replace(" ", ".") if style == "dotted" and region != "US" else text


NINO_FIRST = "ABCEGHJKLMNOPRSTWXYZ"
NINO_SECOND = "ABCEGHJKLMNPRSTWXYZ"


def nino(rng: random.Random) -> str:
    while True:
        prefix = rng.choice(NINO_FIRST) + rng.choice(NINO_SECOND)
        if prefix not in {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}:
            break
    digits = "".join(rng.choice(string.digits) for _ in range(6))
    suffix = rng.choice("ABCD")
    if rng.random() < 0.5:
        return f"{prefix} {digits[:2]} {digits[2:4]} {digits[4:]} {suffix}"
    return f"{prefix}{digits}{suffix}"


def iso7064(digits: str) -> int:
    product = 10
    for char in digits:
        total = (int(char) + product) % 10 or 10
        product = (total * 2) % 11
    check = 11 - product
    return 0 if check == 10 else check


def steuer_id(rng: random.Random) -> str:
    while True:
        pool = rng.sample(string.digits, 9)
        doubled = rng.choice(pool)
        body = [*pool, doubled]
        rng.shuffle(body)
        text = "".join(body)
        if text[0] != "0":
            return text + str(iso7064(text))


def ssn_invalid(rng: random.Random) -> str:
    area = rng.choice(["000", "666", f"9{rng.randint(0, 99):02d}"])
    return f"{area}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"


# -- positives -------------------------------------------------------------------------------


def positives(locale: str, region: str, fake: Faker, rng: random.Random) -> Iterator[Record]:
    n = PER_CATEGORY
    for _ in range(n):
        email = fake.email() if rng.random() < 0.7 else fake.free_email()
        yield record(email, pick_field(rng, ("email", "emailAddress", "contact_email", "work_email", "mail")),
                     "email", locale, "faker.email")  # fmt: skip
    made = 0
    while made < n // 2:
        value = fake.phone_number()
        try:
            ok = phonenumbers.is_valid_number(phonenumbers.parse(value, region))
        except phonenumbers.NumberParseException:
            ok = False
        if ok:
            made += 1
            yield record(value, pick_field(rng, ("phone", "phoneNumber", "mobile", "tel", "contact_phone")),
                         "phone", locale, "faker.phone_number")  # fmt: skip
    for _ in range(n - n // 2):
        yield record(valid_phone(rng, region), pick_field(rng, ("phone", "mobile", "telephone", "cell")),
                     "phone", locale, "phonenumbers.example")  # fmt: skip
    for _ in range(n):
        number = fake.credit_card_number()
        if rng.random() < 0.3 and len(number) == 16:
            number = " ".join(number[i : i + 4] for i in range(0, 16, 4))
        yield record(number, pick_field(rng, ("card_number", "cardNumber", "pan", "cc_number")),
                     "card", locale, "faker.credit_card_number")  # fmt: skip
    for _ in range(n):
        iban = fake.iban()
        if rng.random() < 0.3:
            iban = " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
        yield record(iban, pick_field(rng, ("iban", "bank_account_iban", "payout_iban")), "iban", locale, "faker.iban")
    for index in range(n):
        ip = fake.ipv4() if index % 3 else fake.ipv6()
        if index % 10 == 1:
            ip = fake.ipv4_private()
        yield record(ip, pick_field(rng, ("ip", "ipAddress", "last_login_ip", "remote_addr", "client_ip")),
                     "ip", locale, "faker.ip")  # fmt: skip
    dob_fields = {
        "de_DE": ("geburtsdatum",), "fr_FR": ("date_naissance",), "nl_NL": ("geboortedatum",)
    }.get(locale, ())  # fmt: skip
    formats = {"en_US": "%m/%d/%Y", "en_GB": "%d/%m/%Y", "de_DE": "%d.%m.%Y", "fr_FR": "%d/%m/%Y", "nl_NL": "%d-%m-%Y"}
    for _ in range(n):
        born = fake.date_between_dates(dt.date(1925, 1, 1), dt.date(2020, 12, 31))
        value = born.isoformat() if rng.random() < 0.5 else born.strftime(formats[locale])
        field = rng.choice(("dob", "date_of_birth", "birthDate", "birthday", "born_on", *dob_fields))
        yield record(value, field, "dob", locale, "faker.date_of_birth")
    for index in range(n):
        if index % 3 == 0:
            value, field = fake.address(), rng.choice(("address", "billing_address", "shipping_address", "home"
                                                       "_address", "adresse", "anschrift"))  # fmt: skip
        elif index % 3 == 1:
            value, field = fake.street_address(), rng.choice(("street", "address_line1", "street_address", "address"))
        else:
            value, field = fake.postcode(), rng.choice(("zip", "postcode", "postal_code", "zipCode", "plz"))
        if index % 3 != 2 and rng.random() < 0.2:
            field = rng.choice(GENERIC)  # a street with a number, or a full address, speaks for itself
        yield record(value, field, "address", locale, "faker.address")
    for index in range(n):
        if index % 3 == 0:
            value, field = fake.first_name(), rng.choice(("first_name", "firstName", "given_name", "vorname",
                                                           "prenom", "voornaam"))  # fmt: skip
        elif index % 3 == 1:
            value, field = fake.last_name(), rng.choice(("last_name", "lastName", "surname", "family_name"))
        else:
            value, field = fake.name(), rng.choice(("full_name", "customer_name", "contact_name", "author", "name"))
            if rng.random() < 0.3:
                field = rng.choice(GENERIC)  # first and last name both known
        yield record(value, field, "person_name", locale, "faker.name")
    yield from national_ids(locale, fake, rng)


def national_ids(locale: str, fake: Faker, rng: random.Random) -> Iterator[Record]:
    n = PER_CATEGORY
    for _ in range(n):
        if locale == "en_US":
            value, field, kind = fake.ssn(), pick_field(rng, ("ssn", "social_security_number")), "faker.ssn"
        elif locale == "en_GB":
            value, field, kind = nino(rng), pick_field(rng, ("nino", "ni_number", "national_insurance_number")), "nino"
        elif locale == "fr_FR":
            value, field, kind = fake.ssn(), pick_field(rng, ("nir", "numero_securite_sociale", "insee")), "faker.ssn"
        elif locale == "nl_NL":
            value, field, kind = fake.ssn(), rng.choice(("bsn", "burgerservicenummer")), "faker.ssn"
        else:
            value, field, kind = steuer_id(rng), rng.choice(("steuer_id", "steuerIdNr", "tax_id")), "steuer_id"
        yield record(value, field, "national_id", locale, kind)


def held_out_names(rng: random.Random) -> Iterator[Record]:
    fake = Faker("sv_SE")
    fake.seed_instance(SEED)
    for index in range(PER_CATEGORY):
        if index % 2:
            yield record(fake.first_name(), rng.choice(("first_name", "firstName")), "person_name", "sv_SE", "held-out")
        else:
            yield record(fake.name(), rng.choice(("full_name", "customer_name")), "person_name", "sv_SE", "held-out")


# -- hard negatives --------------------------------------------------------------------------


def negatives(rng: random.Random) -> Iterator[Record]:
    fake = Faker("en_US")
    fake.seed_instance(SEED + 1)
    iban_fakers = [Faker(locale) for locale in LOCALES]
    for index, other in enumerate(iban_fakers):
        other.seed_instance(SEED + 2 + index)
    d = string.digits

    def when() -> dt.datetime:
        return fake.date_time_between(START, END)

    def digits(k: int) -> str:
        return "".join(rng.choice(d) for _ in range(k))

    def card_failing_luhn() -> str:
        number = fake.credit_card_number()
        return number[:-1] + str((int(number[-1]) + rng.randint(1, 9)) % 10)

    def iban_failing() -> str:
        iban = rng.choice(iban_fakers).iban()
        return iban[:-1] + str((int(iban[-1]) + rng.randint(1, 9)) % 10) if iban[-1].isdigit() else iban[:-1] + "0"

    def isbn13() -> str:
        body = "978" + digits(9)
        total = sum(int(c) * (1 if i % 2 == 0 else 3) for i, c in enumerate(body))
        return f"{body[:3]}-{body[3]}-{body[4:6]}-{body[6:12]}-{(10 - total % 10) % 10}"

    def nir_bad_key() -> str:
        body = f"{rng.choice('12')}{digits(2)}{rng.randint(1, 12):02d}{rng.randint(1, 95):02d}{digits(3)}{digits(3)}"
        key = 97 - int(body) % 97
        return body + f"{(key + rng.randint(1, 50)) % 97 + 1:02d}"

    def bsn_failing() -> str:
        while True:
            value = digits(9)
            total = sum(int(c) * w for c, w in zip(value[:8], range(9, 1, -1), strict=True)) - int(value[8])
            if total % 11:
                return value

    def mac() -> str:
        return ":".join(f"{rng.randint(0, 255):02X}" for _ in range(6))

    kinds: list[tuple[str, tuple[str, ...], Callable[[], str]]] = [
        (
            "order_number",
            ("order_number", "orderRef", "reference"),
            lambda: f"ORD-{rng.randint(2015, 2025)}-{digits(6)}",
        ),
        ("order_number", ("order_number", "invoice_no"), lambda: f"INV{digits(8)}"),
        ("order_number", ("order_id", "reference", "notes"), lambda: f"#{digits(7)}"),
        ("order_number", ("order_number", "reference"), lambda: digits(10)),
        ("timestamp", ("created_at", "updated_at", "notes"), lambda: when().isoformat()),
        ("timestamp", ("created_at", "timestamp"), lambda: str(when())),
        ("timestamp", ("ts", "epoch", "created"), lambda: str(int(when().timestamp()))),
        ("timestamp", ("ts_ms", "epoch_ms"), lambda: str(int(when().timestamp() * 1000))),
        ("timestamp", ("stamp", "batch"), lambda: when().strftime("%Y%m%d%H%M%S")),
        ("timestamp", ("time", "start_time"), lambda: when().strftime("%H:%M:%S")),
        ("date", ("created_at", "order_date", "shipped_on", "published_at"), lambda: when().date().isoformat()),
        ("date", ("expires_on", "due_date"), lambda: when().strftime("%d/%m/%Y")),
        (
            "version",
            ("version", "app_version", "notes", "value"),
            lambda: ".".join(str(rng.randint(0, 20)) for _ in range(4)),
        ),
        ("version", ("version", "build"), lambda: f"v{rng.randint(0, 9)}.{rng.randint(0, 30)}.{rng.randint(0, 99)}"),
        ("version", ("os_build",), lambda: f"10.0.{rng.randint(10000, 22631)}.{rng.randint(1, 4000)}"),
        ("uuid", ("id", "request_id", "value"), lambda: str(uuid.UUID(int=rng.getrandbits(128), version=4))),
        ("isbn", ("isbn", "value"), isbn13),
        ("isbn", ("isbn10",), lambda: f"0-{digits(3)}-{digits(5)}-{rng.choice(d)}"),
        (
            "tracking",
            ("tracking_number", "shipment"),
            lambda: f"1Z{digits(3)}{''.join(rng.choices(string.ascii_uppercase, k=3))}{digits(10)}",
        ),
        ("tracking", ("tracking_number",), lambda: "94001" + digits(17)),
        ("tracking", ("tracking_number", "awb"), lambda: digits(12)),
        ("price", ("price", "total", "amount"), lambda: f"${rng.randint(1, 9999):,}.{digits(2)}"),
        (
            "price",
            ("price", "betrag"),
            lambda: f"{rng.randint(1, 9999):,}.{digits(2)} €".replace(",", "X").replace(".", ",").replace("X", "."),
        ),
        ("card_bad_luhn", ("card_number", "value", "reference"), card_failing_luhn),
        ("iban_bad_mod97", ("iban", "value", "reference"), iban_failing),
        ("ssn_invalid", ("ssn", "value"), ssn_invalid_factory(rng)),
        ("nir_bad_key", ("nir", "value"), nir_bad_key),
        ("bsn_failing", ("bsn",), bsn_failing),
        ("mac", ("mac_address", "device"), mac),
        ("hash", ("checksum", "etag", "commit"), lambda: f"{rng.getrandbits(160):040x}"),
        ("sku", ("sku", "product_code"), lambda: f"SKU-{digits(5)}-{rng.choice(['S', 'M', 'L', 'XL'])}"),
        ("coordinates", ("location", "geo"), lambda: f"{fake.latitude()}, {fake.longitude()}"),
        ("product", ("name", "title", "product_name"), lambda: f"{fake.word().title()} {fake.word().title()}"),
        ("product", ("title", "headline"), lambda: fake.catch_phrase()),
        ("company", ("company", "employer", "name"), lambda: fake.company()),
        ("city", ("city", "town"), lambda: fake.city()),
        ("job", ("job_title", "role"), lambda: fake.job()),
        ("sentence", ("body", "description", "notes"), lambda: fake.sentence()),
        ("url", ("website", "url"), lambda: fake.url()),
        ("username", ("username", "handle"), lambda: fake.user_name()),
        ("quantity", ("quantity", "views", "count"), lambda: str(rng.randint(0, 100000))),
        ("country", ("country",), lambda: fake.country()),
    ]
    for kind, fields, make in kinds:
        for _ in range(20):
            yield record(make(), rng.choice(fields), "none", "en_US", kind)


def ssn_invalid_factory(rng: random.Random) -> Callable[[], str]:
    return lambda: ssn_invalid(rng)


def build() -> list[Record]:
    Faker.seed(SEED)
    rng = random.Random(SEED)
    records: list[Record] = []
    for locale, region in LOCALES.items():
        fake = Faker(locale)
        fake.seed_instance(SEED)
        records.extend(positives(locale, region, fake, rng))
    records.extend(held_out_names(rng))
    records.extend(negatives(rng))
    records.extend(locale_records())
    return records


def render(records: list[Record]) -> str:
    return "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in records)


def main() -> None:
    records = build()
    OUT.write_text(render(records), encoding="utf-8")
    print(f"{len(records)} records -> {OUT}")


if __name__ == "__main__":
    main()

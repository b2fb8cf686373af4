"""Classification of fields: from the schema (names, types, ``@pii`` doc tags) and from sampled values.

`classify_field` reads one `Field` of a `Model`; `vote` turns per-value
detections into one verdict for a column (majority vote with confidence).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from prisma_infra.pii import categories
from prisma_infra.pii._words import Context
from prisma_infra.providers.pii import PiiMatch
from prisma_infra.schema import Field, Model

__all__ = ["Classification", "Source", "classify_field", "vote"]

Source = Literal["schema", "values", "schema+values", "config"]


@dataclass(frozen=True, slots=True)
class Classification:
    """A field's PII category with the confidence, evidence (never a raw value) and where it came from."""

    category: str
    confidence: float
    evidence: str
    source: Source


_DOC_TAG = re.compile(r"@pii\(?\s*[:=]?\s*(?P<category>[a-z_]+)\)?", re.IGNORECASE)
#: Words that make a field *about* PII without holding it (``emailVerified``, ``phoneCountryCode``, ``cardType``).
_NOT_THE_VALUE = frozenset(
    [
        "hash",
        "hashed",
        "digest",
        "token",
        "count",
        "type",
        "kind",
        "status",
        "verified",
        "confirmed",
        "enabled",
        "template",
        "format",
        "country",
        "provider",
        "brand",
        "expiry",
        "exp",
        "expires",
        "expiration",
        "month",
        "year",
        "last4",
        "mask",
        "masked",
        "valid",
        "validated",
        "preference",
        "opt",
        "optin",
        "consent",
        "sent",
        "bounced",
        "domain",
    ]
)
_PERSON_MODELS = frozenset(
    [
        "user",
        "users",
        "customer",
        "customers",
        "person",
        "people",
        "employee",
        "member",
        "contact",
        "patient",
        "author",
        "client",
        "profile",
        "student",
        "teacher",
        "staff",
        "applicant",
        "candidate",
        "guest",
        "owner",
        "subscriber",
        "passenger",
        "driver",
        "recipient",
        "beneficiary",
        "account",
        "individual",
        "lead",
        "buyer",
        "seller",
        "tenant",
        "resident",
        "visitor",
    ]
)
_CRYPTO = frozenset(["wallet", "btc", "eth", "contract", "mac", "web", "url", "host", "server", "bitcoin", "ethereum"])


def _pairs(context: Context, *pairs: tuple[str, str]) -> bool:
    return any(a in context.words and b in context.words for a, b in pairs)


def _by_name(model: Model, field: Field, context: Context) -> tuple[str, float, str] | None:
    """Category, confidence and the rule that matched, from the field's (and model's) name."""
    string = field.type == "String"
    if context.has("ip", "ipaddress", "ipaddr", "remoteaddr", "remoteaddress", "clientip", "ipv4", "ipv6"):
        return (categories.IP, 0.9, "name mentions an IP address") if string else None
    if context.has("email", "mail", "emailaddress"):
        return (categories.EMAIL, 0.9, "name mentions e-mail") if string else None
    if context.has("phone", "mobile", "telephone", "tel", "cell", "cellphone", "fax", "msisdn", "telefon",
                   "telefoon", "gsm", "phonenumber"):  # fmt: skip
        return (categories.PHONE, 0.85, "name mentions a phone") if string or field.type == "BigInt" else None
    if context.has("iban"):
        return (categories.IBAN, 0.95, "name mentions an IBAN") if string else None
    if _pairs(context, ("bank", "account")):
        return (categories.IBAN, 0.6, "name mentions a bank account") if string else None
    if context.has("cardholder") or _pairs(context, ("card", "holder")):
        return (categories.PERSON_NAME, 0.8, "name mentions a card holder") if string else None
    if (
        context.has("pan", "cardnumber", "cardno", "ccnumber", "ccnum", "creditcard", "debitcard")
        or _pairs(context, ("card", "number"), ("card", "no"), ("card", "num"))
    ) and "id" not in context.words:
        return (categories.CARD, 0.9, "name mentions a card number") if string else None
    if context.has("ssn", "nino", "nir", "bsn", "sofinummer", "socialsecurity", "nationalid", "steuerid", "taxid",
                   "passport", "idnr", "burgerservicenummer", "insee") or _pairs(
        context, ("social", "security"), ("national", "id"), ("tax", "id"), ("tax", "number"), ("id", "number")
    ):  # fmt: skip
        return (categories.NATIONAL_ID, 0.9, "name mentions a national identifier") if string else None
    if context.has("dob", "birthdate", "birthday", "dateofbirth", "born", "bday", "geburtsdatum", "geboortedatum",
                   "naissance", "birth") and not context.has("place", "city", "country", "name"):  # fmt: skip
        if field.type in ("DateTime", "String"):
            return categories.DOB, 0.9, "name mentions a birth date"
        return None
    if not string:
        return None
    if context.has("address", "street", "addr", "streetaddress", "addressline", "adresse", "anschrift", "adres"):
        if not context.words or set(context.words) & _CRYPTO:
            return None
        return categories.ADDRESS, 0.85, "name mentions an address"
    if context.has("zip", "zipcode", "postcode", "postalcode", "plz", "postleitzahl") or _pairs(
        context, ("postal", "code")
    ):
        return categories.ADDRESS, 0.7, "name mentions a postcode"
    if context.has("firstname", "lastname", "fullname", "surname", "givenname", "familyname", "middlename",
                   "maidenname", "forename", "vorname", "nachname", "prenom", "voornaam", "achternaam") or _pairs(
        context, ("first", "name"), ("last", "name"), ("given", "name"), ("family", "name"), ("full", "name"),
        ("middle", "name"), ("maiden", "name"), ("display", "name"),
    ):  # fmt: skip
        return categories.PERSON_NAME, 0.9, "name mentions a person's name"
    if "name" in context.words:
        model_words = set(Context.of(model.name).words)
        if context.words == ("name",) and model_words & _PERSON_MODELS:
            return categories.PERSON_NAME, 0.75, f"'name' of a person model ({model.name})"
        if set(context.words) & _PERSON_MODELS and context.words[-1] == "name":
            return categories.PERSON_NAME, 0.8, "name of a person"
    return None


def classify_field(model: Model, field: Field) -> Classification | None:
    """The category the schema suggests for ``field``: a ``/// @pii <category>`` doc tag, else its name and type."""
    if field.documentation and (tag := _DOC_TAG.search(field.documentation)):
        return Classification(tag["category"].lower(), 1.0, "@pii tag in the schema", "schema")
    if field.is_relation or field.is_enum or field.type in ("Boolean", "Int", "Float", "Decimal", "Bytes", "Json"):
        return None
    context = Context.of(field.name)
    if set(context.words) & _NOT_THE_VALUE:
        return None
    found = _by_name(model, field, context)
    if found is None:
        return None
    category, confidence, rule = found
    return Classification(category, confidence, f"{rule} ({field.type}{'[]' if field.is_list else ''})", "schema")


@dataclass(frozen=True, slots=True)
class Vote:
    """What the sampled values of one field say."""

    category: str
    confidence: float
    matched: int
    sampled: int
    evidence: str


def vote(detections: Sequence[PiiMatch | None], *, min_share: float) -> Vote | None:
    """Majority vote over one best detection per sampled value (``None``: nothing found in that value).

    The winner needs ``min_share`` of the values; its confidence is its share
    times the mean confidence of its detections.
    """
    sampled = len(detections)
    found = [d for d in detections if d is not None]
    if not sampled or not found:
        return None
    counts = Counter(d.category for d in found)
    category, matched = counts.most_common(1)[0]
    share = matched / sampled
    if share < min_share:
        return None
    winners = [d for d in found if d.category == category]
    mean = sum(d.confidence for d in winners) / len(winners)
    reasons = Counter(d.evidence for d in winners).most_common(1)[0][0]
    return Vote(category, round(share * mean, 3), matched, sampled, f"{matched}/{sampled} values: {reasons}")

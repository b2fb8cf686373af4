"""The PII categories the built-in detectors and the schema classifier know.

Third-party detectors may report other categories: every category is a plain
string, and masking falls back to ``redact`` for one it has no default for.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "ADDRESS",
    "CARD",
    "CATEGORIES",
    "DEFAULT_STRATEGIES",
    "DOB",
    "EMAIL",
    "IBAN",
    "IP",
    "NATIONAL_ID",
    "NONE",
    "PERSON_NAME",
    "PHONE",
]

EMAIL: Final = "email"
PHONE: Final = "phone"
CARD: Final = "card"
IBAN: Final = "iban"
NATIONAL_ID: Final = "national_id"
IP: Final = "ip"
DOB: Final = "dob"
ADDRESS: Final = "address"
PERSON_NAME: Final = "person_name"
#: In ``models.<Model>.pii``: the field holds no PII, whatever the classifier says.
NONE: Final = "none"

CATEGORIES: Final = (EMAIL, PHONE, CARD, IBAN, NATIONAL_ID, IP, DOB, ADDRESS, PERSON_NAME)

#: What each category becomes when nothing in ``pii.strategies`` / ``pii.fields`` says otherwise.
#: Partial keeps enough to recognise a value (support desks, debugging) and never enough to use it.
DEFAULT_STRATEGIES: Final[dict[str, str]] = {
    EMAIL: "partial",
    PHONE: "partial",
    CARD: "partial",
    IBAN: "partial",
    NATIONAL_ID: "redact",
    IP: "partial",
    DOB: "partial",
    ADDRESS: "redact",
    PERSON_NAME: "partial",
}

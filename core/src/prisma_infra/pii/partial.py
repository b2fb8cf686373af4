"""Partial masks: enough of a value to recognise it, never enough to use it.

``j***@example.com``, ``**** **** **** 4242``, ``+44 **** ***789``,
``DE** **** **** **** **** 3000``, ``***-**-6789``, ``203.0.113.*``, ``1985-**-**``, ``J*** D***``.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import math
import re
from collections.abc import Callable
from typing import Any

from prisma_infra.pii import categories

__all__ = ["partial_mask"]

_STARS = "***"


def _generic(text: str) -> str:
    text = text.strip()
    if len(text) < 6:
        return _STARS
    return f"{text[0]}{_STARS}{text[-1]}"


def _keep_last(text: str, keep: int) -> str:
    """Every letter and digit but the last ``keep`` as ``*``; separators stay."""
    total = sum(c.isalnum() for c in text)
    seen = 0
    out = []
    for char in text:
        if char.isalnum():
            seen += 1
            out.append(char if seen > total - keep else "*")
        else:
            out.append(char)
    return "".join(out)


def _email(text: str) -> str:
    local, at, domain = text.strip().rpartition("@")
    if not at or not local:
        return _generic(text)
    return f"{local[0]}{_STARS}@{domain}"


def _phone(text: str, region: str = "US") -> str:
    """``+44 **** ***789`` for international numbers; national ones keep their layout: ``(***) ***-*143``."""
    text = text.strip()
    if not text.startswith(("+", "00")):
        return _keep_last(text, 3)
    try:
        import phonenumbers

        number = phonenumbers.parse("+" + text[2:] if text.startswith("00") else text, None)
        national = phonenumbers.national_significant_number(number)
    except Exception:
        return _keep_last(text, 3)
    prefix = f"+{number.country_code} "
    if len(national) <= 6:
        return prefix + "*" * max(len(national) - 3, 1) + national[-3:]
    return f"{prefix}{'*' * (len(national) - 6)} ***{national[-3:]}"


def _card(text: str) -> str:
    digits = re.sub(r"\D", "", text)
    if len(digits) < 8:
        return _STARS
    return " ".join(["****"] * math.ceil((len(digits) - 4) / 4) + [digits[-4:]])


def _iban(text: str) -> str:
    compact = re.sub(r"\s", "", text).upper()
    if len(compact) < 10:
        return _STARS
    return " ".join([compact[:2] + "**"] + ["****"] * math.ceil((len(compact) - 8) / 4) + [compact[-4:]])


def _national_id(text: str) -> str:
    return _keep_last(text.strip(), 4 if sum(c.isalnum() for c in text) >= 8 else 1)


def _ip(text: str) -> str:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return _generic(text)
    if address.version == 4:
        return ".".join(str(address).split(".")[:3]) + ".*"
    groups = [g.lstrip("0") or "0" for g in address.exploded.split(":")[:3]]
    return ":".join(groups) + "::*"


def _dob(value: Any) -> str:
    if isinstance(value, dt.date):
        return f"{value.year}-**-**"
    from prisma_infra.pii.detectors.dob import parse_date

    parsed = parse_date(str(value).strip())
    return f"{parsed.year}-**-**" if parsed else _STARS


def _name(text: str) -> str:
    parts = [p for p in text.split() if p]
    return " ".join(f"{p[0]}{_STARS}" for p in parts) if parts else _STARS


def _address(text: str) -> str:
    return " ".join(f"{w[0]}{_STARS}" if len(w) > 1 else "*" for w in text.split())


_BY_CATEGORY: dict[str, Callable[[str], str]] = {
    categories.EMAIL: _email,
    categories.CARD: _card,
    categories.IBAN: _iban,
    categories.NATIONAL_ID: _national_id,
    categories.IP: _ip,
    categories.PERSON_NAME: _name,
    categories.ADDRESS: _address,
}


def partial_mask(value: Any, category: str, *, region: str = "US") -> str:
    """The partial mask of ``value`` for ``category`` (a first-and-last-character mask for unknown ones)."""
    if category == categories.DOB:
        return _dob(value)
    text = value.isoformat() if isinstance(value, dt.date) else str(value)
    if category == categories.PHONE:
        return _phone(text, region)
    return _BY_CATEGORY.get(category, _generic)(text)

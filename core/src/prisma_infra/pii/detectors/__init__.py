"""The built-in PII detectors, registered by the ``pii`` built-in plugin."""

from __future__ import annotations

from prisma_infra.pii.detectors.address import AddressDetector
from prisma_infra.pii.detectors.base import Span, ValueDetector, find_spans
from prisma_infra.pii.detectors.contact import EmailDetector, PhoneDetector
from prisma_infra.pii.detectors.dob import DobDetector
from prisma_infra.pii.detectors.financial import CardDetector, IbanDetector
from prisma_infra.pii.detectors.names import NameDetector
from prisma_infra.pii.detectors.national_id import (
    BsnDetector,
    NinoDetector,
    NirDetector,
    SsnDetector,
    SteuerIdDetector,
)
from prisma_infra.pii.detectors.network import IpDetector
from prisma_infra.providers.pii import PiiDetector

__all__ = [
    "AddressDetector",
    "BsnDetector",
    "CardDetector",
    "DobDetector",
    "EmailDetector",
    "IbanDetector",
    "IpDetector",
    "NameDetector",
    "NinoDetector",
    "NirDetector",
    "PhoneDetector",
    "Span",
    "SsnDetector",
    "SteuerIdDetector",
    "ValueDetector",
    "builtin_detectors",
    "find_spans",
]


def builtin_detectors() -> dict[str, PiiDetector]:
    """One instance of every built-in detector, by registered name."""
    detectors: list[PiiDetector] = [
        EmailDetector(),
        PhoneDetector(),
        CardDetector(),
        IbanDetector(),
        SsnDetector(),
        NinoDetector(),
        NirDetector(),
        BsnDetector(),
        SteuerIdDetector(),
        IpDetector(),
        DobDetector(),
        AddressDetector(),
        NameDetector(),
    ]
    return {d.name: d for d in detectors}

"""IP addresses (``ipaddress``), without the version strings and timestamps that look like them."""

from __future__ import annotations

import ipaddress
import re

from prisma_infra.pii import categories
from prisma_infra.pii._words import Context
from prisma_infra.pii.detectors.base import Check, ValueDetector

__all__ = ["IpDetector"]

_V4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_V6 = re.compile(r"[0-9A-Fa-f:]{2,39}(?:%\w+)?|[0-9A-Fa-f:]{2,29}:\d{1,3}(?:\.\d{1,3}){3}")
_IP_WORDS = ("ip", "ipv4", "ipv6", "addr", "host", "remote", "client", "peer", "forwarded")
_VERSION_WORDS = ("version", "v", "ver", "release", "build", "rev", "revision", "firmware")
#: Public resolvers whose addresses look like versions.
_WELL_KNOWN = frozenset({"1.1.1.1", "1.0.0.1", "8.8.8.8", "8.8.4.4", "9.9.9.9", "4.2.2.2", "4.4.4.4"})


class IpDetector(ValueDetector):
    """IPv4 and IPv6 addresses.

    A dotted quad of small numbers (every part below 32: ``1.2.3.4``, ``3.10.12.1``)
    is a version string unless the field or the text before it says "ip"; so is
    anything after ``v``/"version". IPv6 needs a hexadecimal letter or ``::`` or
    eight groups, so ``12:30:45`` stays a time.
    """

    name = "ip"
    category = categories.IP
    candidates = re.compile(
        r"(?<![\w.:])(?P<v>\d{1,3}(?:\.\d{1,3}){3}|(?:[0-9A-Fa-f]{1,4}:){1,7}(?::|[0-9A-Fa-f]{1,4})"
        r"(?::[0-9A-Fa-f]{1,4}){0,6}|::(?:[0-9A-Fa-f]{1,4}:){0,6}[0-9A-Fa-f]{1,4})(?![\w.:])"
    )
    max_length = 48

    def check(self, value: str, context: Context) -> Check | None:
        hinted = context.has(*_IP_WORDS)
        if _V4.fullmatch(value):
            try:
                address = ipaddress.IPv4Address(value)
            except ValueError:
                return None
            if context.has(*_VERSION_WORDS) and not hinted:
                return None
            if value.startswith("0"):  # 0.0.0.0/8 is "this network": never a host's address
                return (0.6, "IPv4 address in 0.0.0.0/8") if hinted else None
            small = all(int(part) < 32 for part in value.split("."))
            if small and not hinted and value not in _WELL_KNOWN and not address.is_private:
                return None
            return (0.99 if hinted else 0.95), f"IPv4 address{' (private)' if address.is_private else ''}"
        if value.count(":") < 2 or not _V6.fullmatch(value):
            return None
        if not ("::" in value or value.count(":") == 7 or re.search(r"[A-Fa-f]", value)):
            return None
        try:
            ipaddress.IPv6Address(value)
        except ValueError:
            return None
        return (0.99 if hinted else 0.96), "IPv6 address"

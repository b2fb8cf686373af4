"""Request ids of the framework adapters: the header they are read from and echoed in, and which are kept.

A client's ``X-Request-ID`` is kept when it is sane (letters, digits, ``._:-``, at most 128: it reaches
logs and the audit trail), else the request gets a fresh UUID4. One definition for the ASGI middleware
(`prisma_infra.integrations.starlette`) and the WSGI one (`prisma_infra.integrations.wsgi`, Flask).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping

__all__ = ["REQUEST_ID_HEADER", "request_id"]

#: The header a request id is read from and echoed in.
REQUEST_ID_HEADER = "X-Request-ID"
#: A client's request id is kept only when it is this sane.
_SANE = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def request_id(headers: Mapping[str, str]) -> str:
    """The client's ``X-Request-ID`` (``headers``: lower-cased keys) when it looks like an id, else a fresh one."""
    given = headers.get(REQUEST_ID_HEADER.lower(), "")
    return given if _SANE.fullmatch(given) else str(uuid.uuid4())

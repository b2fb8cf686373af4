"""An operation's arguments as they go to the bridge: checked, escaped, tagged (`prepare_args`).

Three things may change them: `literal_patterns` escapes LIKE filter values, `codec` tags what JSON
would carry wrongly (ints beyond 2**53 - 1, Json dicts holding ``"$type"``), and `encode_bigints`
tags every int of a BigInt field. The first two are decided by one serialization in C
(`codec.check`): its bytes name no LIKE filter and no ``"$type"`` key in most arguments, and then
neither Python walk runs. The third costs one dict look-up for a model that reaches no BigInt.
"""

from __future__ import annotations

import re
from typing import Any

from prisma_infra_sdk import Action, Schema, literal_patterns

from prisma_infra_prisma import codec
from prisma_infra_prisma.bigints import encode_bigints

__all__ = ["prepare_args"]

#: The filters `literal_patterns` escapes, as JSON keys. A string value spelled like one only
#: costs the walk, which then changes nothing.
_LIKE_KEY = re.compile(rb'"(?:contains|startsWith|endsWith|string_contains|string_starts_with|string_ends_with)"')


def prepare_args(schema: Schema | None, model: str | None, action: Action, args: Any) -> Any:
    """``args`` of ``action`` on ``model`` ready for `Bridge.request` (copied only where changed).

    :raises ReadOnlyViewError: the operation writes a view, at the top or nested.
    """
    if model is None or schema is None:  # raw SQL and transaction control: sent as they are
        return codec.encode(args)
    schema.check_writable(model, action, args)  # views are read-only, validation on or off
    data = codec.check(args)
    if data is None or _LIKE_KEY.search(data) is not None:
        args = literal_patterns(schema, model, action.value, args)
    if data is None or codec.TAG_KEY in data:
        args = codec.tag(args)
    return encode_bigints(schema, model, args)
